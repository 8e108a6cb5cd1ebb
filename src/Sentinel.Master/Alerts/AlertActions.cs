using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Sentinel.Json;

namespace Sentinel.Master.Alerts;

/// <summary>
/// What happens when an alert fires or resolves: a line in the master's log always; then, off the evaluation path on a
/// queue of its own, the rule's webhook (POST JSON, a timeout per attempt, retries with a doubling wait) and, when the
/// master allows it, the rule's command (program and arguments as given, never a shell; the alert's facts only in
/// SENTINEL_ALERT_* environment variables, so no machine name is ever read as code).
/// </summary>
internal sealed class AlertActions : IAsyncDisposable
{
    private readonly MasterOptions _options;
    private readonly string _source;
    private readonly Action<string> _log;
    private readonly Channel<AlertNotification> _queue = Channel.CreateBounded<AlertNotification>(new BoundedChannelOptions(1000) { SingleReader = true });
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _runner;

    public AlertActions(MasterOptions options, string source, Action<string> log)
    {
        _options = options;
        _source = source;
        _log = log;
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // per attempt, below
        _runner = Task.Run(RunAsync);
    }

    /// <summary>Webhooks and commands sent so far (tests and status).</summary>
    public long Delivered;

    public void Notify(Alert a, AlertRule rule, string change)
    {
        var value = a.Value is { } v ? AlertRules.Num(v) : "?";
        var cmp = a.Comparison == AlertComparison.Above ? ">" : "<";
        _log(change == "firing"
            ? $"alert {a.Id} firing: {a.RuleName} on {a.Machine} ({AlertRules.Camel(a.Metric.ToString())} {value} {cmp} {AlertRules.Num(a.Threshold)}, {AlertRules.Camel(a.Severity.ToString())})"
            : $"alert {a.Id} resolved: {a.RuleName} on {a.Machine} ({AlertRules.Camel(a.Metric.ToString())} {value})");
        if (rule.WebhookUrl is null && rule.Command is null) return;
        if (!_queue.Writer.TryWrite(new AlertNotification { Change = change, Alert = a, Rule = rule, Source = _source }))
        {
            _log($"alert {a.Id}: actions skipped (more than 1000 waiting)");
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var n in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (n.Rule?.WebhookUrl is { } url) await PostAsync(url, n).ConfigureAwait(false);
                if (n.Rule?.Command is { Count: > 0 } command) await RunCommandAsync(command, n).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PostAsync(string url, AlertNotification n)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(n, SentinelJsonContext.Default.AlertNotification);
        var delay = _options.AlertWebhookRetryDelay;
        for (int attempt = 1; attempt <= Math.Max(1, _options.AlertWebhookAttempts); attempt++)
        {
            string problem;
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                cts.CancelAfter(_options.AlertWebhookTimeout);
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                using var response = await _http.PostAsync(url, content, cts.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref Delivered);
                    if (attempt > 1) _log($"alert {n.Alert.Id}: webhook {url} took it on attempt {attempt}");
                    return;
                }
                problem = $"HTTP {(int)response.StatusCode}";
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                problem = $"no answer within {_options.AlertWebhookTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            if (attempt >= _options.AlertWebhookAttempts)
            {
                _log($"alert {n.Alert.Id}: webhook {url} failed after {attempt} attempts ({problem}); giving up");
                return;
            }
            _log($"alert {n.Alert.Id}: webhook {url} attempt {attempt} failed ({problem}); retrying in {delay.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
            delay *= 2;
        }
    }

    private async Task RunCommandAsync(List<string> command, AlertNotification n)
    {
        if (!_options.AllowAlertCommands)
        {
            _log($"alert {n.Alert.Id}: command not run (this master does not allow alert commands)");
            return;
        }
        var psi = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in command.Skip(1)) psi.ArgumentList.Add(arg);
        var a = n.Alert;
        psi.Environment["SENTINEL_ALERT_ID"] = a.Id.ToString(CultureInfo.InvariantCulture);
        psi.Environment["SENTINEL_ALERT_CHANGE"] = n.Change;
        psi.Environment["SENTINEL_ALERT_STATE"] = AlertRules.Camel(a.State.ToString());
        psi.Environment["SENTINEL_ALERT_MACHINE"] = a.Machine;
        psi.Environment["SENTINEL_ALERT_RULE"] = a.RuleId;
        psi.Environment["SENTINEL_ALERT_RULE_NAME"] = a.RuleName;
        psi.Environment["SENTINEL_ALERT_METRIC"] = AlertRules.Camel(a.Metric.ToString());
        psi.Environment["SENTINEL_ALERT_SEVERITY"] = AlertRules.Camel(a.Severity.ToString());
        psi.Environment["SENTINEL_ALERT_VALUE"] = a.Value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        psi.Environment["SENTINEL_ALERT_THRESHOLD"] = a.Threshold.ToString("R", CultureInfo.InvariantCulture);
        psi.Environment["SENTINEL_ALERT_FIRED_AT"] = a.FiredAt.ToString("O", CultureInfo.InvariantCulture);
        psi.Environment["SENTINEL_MASTER"] = _source;
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            cts.CancelAfter(_options.AlertCommandTimeout);
            try
            {
                await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                _log($"alert {a.Id}: command {command[0]} killed after {_options.AlertCommandTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
                return;
            }
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            Interlocked.Increment(ref Delivered);
            var err = stderr.Result.Trim();
            _log($"alert {a.Id}: command {command[0]} exited with {p.ExitCode}" + (p.ExitCode != 0 && err.Length > 0 ? $": {(err.Length > 200 ? err[..200] : err)}" : ""));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            _log($"alert {a.Id}: command {command[0]} could not start: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _runner.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _http.Dispose();
        _stop.Dispose();
    }
}
