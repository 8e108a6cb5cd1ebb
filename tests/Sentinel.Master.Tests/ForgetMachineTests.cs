using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sentinel.Json;
using Sentinel.Master.Storage;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>
/// Forgetting machines: DELETE /api/machines/{name} on a real master with real agents, checked in the SQLite file, the
/// API, the audit log and a viewer's stream; and the maintenance pass forgetting machines silent past the roll-ups'
/// retention, on a clock the test moves.
/// </summary>
public class ForgetMachineTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static Task<HttpResponseMessage> Delete(Uri master, string name)
        => Http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri(master, "api/machines/" + Uri.EscapeDataString(name)))
        {
            Headers = { { "X-Sentinel-Request", "1" } },
        });

    /// <summary>Rows of each table that belong to machine <paramref name="id"/>, read from the database file itself.</summary>
    private static Dictionary<string, long> RowsInFile(string databasePath, long id)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        var counts = new Dictionary<string, long>();
        foreach (var (table, column) in new[] { ("machines", "id"), ("samples", "machine_id"), ("rollup_1m", "machine_id"), ("boots", "machine_id"), ("connections", "machine_id") })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM {table} WHERE {column} = @m";
            cmd.Parameters.AddWithValue("@m", id);
            counts[table] = (long)cmd.ExecuteScalar()!;
        }
        return counts;
    }

    private static async Task<string> ErrorCode(HttpResponseMessage r)
        => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString()!;

    [Fact]
    public async Task A_stopped_agent_is_forgotten_with_its_history_while_its_results_and_the_audit_entry_stay_and_viewers_drop_it()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var gone = JobTests.Agent(master.Url, "forget-gone");
        await using var stays = JobTests.Agent(master.Url, "forget-stays");
        gone.Start();
        stays.Start();
        await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Status == MachineStatus.Online) == 2, TimeSpan.FromSeconds(20), "both agents are online");

        var job = await Api.StartJob(master.Url, """{"benchmark":"cpu","machines":["forget-gone"],"parameters":{"seconds":"0.2"}}""");
        job = await Api.WaitJob(master.Url, job.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(BenchmarkState.Completed, job.State);

        var store = master.Context.Store;
        long id = master.Context.Fleet.Find("forget-gone")!.Id;
        await Wait.Until(() => store.CountSamples(id) >= 2, TimeSpan.FromSeconds(20), "samples of forget-gone are stored");
        await store.MaintainAsync(); // roll-ups of what is there, so that they too must go
        await gone.StopAsync();
        await Wait.Until(async () => (await Api.Machine(master.Url, "forget-gone"))?.Status == MachineStatus.Offline, TimeSpan.FromSeconds(20), "forget-gone is offline");
        var before = RowsInFile(store.DatabasePath, id);
        Assert.True(before["machines"] == 1 && before["samples"] > 0 && before["boots"] > 0 && before["connections"] > 0, string.Join(", ", before));

        await using var viewer = await RawPeer.ConnectAsync(master.Url, "ws");
        Assert.Equal(MessageTypes.Snapshot, (await viewer.Receive())!.Value.Type);

        var r = await Delete(master.Url, "forget-gone");
        Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);

        // Gone from the API and, once the writer has committed (before the answer), from the file.
        Assert.Equal(["forget-stays"], (await Api.Machines(master.Url)).Select(m => m.Name));
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Get(master.Url, "api/machines/forget-gone")).StatusCode);
        Assert.All(RowsInFile(store.DatabasePath, id), kv => Assert.True(kv.Value == 0, $"{kv.Key} still holds {kv.Value} rows of the removed machine"));
        Assert.DoesNotContain("forget-gone", await (await Api.Get(master.Url, "metrics")).Content.ReadAsStringAsync());

        // Its benchmark result stays, under its name.
        var results = JsonSerializer.Deserialize(await (await Api.Get(master.Url, $"api/results?job={job.Id}&metrics=true")).Content.ReadAsStringAsync(),
            SentinelJsonContext.Default.ListBenchmarkResult)!;
        Assert.Equal("forget-gone", Assert.Single(results).Machine);
        Assert.Equal(BenchmarkState.Completed, results[0].State);

        // The audit log says who removed it.
        var audit = (await Http.GetFromJsonAsync(new Uri(master.Url, "api/audit?machine=forget-gone"), SentinelJsonContext.Default.ListAuditEntry))!;
        var entry = Assert.Single(audit, e => e.Action == "machine-delete");
        Assert.Equal(["forget-gone"], entry.Machines);
        Assert.Equal("accepted", entry.Outcome);

        // A viewer learns it in an update, without a new snapshot.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<string>? removed = null;
        while (removed is null && DateTime.UtcNow < deadline)
        {
            var env = await viewer.Receive(TimeSpan.FromSeconds(30));
            Assert.NotNull(env);
            Assert.NotEqual(MessageTypes.Snapshot, env!.Value.Type);
            if (env.Value.Type == MessageTypes.Update) removed = env.Value.Read(SentinelJsonContext.Default.FleetUpdate, "x").Removed;
        }
        Assert.Equal(["forget-gone"], removed);

        // Twice is not found; the same name again later is a new machine with no history.
        Assert.Equal(HttpStatusCode.NotFound, (await Delete(master.Url, "forget-gone")).StatusCode);
        await using var again = JobTests.Agent(master.Url, "forget-gone");
        again.Start();
        await Wait.Until(async () => (await Api.Machine(master.Url, "forget-gone"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), "forget-gone is back as a new machine");
        // SQLite may give it the freed id again; nothing of the old machine is left to mix with it.
        Assert.Equal(1, RowsInFile(store.DatabasePath, master.Context.Fleet.Find("forget-gone")!.Id)["boots"]);
        var history = JsonDocument.Parse(await (await Api.Get(master.Url, "api/machines/forget-gone/connections")).Content.ReadAsStringAsync());
        Assert.DoesNotContain("disconnected", history.RootElement.ToString());
    }

    [Fact]
    public async Task An_online_machine_is_refused_with_machine_online_and_an_unknown_one_with_machine_not_found()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var agent = JobTests.Agent(master.Url, "forget-live");
        agent.Start();
        await Wait.Until(async () => (await Api.Machine(master.Url, "forget-live"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), "the agent is online");

        var r = await Delete(master.Url, "forget-live");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        var body = await r.Content.ReadAsStringAsync();
        Assert.Equal("machine-online", await ErrorCode(r));
        Assert.Contains("stop its agent first", body);
        Assert.Equal(MachineStatus.Online, (await Api.Machine(master.Url, "forget-live"))!.Status);
        Assert.Equal(1, master.Context.Store.CountRows(master.Context.Fleet.Find("forget-live")!.Id)["machines"]);

        r = await Delete(master.Url, "no-such-machine");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("machine-not-found", await ErrorCode(r));
        var audit = (await Http.GetFromJsonAsync(new Uri(master.Url, "api/audit"), SentinelJsonContext.Default.ListAuditEntry))!;
        Assert.DoesNotContain(audit, e => e.Action == "machine-delete");
    }

    [Fact]
    public async Task A_removed_machines_open_alert_resolves_and_stays_in_the_alert_history()
    {
        using var dir = new TempDir();
        await using var master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir.Path, AlertHoldOff = TimeSpan.Zero });
        var rule = await Api.Post(master.Url, "api/alerts/rules", """{"id":"mem-any","name":"Memory used","metric":"memory","threshold":0.5}""");
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
        await using var agent = JobTests.Agent(master.Url, "forget-alerted");
        agent.Start();
        async Task<Alert?> Alert() => (await Http.GetFromJsonAsync(new Uri(master.Url, "api/alerts"), SentinelJsonContext.Default.ListAlert))!
            .SingleOrDefault(a => a.RuleId == "mem-any" && a.Machine == "forget-alerted");
        await Wait.Until(async () => (await Alert())?.State == AlertState.Firing, TimeSpan.FromSeconds(30), "the memory rule fires on the agent");
        await agent.StopAsync();
        await Wait.Until(async () => (await Api.Machine(master.Url, "forget-alerted"))?.Status == MachineStatus.Offline, TimeSpan.FromSeconds(20), "the machine is offline");
        Assert.Equal(AlertState.Firing, (await Alert())!.State); // an offline machine's figure is not measurable: it stays open

        Assert.Equal(HttpStatusCode.NoContent, (await Delete(master.Url, "forget-alerted")).StatusCode);
        await Wait.Until(async () => (await Alert())?.State == AlertState.Resolved, TimeSpan.FromSeconds(30), "the alert resolves once the machine is removed");
        Assert.Empty(await Http.GetFromJsonAsync(new Uri(master.Url, "api/alerts?state=open"), SentinelJsonContext.Default.ListAlert) ?? []);
    }

    private static MachineSample Sample(DateTimeOffset t) => new()
    {
        Timestamp = t,
        IntervalSeconds = 1,
        Cpu = new CpuSample { CpuPercent = 10 },
        Memory = new MemorySample { TotalBytes = 100, UsedBytes = 40, UsedPercent = 40 },
    };

    private static async Task<long> Machine(SampleStore store, string name, DateTimeOffset at, int samples)
    {
        var reg = await store.RegisterAsync(name, "host-" + name, Guid.NewGuid().ToString("N"), "test", new Inventory { HostName = name }, [], 1);
        for (int i = 0; i < samples; i++)
        {
            Assert.True(store.TryEnqueue(reg.MachineId, reg.BootRow, i + 1, Sample(at.AddSeconds(i)), null));
        }
        store.RecordConnection(reg.MachineId, at, "connected", "192.0.2.1:4000", null);
        await store.FlushAsync();
        return reg.MachineId;
    }

    [Fact]
    public async Task The_maintenance_pass_forgets_machines_silent_past_the_rollup_retention_and_keeps_the_others()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        clock.Set(t0);
        var log = new List<string>();
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { RollupRetention = TimeSpan.FromDays(10) }, clock, line => { lock (log) log.Add(line); });
        var told = new List<(long, string)>();
        store.MachinesForgotten = gone => { lock (told) told.AddRange(gone); };
        store.MachineInUse = (_, name) => name == "held";

        long old = await Machine(store, "old", t0, 180);
        long held = await Machine(store, "held", t0, 5);
        clock.Set(t0.AddMinutes(5));
        await store.MaintainAsync(); // roll the old machine's minutes up, so roll-ups are there to go
        Assert.True(store.CountRows(old)["rollup_1m"] > 0);
        clock.Set(t0.AddDays(6));
        long recent = await Machine(store, "recent", t0.AddDays(6), 5);
        store.SaveJob(new BenchmarkJob
        {
            Id = "job-1", Benchmark = "Cpu", CreatedAt = t0, State = BenchmarkState.Completed,
            Parts = [new BenchmarkJobPart
            {
                Machine = "old", State = BenchmarkState.Completed, StartedAt = t0, FinishedAt = t0.AddSeconds(1),
                Result = new BenchmarkResult { Machine = "old", JobId = "job-1", Benchmark = "Cpu", StartedAt = t0, FinishedAt = t0.AddSeconds(1) },
            }],
        });
        await store.FlushAsync();

        // Day 9: nothing is past the 10 days yet.
        clock.Set(t0.AddDays(9));
        await store.MaintainAsync();
        Assert.Equal(3, store.LoadMachines().Count);
        Assert.Empty(told);

        // Day 11: "old" was last heard of 11 days ago and goes, with all its rows; "held" is as old but an agent holds it.
        clock.Set(t0.AddDays(11));
        await store.MaintainAsync();
        Assert.Equal(["held", "recent"], store.LoadMachines().Select(m => m.Name));
        Assert.All(store.CountRows(old), kv => Assert.True(kv.Value == 0, $"{kv.Key} still holds {kv.Value} rows of the forgotten machine"));
        Assert.Equal([(old, "old")], told);
        Assert.Contains(log, l => l.Contains("forgot 1 machine") && l.Contains("old"));
        Assert.Equal("old", Assert.Single(store.QueryResults(null, ["old"], null, null, 10)).Machine);
        Assert.Equal(1, store.CountRows(recent)["machines"]);
        Assert.Equal(1, store.CountRows(held)["machines"]);

        // Day 17: "recent" (last sample on day 6) goes too.
        clock.Set(t0.AddDays(17));
        await store.MaintainAsync();
        Assert.Equal(["held"], store.LoadMachines().Select(m => m.Name));
        Assert.Equal((recent, "recent"), told[^1]);
    }

    [Fact]
    public async Task A_master_forgets_a_machine_silent_past_the_retention_at_its_maintenance_pass_but_never_one_whose_agent_is_connected()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(DateTimeOffset.UtcNow);
        await using var master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir.Path }, clock);
        await using var gone = JobTests.Agent(master.Url, "silent-gone");
        await using var live = JobTests.Agent(master.Url, "silent-live");
        gone.Start();
        live.Start();
        await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Status == MachineStatus.Online) == 2, TimeSpan.FromSeconds(20), "both agents are online");
        await gone.StopAsync();
        await Wait.Until(async () => (await Api.Machine(master.Url, "silent-gone"))?.Status == MachineStatus.Offline, TimeSpan.FromSeconds(20), "silent-gone is offline");
        long id = master.Context.Fleet.Find("silent-gone")!.Id;

        await using var viewer = await RawPeer.ConnectAsync(master.Url, "ws");
        Assert.Equal(MessageTypes.Snapshot, (await viewer.Receive())!.Value.Type);

        // 36 days on by the master's clock: the connected agent's samples carry the real time, older than the retention by that
        // clock, and it stays all the same.
        clock.Set(DateTimeOffset.UtcNow + TimeSpan.FromDays(36));
        await master.Context.Store.MaintainAsync();
        Assert.Equal(["silent-live"], (await Api.Machines(master.Url)).Select(m => m.Name));
        Assert.Equal(0, master.Context.Store.CountRows(id)["machines"]);
        List<string>? removed = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (removed is null && DateTime.UtcNow < deadline)
        {
            var env = await viewer.Receive(TimeSpan.FromSeconds(30));
            Assert.NotNull(env);
            if (env!.Value.Type == MessageTypes.Update) removed = env.Value.Read(SentinelJsonContext.Default.FleetUpdate, "x").Removed;
        }
        Assert.Equal(["silent-gone"], removed);
    }
}
