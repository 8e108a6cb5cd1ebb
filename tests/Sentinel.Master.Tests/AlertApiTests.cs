using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>Alerts end to end: a real master on loopback, real agents whose CPU figure the test sets, the REST API and the viewer stream.</summary>
public sealed class AlertApiTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<SentinelAgent> _agents = [];
    private MasterServer? _master;

    private MasterServer Start(Func<MasterOptions, MasterOptions>? tweak = null, TimeProvider? time = null)
    {
        var options = new MasterOptions { Port = 0, DataPath = _dir.Path, AlertHoldOff = TimeSpan.Zero, Log = _log.Enqueue };
        _master = MasterServer.Start(tweak?.Invoke(options) ?? options, time);
        return _master;
    }

    private DialSource Agent(string name, double cpu)
    {
        var source = new DialSource("host-" + name.Length, cpu);
        var agent = new SentinelAgent(new AgentOptions
        {
            Master = _master!.Url, Name = name, HostId = "host-" + Guid.NewGuid().ToString("N")[..8], Interval = TimeSpan.FromSeconds(1),
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
        }, source);
        _agents.Add(agent);
        agent.Start();
        return source;
    }

    private async Task AddRule(string json)
    {
        var r = await Api.Post(_master!.Url, "api/alerts/rules", json);
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"POST /api/alerts/rules: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    private async Task<List<Alert>> Alerts(string query = "")
        => (await Api.Http.GetFromJsonAsync(new Uri(_master!.Url, "api/alerts" + query), SentinelJsonContext.Default.ListAlert))!;

    /// <summary>Waits until /api/alerts has an alert of <paramref name="rule"/> on <paramref name="machine"/> that satisfies <paramref name="ok"/>.</summary>
    private async Task<Alert> WaitAlert(string rule, string machine, Func<Alert, bool> ok, string what, double seconds = 30)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        List<Alert> all = [];
        while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            all = await Alerts();
            if (all.FirstOrDefault(a => a.RuleId == rule && a.Machine == machine && ok(a)) is { } found) return found;
            await Task.Delay(100);
        }
        var machines = await Api.Machines(_master!.Url);
        Assert.Fail($"timed out after {seconds} s waiting until {what}; alerts: {string.Join(", ", all.Select(a => $"{a.Id} {a.RuleId} {a.Machine} {a.State} {a.Value}"))}; " +
            $"machines: {string.Join(", ", machines.Select(m => $"{m.Name} {m.Status} cpu {m.Latest?.CpuPercent}"))}; master log:\n{string.Join("\n", _log.TakeLast(20))}");
        return null!;
    }

    [Fact]
    public async Task A_hot_cpu_fires_shows_in_the_api_and_the_viewer_stream_is_acknowledged_and_resolves_only_below_the_clear_threshold()
    {
        var master = Start();
        await AddRule("""{"id":"cpu-test","name":"CPU test","metric":"cpu","threshold":90,"clearThreshold":50,"forSeconds":2,"machines":"hot*","severity":"critical"}""");
        var hot = Agent("hot01", 20);
        var cool = Agent("cool01", 99); // out of the rule's scope
        await Wait.Until(async () => (await Api.Machine(master.Url, "hot01"))?.Latest?.CpuPercent == 20, TimeSpan.FromSeconds(30), "hot01 reports 20%");

        hot.Cpu = 97;
        var fired = await WaitAlert("cpu-test", "hot01", a => a.State == AlertState.Firing, "the CPU alert fires");
        Assert.Equal((AlertMetric.Cpu, AlertSeverity.Critical, 90.0, 50.0), (fired.Metric, fired.Severity, fired.Threshold, fired.ClearThreshold));
        Assert.Equal(97, fired.FiredValue);
        Assert.Null(fired.ResolvedAt);
        Assert.DoesNotContain(await Alerts(), a => a.RuleId == "cpu-test" && a.Machine == "cool01");
        var status = await Api.Status(master.Url);
        Assert.True(status.AlertsFiring >= 1 && status.AlertsOpen >= status.AlertsFiring, $"firing {status.AlertsFiring}, open {status.AlertsOpen}");

        // A viewer that connects now finds it in its snapshot, and is told when someone acknowledges it.
        await using var viewer = await RawPeer.ConnectAsync(master.Url, "ws");
        var snapshot = (await viewer.ReceiveType(MessageTypes.Snapshot))!.Value.Read(SentinelJsonContext.Default.Snapshot, "x");
        Assert.Contains(snapshot.Alerts, a => a.Id == fired.Id && a.State == AlertState.Firing);
        var ack = await Api.Post(master.Url, $"api/alerts/{fired.Id}/acknowledge", "");
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        Alert? pushed = null;
        while (pushed is null)
        {
            var env = await viewer.ReceiveType(MessageTypes.Update, TimeSpan.FromSeconds(30));
            Assert.True(env is not null, "the viewer stream closed");
            pushed = env!.Value.Read(SentinelJsonContext.Default.FleetUpdate, "x").Alerts.FirstOrDefault(a => a.Id == fired.Id);
        }
        Assert.Equal((AlertState.Acknowledged, "local"), (pushed.State, pushed.AcknowledgedBy));

        // Below the threshold but above the clear threshold: still open (the value it shows proves it was judged).
        hot.Cpu = 70;
        var held = await WaitAlert("cpu-test", "hot01", a => a.Value == 70, "the alert is judged at 70%");
        Assert.Equal(AlertState.Acknowledged, held.State);
        hot.Cpu = 30;
        var resolved = await WaitAlert("cpu-test", "hot01", a => a.State == AlertState.Resolved, "the alert resolves below 50%");
        Assert.Equal(fired.Id, resolved.Id);
        Assert.NotNull(resolved.ResolvedAt);
        Assert.Equal(30, resolved.Value);
        Assert.DoesNotContain(await Alerts("?state=open"), a => a.Id == fired.Id);
        var one = await Api.Http.GetFromJsonAsync(new Uri(master.Url, $"api/alerts/{fired.Id}"), SentinelJsonContext.Default.Alert);
        Assert.Equal(AlertState.Resolved, one!.State);
        Assert.Contains(_log, l => l.Contains($"alert {fired.Id} firing: CPU test on hot01", StringComparison.Ordinal));
        Assert.Contains(_log, l => l.Contains($"alert {fired.Id} resolved", StringComparison.Ordinal));
        _ = cool;
    }

    [Fact]
    public async Task A_machine_that_goes_away_raises_the_offline_alert_which_resolves_when_it_is_back()
    {
        var master = Start();
        Agent("gone01", 10);
        await Wait.Until(async () => (await Api.Machine(master.Url, "gone01"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(30), "gone01 is online");
        var agent = _agents[0];
        _agents.Remove(agent);
        await agent.DisposeAsync(); // a goodbye: offline at once
        var fired = await WaitAlert("offline", "gone01", a => a.State == AlertState.Firing, "the shipped offline rule fires");
        Assert.Equal((AlertMetric.Offline, AlertSeverity.Critical), (fired.Metric, fired.Severity));
        Assert.Equal(1, (await Api.Status(master.Url)).AlertsFiring);
        Agent("gone01", 10);
        var resolved = await WaitAlert("offline", "gone01", a => a.Id == fired.Id && a.State == AlertState.Resolved, "the offline alert resolves when the machine reports again");
        Assert.True(resolved.ResolvedAt >= fired.FiredAt);
    }

    [Fact]
    public async Task Rules_can_be_listed_changed_and_removed_and_bad_ones_are_refused_by_name()
    {
        var master = Start();
        var rules = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/alerts/rules"), SentinelJsonContext.Default.ListAlertRule);
        Assert.Equal(["cpu-high", "memory-high", "disk-full", "gpu-hot", "offline"], rules!.Select(r => r.Id));
        var bad = await Api.Post(master.Url, "api/alerts/rules", """{"name":"x","metric":"cpu","threshold":90,"clearThreshold":99}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("clearThreshold", await bad.Content.ReadAsStringAsync());
        var unknown = await Api.Post(master.Url, "api/alerts/rules", """{"name":"x","metric":"temperature","threshold":90}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("bad-rule", await unknown.Content.ReadAsStringAsync());

        var put = new HttpRequestMessage(HttpMethod.Put, new Uri(master.Url, "api/alerts/rules/cpu-high"))
        {
            Content = new StringContent("""{"name":"CPU above 95%","metric":"cpu","threshold":95,"clearThreshold":85,"forSeconds":30}""", Encoding.UTF8, "application/json"),
            Headers = { { "X-Sentinel-Request", "1" } },
        };
        var changed = await Api.Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var rule = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/alerts/rules/cpu-high"), SentinelJsonContext.Default.AlertRule);
        Assert.Equal((95.0, 85.0, 30.0), (rule!.Threshold, rule.ClearThreshold!.Value, rule.ForSeconds));
        // Left out, a rule is enabled, fires above its threshold and is a warning.
        await AddRule("""{"name":"Load over 64","metric":"load","threshold":64}""");
        var made = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/alerts/rules/load-over-64"), SentinelJsonContext.Default.AlertRule);
        Assert.Equal((true, AlertComparison.Above, AlertSeverity.Warning, 64.0), (made!.Enabled, made.Comparison, made.Severity, made.ClearThreshold!.Value));
        var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(master.Url, "api/alerts/rules/gpu-hot")) { Headers = { { "X-Sentinel-Request", "1" } } };
        Assert.Equal(HttpStatusCode.NoContent, (await Api.Http.SendAsync(delete)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Get(master.Url, "api/alerts/rules/gpu-hot")).StatusCode);
        var silence = await Api.Post(master.Url, "api/alerts/99/silence", """{"seconds":60}""");
        Assert.Equal(HttpStatusCode.NotFound, silence.StatusCode);
        Assert.Contains("alert-not-found", await silence.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task After_a_start_alerts_are_held_back_until_the_hold_off_has_passed_on_the_masters_clock()
    {
        var clock = new ManualClock();
        clock.Set(DateTimeOffset.UtcNow);
        var master = Start(o => o with { AlertHoldOff = TimeSpan.FromSeconds(30) }, clock);
        await AddRule("""{"id":"busy","name":"busy","metric":"cpu","threshold":50}""");
        Agent("busy01", 99);
        await Wait.Until(async () => (await Api.Machine(master.Url, "busy01"))?.Latest?.CpuPercent == 99, TimeSpan.FromSeconds(30), "busy01 reports 99%");
        var engine = master.Context.Alerts;
        long passes = engine.Passes;
        await Wait.Until(() => engine.Passes >= passes + 3, TimeSpan.FromSeconds(30), "three evaluation passes after the sample");
        Assert.True(engine.HoldingOff);
        Assert.Empty(await Alerts());
        Assert.Equal(0, (await Api.Status(master.Url)).AlertsFiring);

        clock.Set(clock.GetUtcNow().AddSeconds(31));
        var fired = await WaitAlert("busy", "busy01", a => a.State == AlertState.Firing, "the held-back alert fires once the hold-off has passed");
        Assert.Equal(clock.GetUtcNow(), fired.FiredAt);
    }

    [Fact]
    public async Task A_silenced_alert_is_not_counted_as_firing_until_the_silence_is_lifted()
    {
        var master = Start();
        await AddRule("""{"id":"busy","name":"busy","metric":"cpu","threshold":50}""");
        Agent("busy02", 99);
        var fired = await WaitAlert("busy", "busy02", a => a.State == AlertState.Firing, "the alert fires");
        var r = await Api.Post(master.Url, $"api/alerts/{fired.Id}/silence", """{"seconds":3600}""");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var silenced = JsonSerializer.Deserialize(await r.Content.ReadAsStringAsync(), SentinelJsonContext.Default.Alert)!;
        Assert.Equal(AlertState.Silenced, silenced.State);
        Assert.True(silenced.SilencedUntil > DateTimeOffset.UtcNow.AddMinutes(59));
        Assert.DoesNotContain(master.Context.Alerts.Open(), a => a.State == AlertState.Firing && a.Id == fired.Id);
        var lifted = await Api.Post(master.Url, $"api/alerts/{fired.Id}/silence", """{"seconds":0}""");
        Assert.Equal(AlertState.Firing, JsonSerializer.Deserialize(await lifted.Content.ReadAsStringAsync(), SentinelJsonContext.Default.Alert)!.State);
        var bad = await Api.Post(master.Url, $"api/alerts/{fired.Id}/silence", """{}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var a in _agents)
        {
            try { await a.DisposeAsync(); } catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException) { }
        }
        if (_master is not null) await _master.DisposeAsync();
        _dir.Dispose();
    }
}
