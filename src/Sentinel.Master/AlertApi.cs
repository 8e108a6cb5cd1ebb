using System.Text.Json;
using Sentinel.Json;
using Sentinel.Master.Alerts;
using Sentinel.Master.Http;

namespace Sentinel.Master;

/// <summary>/api/alerts: alerts (viewer), acknowledge and silence (operator), rules (read: viewer; change: admin). See docs/alerts.md.</summary>
internal sealed class AlertApi(MasterContext ctx)
{
    /// <summary>True when the request was an alert route (and is answered).</summary>
    public async Task<bool> HandleAsync(HttpContext http, Auth.Principal who, string[] parts)
    {
        if (parts is not ["api", "alerts", ..]) return false;
        var method = http.Request.Method;
        var json = SentinelJsonContext.Default;
        var engine = ctx.Alerts;
        try
        {
            switch (method, parts)
            {
                case ("GET" or "HEAD", ["api", "alerts"]):
                    await List(http).ConfigureAwait(false);
                    return true;
                case ("GET" or "HEAD", ["api", "alerts", "rules"]):
                    await Json(http, 200, engine.Rules(), json.ListAlertRule).ConfigureAwait(false);
                    return true;
                case ("GET" or "HEAD", ["api", "alerts", "rules", var id]):
                    if (engine.Rule(id) is { } rule) await Json(http, 200, rule, json.AlertRule).ConfigureAwait(false);
                    else await Api.Error(http, 404, "rule-not-found", $"no alert rule '{id}'").ConfigureAwait(false);
                    return true;
                case ("POST", ["api", "alerts", "rules"]):
                {
                    if (await ReadRule(http) is not { } input) return true;
                    var made = engine.AddRule(input);
                    ctx.Log($"alert rule '{made.Id}' added by {who.Name}");
                    await http.RespondAsync(201, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(made, json.AlertRule),
                        new Dictionary<string, string> { ["Location"] = "/api/alerts/rules/" + Uri.EscapeDataString(made.Id) }).ConfigureAwait(false);
                    return true;
                }
                case ("PUT", ["api", "alerts", "rules", var id]):
                {
                    if (await ReadRule(http) is not { } input) return true;
                    var changed = engine.UpdateRule(id, input);
                    ctx.Log($"alert rule '{id}' changed by {who.Name}");
                    await Json(http, 200, changed, json.AlertRule).ConfigureAwait(false);
                    return true;
                }
                case ("DELETE", ["api", "alerts", "rules", var id]):
                    if (engine.RemoveRule(id))
                    {
                        ctx.Log($"alert rule '{id}' removed by {who.Name}");
                        await http.RespondAsync(204, "text/plain", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                    }
                    else
                    {
                        await Api.Error(http, 404, "rule-not-found", $"no alert rule '{id}'").ConfigureAwait(false);
                    }
                    return true;
                case ("POST", ["api", "alerts", var id, "acknowledge"]):
                {
                    var acked = engine.Acknowledge(ParseId(id), who.Name);
                    ctx.Log($"alert {acked.Id} ({acked.RuleName} on {acked.Machine}) acknowledged by {who.Name}");
                    await Json(http, 200, acked, json.Alert).ConfigureAwait(false);
                    return true;
                }
                case ("POST", ["api", "alerts", var id, "silence"]):
                {
                    var alertId = ParseId(id);
                    var request = Read(http, json.AlertSilenceRequest);
                    var now = ctx.Time.GetUtcNow();
                    DateTimeOffset until;
                    if (request?.Until is { } u) until = u;
                    else if (request?.Seconds is { } s && double.IsFinite(s) && s >= 0 && s <= 366 * 86400.0) until = now + TimeSpan.FromSeconds(s);
                    else throw new AlertRequestException(400, "bad-request", "send {\"until\":\"2026-11-24T20:00:00Z\"} or {\"seconds\":3600} (0 to 31622400; 0 or a past time ends a silence)");
                    var silenced = engine.Silence(alertId, until, who.Name);
                    ctx.Log(silenced.State == AlertState.Silenced
                        ? $"alert {silenced.Id} ({silenced.RuleName} on {silenced.Machine}) silenced until {until:O} by {who.Name}"
                        : $"alert {silenced.Id} ({silenced.RuleName} on {silenced.Machine}) unsilenced by {who.Name}");
                    await Json(http, 200, silenced, json.Alert).ConfigureAwait(false);
                    return true;
                }
                case ("GET" or "HEAD", ["api", "alerts", var id]) when long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var one):
                    await ctx.Store.FlushAsync().ConfigureAwait(false);
                    if ((engine.Open().FirstOrDefault(a => a.Id == one) ?? ctx.Store.LoadAlert(one)) is { } found)
                        await Json(http, 200, found, json.Alert).ConfigureAwait(false);
                    else
                        await Api.Error(http, 404, "alert-not-found", $"no alert {one}").ConfigureAwait(false);
                    return true;
                case ("GET" or "HEAD", _):
                    await Api.Error(http, 404, "not-found", $"no such resource: {http.Request.Path}").ConfigureAwait(false);
                    return true;
                default:
                    await Api.Error(http, 405, "method-not-allowed", $"{method} is not allowed on {http.Request.Path}").ConfigureAwait(false);
                    return true;
            }
        }
        catch (AlertRequestException e)
        {
            await Api.Error(http, e.Status, e.Code, e.Message).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>GET /api/alerts?state=open|all&amp;machine=&amp;since=&amp;limit=: the open alerts, then (unless state=open) those resolved since (default: the last 24 hours), newest first.</summary>
    private async Task List(HttpContext http)
    {
        var q = http.Request.Query;
        var state = q.GetValueOrDefault("state") ?? "all";
        if (state is not ("open" or "all"))
        {
            await Api.Error(http, 400, "bad-parameter", $"state: '{state}' is not open or all").ConfigureAwait(false);
            return;
        }
        var machine = q.GetValueOrDefault("machine") is { Length: > 0 } m ? m : null;
        var since = ctx.Time.GetUtcNow() - TimeSpan.FromDays(1);
        if (q.GetValueOrDefault("since") is { Length: > 0 } sinceText && !DateTimeOffset.TryParse(sinceText, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out since))
        {
            await Api.Error(http, 400, "bad-parameter", $"since: '{sinceText}' is not an ISO-8601 time (e.g. 2026-11-24T09:00:00Z)").ConfigureAwait(false);
            return;
        }
        int limit = q.GetValueOrDefault("limit") is { } l && int.TryParse(l, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, 1000) : 100;
        var list = ctx.Alerts.Open().Where(a => machine is null || a.Machine == machine).OrderByDescending(a => a.Id).ToList();
        if (state == "all")
        {
            await ctx.Store.FlushAsync().ConfigureAwait(false); // what was just resolved is on disk
            var open = list.Select(a => a.Id).ToHashSet();
            list.AddRange(ctx.Store.QueryResolvedAlerts(since, machine, limit).Where(a => !open.Contains(a.Id)));
        }
        await Json(http, 200, list.Take(limit).ToList(), SentinelJsonContext.Default.ListAlert).ConfigureAwait(false);
    }

    private static long ParseId(string id)
        => long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n : throw new AlertRequestException(404, "alert-not-found", $"no alert '{id}' (alert ids are numbers)");

    private static async Task<AlertRule?> ReadRule(HttpContext http)
    {
        try
        {
            if (http.Request.Body.Length > 0 && JsonSerializer.Deserialize(http.Request.Body, SentinelJsonContext.Default.AlertRule) is { } rule) return rule;
            await Api.Error(http, 400, "bad-rule", "send a rule, e.g. {\"name\":\"Hot CPU\",\"metric\":\"cpu\",\"threshold\":95,\"clearThreshold\":85,\"forSeconds\":30}").ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await Api.Error(http, 400, "bad-rule", $"the body is not a rule: {e.Message}").ConfigureAwait(false);
        }
        return null;
    }

    private static T? Read<T>(HttpContext http, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class
    {
        try
        {
            return http.Request.Body.Length == 0 ? null : JsonSerializer.Deserialize(http.Request.Body, info);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task Json<T>(HttpContext http, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        => http.RespondAsync(status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(value, info));
}
