using Sentinel.Master.Alerts;
using Sentinel.Master.Storage;

namespace Sentinel.Master.Tests;

/// <summary>The alert engine alone: a real store in a temp folder, a clock the test moves, machines described by hand.</summary>
public sealed class AlertEngineTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly ManualClock _clock = new();
    private SampleStore _store = null!;
    private readonly List<(Alert Alert, string Change)> _notes = [];

    public Task InitializeAsync()
    {
        _store = SampleStore.Open(_dir.Path, time: _clock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private AlertEngine Engine(TimeSpan? holdOff = null, bool commands = false)
        => new(_clock, holdOff ?? TimeSpan.Zero, _store, commands, (a, _, change) => _notes.Add((a, change)));

    /// <summary>An engine with only <paramref name="rules"/> (the shipped defaults removed).</summary>
    private AlertEngine EngineWith(TimeSpan? holdOff, params AlertRule[] rules)
    {
        var e = Engine(holdOff);
        foreach (var r in e.Rules()) e.RemoveRule(r.Id);
        foreach (var r in rules) e.AddRule(r);
        return e;
    }

    private static MachineFacts Node(string name, double cpu, bool online = true, Dictionary<string, string>? tags = null, double? gpuTemp = null) => new(
        name, tags ?? [], online, new MachineSample
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            IntervalSeconds = 1,
            Cpu = new CpuSample { CpuPercent = cpu },
            Memory = new MemorySample { TotalBytes = 100, UsedBytes = 40, UsedPercent = 40 },
            Gpus = gpuTemp is { } t ? [new GpuSample { Name = "gpu", TemperatureCelsius = t }] : [],
        });

    private static void Step(AlertEngine e, params MachineFacts[] machines) => e.Evaluate(machines, () => machines);

    private void Advance(double seconds) => _clock.Set(_clock.GetUtcNow().AddSeconds(seconds));

    private static readonly AlertRule Cpu90 = new() { Id = "cpu", Name = "CPU above 90%", Metric = AlertMetric.Cpu, Threshold = 90, ClearThreshold = 70, ForSeconds = 10 };

    [Fact]
    public void A_rule_fires_only_after_its_for_duration_and_resolves_only_below_the_clear_threshold()
    {
        var e = EngineWith(null, Cpu90);
        Step(e, Node("n1", 95));
        Advance(5);
        Step(e, Node("n1", 96));
        Assert.Empty(e.Open()); // above for 5 s of the 10 needed
        Advance(2);
        Step(e, Node("n1", 50)); // a dip resets the clock
        Advance(1);
        Step(e, Node("n1", 97));
        Advance(9);
        Step(e, Node("n1", 97));
        Assert.Empty(e.Open());
        Advance(1);
        Step(e, Node("n1", 98));
        var a = Assert.Single(e.Open());
        Assert.Equal(("n1", "cpu", AlertState.Firing, 98.0), (a.Machine, a.RuleId, a.State, a.FiredValue!.Value));
        Assert.Equal(_clock.GetUtcNow(), a.FiredAt);

        // Hysteresis: back under the threshold but above the clear threshold keeps it open.
        Advance(1);
        Step(e, Node("n1", 85));
        Assert.Equal(AlertState.Firing, Assert.Single(e.Open()).State);
        Assert.Equal(85, e.Open()[0].Value);
        Advance(1);
        Step(e, Node("n1", 69));
        Assert.Empty(e.Open());
        Assert.Equal(["firing", "resolved"], _notes.Select(n => n.Change));
        Assert.Equal(a.Id, _notes[1].Alert.Id);
        Assert.Equal(_clock.GetUtcNow(), _notes[1].Alert.ResolvedAt);
        var changes = e.TakeChanges();
        Assert.Equal(AlertState.Resolved, Assert.Single(changes).State); // the viewers get the alert as it is now, once
        Assert.Empty(e.TakeChanges());
    }

    [Fact]
    public void Nothing_fires_during_the_hold_off_and_what_still_holds_fires_when_it_ends()
    {
        var e = EngineWith(TimeSpan.FromSeconds(30), Cpu90 with { ForSeconds = 0 }, new AlertRule { Id = "off", Name = "Offline", Metric = AlertMetric.Offline, Threshold = 0.5 });
        Assert.True(e.HoldingOff);
        Step(e, Node("busy", 99), Node("back", 10, online: false), Node("gone", 10, online: false));
        Advance(10);
        Step(e, Node("busy", 99), Node("back", 10, online: true)); // "back" reconnects within the hold-off
        Advance(19);
        e.Evaluate([], () => [Node("busy", 99), Node("back", 10), Node("gone", 10, online: false)]);
        Assert.Empty(e.Open());
        Assert.Empty(_notes);
        Advance(1.5);
        Assert.False(e.HoldingOff);
        e.Evaluate([], () => [Node("busy", 99), Node("back", 10), Node("gone", 10, online: false)]);
        Assert.Equal(["busy cpu", "gone off"], e.Open().Select(a => $"{a.Machine} {a.RuleId}").Order());
        Assert.Equal(2, _notes.Count);
    }

    [Fact]
    public void An_offline_rule_with_a_for_duration_fires_on_the_clock_without_new_samples_and_resolves_when_the_machine_is_back()
    {
        var e = EngineWith(null, new AlertRule { Id = "off", Name = "Offline 60 s", Metric = AlertMetric.Offline, Threshold = 0.5, ForSeconds = 60 });
        Step(e, Node("n1", 10, online: false));
        Advance(59);
        e.Evaluate([], () => []);
        Assert.Empty(e.Open());
        Advance(1);
        e.Evaluate([], () => []); // no machine changed: the pending condition fires by time alone
        Assert.Equal("n1", Assert.Single(e.Open()).Machine);
        Step(e, Node("n1", 10, online: true));
        Assert.Empty(e.Open());
    }

    [Fact]
    public void Scope_by_name_pattern_and_tag()
    {
        var e = EngineWith(null,
            new AlertRule { Id = "gpu-nodes", Name = "hot GPU", Metric = AlertMetric.GpuTemperature, Threshold = 85, Machines = "gpu*" },
            new AlertRule { Id = "rack-a", Name = "busy rack a", Metric = AlertMetric.Cpu, Threshold = 50, Tag = "rack=a" },
            new AlertRule { Id = "any-rack", Name = "busy racked", Metric = AlertMetric.Cpu, Threshold = 60, Tag = "rack" });
        Step(e, Node("gpu01", 55, gpuTemp: 90, tags: new() { ["rack"] = "a" }), Node("cpu01", 70, gpuTemp: 95, tags: new() { ["rack"] = "b" }), Node("gpu02", 99, gpuTemp: 40));
        Assert.Equal(["cpu01 any-rack", "gpu01 gpu-nodes", "gpu01 rack-a"], e.Open().Select(a => $"{a.Machine} {a.RuleId}").Order());
    }

    [Fact]
    public void Acknowledge_and_silence_change_the_state_and_a_silence_ends_on_the_clock()
    {
        var e = EngineWith(null, Cpu90 with { ForSeconds = 0 });
        Step(e, Node("n1", 99));
        var a = Assert.Single(e.Open());
        Assert.Equal((1, 1), e.Counts());
        var acked = e.Acknowledge(a.Id, "alice");
        Assert.Equal((AlertState.Acknowledged, "alice", _clock.GetUtcNow()), (acked.State, acked.AcknowledgedBy, acked.AcknowledgedAt!.Value));
        Assert.Equal((0, 1), e.Counts());
        var silenced = e.Silence(a.Id, _clock.GetUtcNow().AddMinutes(10), "bob");
        Assert.Equal((AlertState.Silenced, "bob"), (silenced.State, silenced.SilencedBy));
        Advance(599);
        Step(e, Node("n1", 99));
        Assert.Equal(AlertState.Silenced, e.Open()[0].State);
        Advance(1);
        Step(e, Node("n1", 99));
        Assert.Equal(AlertState.Acknowledged, e.Open()[0].State); // back to what it was underneath
        Assert.Null(e.Open()[0].SilencedUntil);

        var gone = Assert.Throws<AlertRequestException>(() => e.Acknowledge(12345, "x"));
        Assert.Equal((404, "alert-not-found"), (gone.Status, gone.Code));
        // Silenced alerts resolve without actions; the firing note went out once.
        e.Silence(a.Id, _clock.GetUtcNow().AddMinutes(5), "bob");
        Step(e, Node("n1", 1));
        Assert.Empty(e.Open());
        Assert.Equal(["firing"], _notes.Select(n => n.Change));
    }

    [Fact]
    public async Task Rules_and_open_alerts_survive_a_restart_and_the_defaults_are_seeded_once()
    {
        var first = Engine();
        Assert.Equal(AlertRules.Defaults.Select(r => r.Id), first.Rules().Select(r => r.Id));
        Assert.Contains(first.Rules(), r => r.Metric == AlertMetric.Cpu && r.Threshold == 90 && r.ForSeconds == 10);
        first.RemoveRule("gpu-hot");
        first.AddRule(new AlertRule { Name = "Load over 64", Metric = AlertMetric.Load, Threshold = 64 });
        Step(first, Node("n1", 99));
        Advance(10);
        Step(first, Node("n1", 99));
        var open = Assert.Single(first.Open());
        first.Acknowledge(open.Id, "alice");
        await _store.FlushAsync();

        var second = Engine(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(second.Rules(), r => r.Id == "gpu-hot");
        Assert.Contains(second.Rules(), r => r.Id == "load-over-64" && r.Threshold == 64);
        var restored = Assert.Single(second.Open());
        Assert.Equal((open.Id, AlertState.Acknowledged, "alice"), (restored.Id, restored.State, restored.AcknowledgedBy));
        // It resolves on the new master like any other, even during the hold-off, and new ids continue after it.
        Step(second, Node("n1", 5));
        Assert.Empty(second.Open());
        await _store.FlushAsync();
        Assert.Equal(AlertState.Resolved, _store.LoadAlert(open.Id)!.State);
    }

    [Fact]
    public async Task A_database_from_before_alerts_gets_the_alert_tables_and_the_default_rules()
    {
        // What an older master left: its tables, without the alert ones and without the mark that the defaults went in.
        using (var c = _store.OpenRead())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "DROP TABLE alert_rules; DROP TABLE alerts; DELETE FROM meta WHERE key = 'alert_rules_seeded'";
            cmd.ExecuteNonQuery();
        }
        await _store.DisposeAsync();
        _store = SampleStore.Open(_dir.Path, time: _clock);
        var e = Engine();
        Assert.Equal(AlertRules.Defaults.Select(r => r.Id), e.Rules().Select(r => r.Id));
        Step(e, Node("n1", 10, online: false));
        Assert.Equal("offline", Assert.Single(e.Open()).RuleId);
        await _store.FlushAsync();
        Assert.NotNull(_store.LoadAlert(e.Open()[0].Id));
    }

    [Fact]
    public void Bad_rules_are_refused_naming_the_field()
    {
        var e = Engine();
        string Refused(AlertRule r) => Assert.Throws<AlertRequestException>(() => e.AddRule(r)).Message;
        Assert.StartsWith("clearThreshold:", Refused(new AlertRule { Name = "x", Metric = AlertMetric.Cpu, Threshold = 90, ClearThreshold = 95 }));
        Assert.StartsWith("forSeconds:", Refused(new AlertRule { Name = "x", Metric = AlertMetric.Cpu, Threshold = 90, ForSeconds = -1 }));
        Assert.StartsWith("webhookUrl:", Refused(new AlertRule { Name = "x", Threshold = 1, WebhookUrl = "file:///etc/passwd" }));
        Assert.StartsWith("name:", Refused(new AlertRule { Name = " ", Threshold = 1 }));
        Assert.StartsWith("id:", Refused(new AlertRule { Id = "a b", Name = "x", Threshold = 1 }));
        Assert.Contains("--allow-alert-commands", Refused(new AlertRule { Name = "x", Threshold = 1, Command = ["/bin/true"] }));
        var exists = Assert.Throws<AlertRequestException>(() => e.AddRule(new AlertRule { Id = "offline", Name = "again", Metric = AlertMetric.Offline }));
        Assert.Equal((409, "rule-exists"), (exists.Status, exists.Code));
        Assert.Equal(404, Assert.Throws<AlertRequestException>(() => e.UpdateRule("nosuch", Cpu90 with { Id = "" })).Status);
        Assert.Contains("cannot change", Assert.Throws<AlertRequestException>(() => e.UpdateRule("offline", Cpu90)).Message); // the body names another id
    }

    [Fact]
    public void Changing_a_rule_resolves_its_open_alerts_and_judges_afresh()
    {
        var e = EngineWith(null, Cpu90 with { ForSeconds = 0 });
        Step(e, Node("n1", 95));
        Assert.Single(e.Open());
        e.UpdateRule("cpu", Cpu90 with { Id = "", Threshold = 97, ClearThreshold = 90, ForSeconds = 0 });
        Assert.Empty(e.Open());
        e.Evaluate([], () => [Node("n1", 98)]); // a rule change makes the next pass a full one
        Assert.Equal(97, Assert.Single(e.Open()).Threshold);
    }
}
