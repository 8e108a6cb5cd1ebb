using System.Net.Http.Json;
using Sentinel.Agent;
using Sentinel.Commands;
using Sentinel.Json;
using Sentinel.Master.Storage;

namespace Sentinel.Master.Tests;

/// <summary>
/// What the store deletes at its maintenance pass and what it keeps: audit entries and resolved alerts past their
/// retention go, recent ones and alerts still open stay however old; on a real SQLite file and a clock the test moves.
/// And the ring of recent figures (--recent-history) switched off: the fleet history is then SQLite's, and the same.
/// </summary>
public class RetentionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Auth.Principal Alice = new("alice", Auth.Role.Admin, "password");

    private static long Audit(AuditLog log, string command)
        => log.Add(Alice, "192.0.2.1:5000", "command", null, ["node1"], command, "accepted", null, [new AuditOutcome { Machine = "node1", Outcome = "completed" }]);

    private static Alert Alert(long id, AlertState state, DateTimeOffset fired, DateTimeOffset? resolved) => new()
    {
        Id = id, Machine = "node1", RuleId = "cpu-high", RuleName = "CPU high", State = state, FiredAt = fired, ResolvedAt = resolved,
        ChangedAt = resolved ?? fired, Threshold = 90, ClearThreshold = 80,
    };

    private static List<string> AuditCommands(AuditLog log) => log.Query(new AuditQuery(Limit: 1000)).Select(e => e.Command).Order().ToList();

    [Fact]
    public async Task Old_audit_entries_and_old_resolved_alerts_go_at_maintenance_while_recent_ones_and_open_alerts_stay()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(T0);
        var logLines = new List<string>();
        await using var store = SampleStore.Open(dir.Path, new StoreOptions(), clock, line => { lock (logLines) logLines.Add(line); }); // 365 d and 90 d
        var audit = new AuditLog(store.DatabasePath, clock, _ => { });

        Audit(audit, "at-day-0");
        clock.Set(T0.AddDays(30));
        Audit(audit, "at-day-30");
        store.SaveAlert(Alert(1, AlertState.Resolved, T0.AddDays(30), T0.AddDays(30).AddHours(1)));     // resolved long ago
        store.SaveAlert(Alert(2, AlertState.Firing, T0.AddDays(30), null));                             // firing since long ago
        store.SaveAlert(Alert(3, AlertState.Acknowledged, T0.AddDays(30), null));
        store.SaveAlert(Alert(4, AlertState.Silenced, T0.AddDays(30), null));
        clock.Set(T0.AddDays(200));
        Audit(audit, "at-day-200");
        store.SaveAlert(Alert(5, AlertState.Resolved, T0.AddDays(30), T0.AddDays(320)));                // fired long ago, resolved lately
        clock.Set(T0.AddDays(380));
        Audit(audit, "at-day-380");
        store.SaveAlert(Alert(6, AlertState.Resolved, T0.AddDays(379), T0.AddDays(380)));
        clock.Set(T0.AddDays(400));
        await store.FlushAsync();

        // Day 400, before the pass: nothing has gone yet.
        Assert.Equal(["at-day-0", "at-day-200", "at-day-30", "at-day-380"], AuditCommands(audit));
        Assert.Equal(6, Enumerable.Range(1, 6).Count(id => store.LoadAlert(id) is not null));

        await store.MaintainAsync();
        Assert.Equal(["at-day-200", "at-day-380"], AuditCommands(audit));  // day 0 and day 30 are more than 365 days old
        Assert.Null(store.LoadAlert(1));                                    // resolved 370 days ago
        Assert.Equal([AlertState.Firing, AlertState.Acknowledged, AlertState.Silenced], new long[] { 2, 3, 4 }.Select(id => store.LoadAlert(id)!.State));
        Assert.NotNull(store.LoadAlert(5));                                 // resolved 80 days ago
        Assert.NotNull(store.LoadAlert(6));
        Assert.Contains(logLines, l => l.Contains("removed 2 audit entries older than 365d", StringComparison.Ordinal));
        var (open, maxId) = store.LoadOpenAlerts();
        Assert.Equal([2L, 3, 4], open.Select(a => a.Id));
        Assert.Equal(6, maxId);

        // Forty more days: alert 5 is now 120 days past its resolution and goes; the open ones still stay.
        clock.Set(T0.AddDays(440));
        await store.MaintainAsync();
        Assert.Null(store.LoadAlert(5));
        Assert.Equal([2L, 3, 4, 6], Enumerable.Range(1, 6).Select(i => (long)i).Where(id => store.LoadAlert(id) is not null));
    }

    [Fact]
    public async Task Retention_follows_the_options_and_zero_keeps_for_good()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(T0);
        await using (var shortLived = SampleStore.Open(dir.Path, new StoreOptions { AuditRetention = TimeSpan.FromHours(12), AlertRetention = TimeSpan.FromHours(12) }, clock))
        {
            var audit = new AuditLog(shortLived.DatabasePath, clock, _ => { });
            Audit(audit, "thirteen-hours-old");
            shortLived.SaveAlert(Alert(1, AlertState.Resolved, T0, T0));
            clock.Set(T0.AddHours(2));
            Audit(audit, "eleven-hours-old");
            shortLived.SaveAlert(Alert(2, AlertState.Resolved, T0, T0.AddHours(2)));
            clock.Set(T0.AddHours(13));
            Audit(audit, "new");
            shortLived.SaveAlert(Alert(3, AlertState.Resolved, T0.AddHours(13), T0.AddHours(13)));
            await shortLived.MaintainAsync();
            Assert.Equal(["eleven-hours-old", "new"], AuditCommands(audit));
            Assert.Equal([2L, 3], new long[] { 1, 2, 3 }.Where(id => shortLived.LoadAlert(id) is not null));
        }

        // The same file, ten years on, with retention off: everything left stays.
        clock.Set(T0.AddDays(3650));
        await using var forever = SampleStore.Open(dir.Path, new StoreOptions { AuditRetention = TimeSpan.Zero, AlertRetention = TimeSpan.Zero }, clock);
        var again = new AuditLog(forever.DatabasePath, clock, _ => { });
        Audit(again, "ten-years-on");
        await forever.MaintainAsync();
        Assert.Equal(["eleven-hours-old", "new", "ten-years-on"], AuditCommands(again));
        Assert.Equal([2L, 3], new long[] { 1, 2, 3 }.Where(id => forever.LoadAlert(id) is not null));
    }

    [Fact]
    public async Task When_every_row_is_old_the_newest_stays_so_no_id_is_given_twice()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(T0);
        long lastAudit;
        await using (var store = SampleStore.Open(dir.Path, new StoreOptions(), clock))
        {
            var audit = new AuditLog(store.DatabasePath, clock, _ => { });
            Audit(audit, "first");
            lastAudit = Audit(audit, "second");
            store.SaveAlert(Alert(7, AlertState.Resolved, T0, T0));
            store.SaveAlert(Alert(8, AlertState.Resolved, T0, T0));
            clock.Set(T0.AddDays(1000));
            await store.MaintainAsync();
            Assert.Equal(["second"], AuditCommands(audit));
            Assert.Null(store.LoadAlert(7));
            Assert.NotNull(store.LoadAlert(8));
        }
        await using var reopened = SampleStore.Open(dir.Path, new StoreOptions(), clock);
        Assert.Equal(8, reopened.LoadOpenAlerts().MaxId); // the engine numbers new alerts from here
        Assert.True(Audit(new AuditLog(reopened.DatabasePath, clock, _ => { }), "third") > lastAudit);
    }

    [Theory]
    [InlineData("RawRetention", "30m is outside 1h to 3660d")]
    [InlineData("RollupRetention", "1d is shorter than the raw samples' retention (2d)")]
    [InlineData("AuditRetention", "-1d is outside 1h to 3660d")]
    [InlineData("AlertRetention", "5000d is outside 1h to 3660d")]
    [InlineData("RecentSeconds", "-1 s is outside 0 (off) to 3600 s")]
    public void An_option_out_of_range_is_refused_naming_it(string property, string message)
    {
        var options = property switch
        {
            "RawRetention" => new StoreOptions { RawRetention = TimeSpan.FromMinutes(30) },
            "RollupRetention" => new StoreOptions { RollupRetention = TimeSpan.FromDays(1) },
            "AuditRetention" => new StoreOptions { AuditRetention = TimeSpan.FromDays(-1) },
            "AlertRetention" => new StoreOptions { AlertRetention = TimeSpan.FromDays(5000) },
            _ => new StoreOptions { RecentSeconds = -1 },
        };
        var problem = Assert.Single(options.Problems());
        Assert.Equal(property, problem.Property);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => SampleStore.Open(dir.Path, options));
        Assert.StartsWith($"StoreOptions.{property}: {message}", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "sentinel.db")), "nothing is created with bad options");
        Assert.Empty(new StoreOptions().Problems());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(630)]
    public async Task With_the_ring_off_the_fleet_history_comes_from_sqlite_and_is_the_same(int recentSeconds)
    {
        using var dir = new TempDir();
        await using var master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir.Path, Store = new StoreOptions { RecentSeconds = recentSeconds } });
        await using var agent = new SentinelAgent(new AgentOptions
        {
            Master = master.Url, Name = "ring", HostId = "host-ring", Interval = TimeSpan.FromSeconds(1),
        }, new FakeSource());
        agent.Start();
        await Wait.Until(async () => (await Api.Status(master.Url)).SamplesStored >= 4, TimeSpan.FromSeconds(30), "4 samples are stored");
        await agent.DisposeAsync(); // nothing more arrives: the answers below are over the same samples

        var store = master.Context.Store;
        await store.FlushAsync();
        var now = DateTimeOffset.UtcNow;
        var (since, until) = (now.AddMinutes(-2), now);
        string query = $"api/fleet/history?since={Uri.EscapeDataString(since.ToString("O"))}&until={Uri.EscapeDataString(until.ToString("O"))}&step=1";
        long fromMemoryBefore = store.HistoryFromMemory;
        var history = await Api.Http.GetFromJsonAsync(new Uri(master.Url, query), SentinelJsonContext.Default.FleetHistory);

        var row = Assert.Single(history!.Machines);
        Assert.Equal("ring", row.Name);
        // Four samples, in at least three one-second buckets (the agent's first two may fall in one second).
        Assert.True(row.CpuPercent.Count(v => v is not null) >= 3, "a bucket per stored sample: " + string.Join(", ", row.CpuPercent.Where(v => v is not null)));
        Assert.All(row.MemoryUsedPercent.Where(v => v is not null), v => Assert.Equal(50, v)); // FakeSource's memory
        // What SQLite alone answers for the same range.
        var id = master.Context.Fleet.Ids().Single().Id;
        var sql = store.FleetHistory([id], since, until, TimeSpan.FromSeconds(1), fromMemory: false);
        Assert.Equal(sql.Buckets, history.Buckets);
        AssertClose(sql.ByMachine[id][0], row.CpuPercent);
        AssertClose(sql.ByMachine[id][1], row.MemoryUsedPercent);
        AssertClose(sql.ByMachine[id][4], row.NetworkTransmitBytesPerSecond);
        if (recentSeconds == 0)
        {
            Assert.Equal(0, store.RecentMachines);
            Assert.Equal(fromMemoryBefore, store.HistoryFromMemory);
        }
        else
        {
            Assert.Equal(1, store.RecentMachines);
            Assert.Equal(fromMemoryBefore + 1, store.HistoryFromMemory);
        }
    }

    // Means summed in another order may differ in the last bits.
    private static void AssertClose(double?[] expected, double?[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].HasValue == actual[i].HasValue && (expected[i] is null || Math.Abs(expected[i]!.Value - actual[i]!.Value) <= 1e-9 * Math.Max(1, Math.Abs(expected[i]!.Value))),
                $"bucket {i}: SQLite {expected[i]}, answered {actual[i]}");
        }
    }
}
