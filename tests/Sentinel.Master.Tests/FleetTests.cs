using System.Net.WebSockets;
using Sentinel.Agent;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>A real master on loopback with real agents (in this process, with synthetic samples).</summary>
public class FleetTests
{
    private static SentinelAgent Agent(Uri master, string name, double intervalSeconds = 0.2, string host = "sim-host", string? token = null)
        => new(new AgentOptions
        {
            Master = master, Name = name, Interval = TimeSpan.FromSeconds(intervalSeconds), Token = token, HostId = host,
            Tags = new() { ["rack"] = name.EndsWith('1') ? "a1" : "b2" },
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
        }, new FakeSource(host));

    /// <summary>The store holds seqs 1..<paramref name="taken"/> of the one agent run, each once: nothing lost, nothing twice.</summary>
    private static async Task AssertStoredOnceEach(string data, long taken)
    {
        await using var store = Storage.SampleStore.Open(data);
        using var c = store.OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM samples";
        using var r = cmd.ExecuteReader();
        r.Read();
        Assert.Equal(taken, r.GetInt64(0));          // every sample the agent took is stored
        Assert.Equal(r.GetInt64(0), r.GetInt64(1));  // none twice
        Assert.Equal(1, r.GetInt64(2));
        Assert.Equal(taken, r.GetInt64(3));          // no gaps: 1..taken
    }

    [Fact]
    public async Task The_fleet_appears_with_live_figures_inventory_and_tags()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        var agents = new[] { "node1", "node2", "node3" }.Select(n => Agent(master.Url, n, host: "host-" + n)).ToList();
        agents.ForEach(a => a.Start());
        try
        {
            await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Status == MachineStatus.Online && m.Latest is not null) == 3,
                TimeSpan.FromSeconds(15), "three machines are online with samples");
            var machines = await Api.Machines(master.Url);
            Assert.Equal(["node1", "node2", "node3"], machines.Select(m => m.Name));
            Assert.All(machines, m =>
            {
                Assert.Equal("Sim CPU", m.Inventory.CpuModel);
                Assert.Equal(master.Url.ToString().TrimEnd('/'), m.Source);
                Assert.NotNull(m.LastSeen);
            });
            Assert.Equal("a1", machines[0].Tags["rack"]);
            var status = await Api.Status(master.Url);
            Assert.Equal(3, status.MachinesOnline);
            Assert.Equal(3, status.AgentsConnected);
            Assert.True(status.SamplesStored > 0);
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_goodbye_makes_the_machine_offline_at_once_and_silence_after_three_intervals()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using (var polite = Agent(master.Url, "polite"))
        {
            polite.Start();
            await Wait.Until(async () => (await Api.Machine(master.Url, "polite"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(10), "polite is online");
            await polite.StopAsync();
        }
        Assert.Equal(MachineStatus.Offline, (await Api.Machine(master.Url, "polite"))!.Status);

        // A silent agent: hello and one sample, then nothing, with the TCP connection still open.
        await using var silent = await RawPeer.ConnectAsync(master.Url);
        await silent.SendHello(RawPeer.HelloFor("silent", interval: 1));
        await silent.ReceiveType(MessageTypes.Welcome);
        await silent.SendSamples(1);
        await silent.ExpectAck(1);
        var lastSample = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(MachineStatus.Online, (await Api.Machine(master.Url, "silent"))!.Status); // 2 intervals: still allowed
        await Wait.Until(async () => (await Api.Machine(master.Url, "silent"))!.Status == MachineStatus.Offline, TimeSpan.FromSeconds(5), "silent is offline");
        Assert.InRange(lastSample.Elapsed.TotalSeconds, 2.9, 4.5); // 3 intervals by the master's clock, plus one sweep
    }

    [Fact]
    public async Task A_master_restart_on_the_same_data_loses_no_sample_and_stores_none_twice()
    {
        using var dir = new TempDir();
        var first = Masters.Start(dir.Path);
        var url = first.Url;
        await using var agent = Agent(url, "steady", intervalSeconds: 0.1);
        agent.Start();
        await Wait.Until(() => agent.Status.AckedSeq >= 10, TimeSpan.FromSeconds(10), "ten samples are acked");
        await first.StopAsync();
        await Wait.Until(() => agent.Status.Buffered >= 10, TimeSpan.FromSeconds(10), "the agent buffers while the master is down");
        var second = Masters.Start(dir.Path, port: url.Port);
        await Wait.Until(() => agent.Status.Connected && agent.Status.Buffered <= 2, TimeSpan.FromSeconds(15), "the agent reconnects and replays");
        await agent.StopAsync();
        var taken = agent.Status.SamplesTaken;
        await second.StopAsync();

        await AssertStoredOnceEach(dir.Path, taken);
        Assert.True(agent.Status.Connects >= 2);
    }

    [Fact]
    public async Task When_the_store_fails_for_a_while_agents_are_sent_away_and_come_back_and_nothing_is_lost()
    {
        using var dir = new TempDir();
        bool failing = false;
        var master = MasterServer.Start(new MasterOptions
        {
            Port = 0, DataPath = dir.Path, Store = new Storage.StoreOptions { FailCommits = () => Volatile.Read(ref failing) },
        });
        await using var agent = Agent(master.Url, "through-a-full-disk", intervalSeconds: 0.1);
        agent.Start();
        await Wait.Until(() => agent.Status.AckedSeq >= 10, TimeSpan.FromSeconds(10), "ten samples are acked");
        var connects = agent.Status.Connects;
        Volatile.Write(ref failing, true);
        await Wait.Until(() => agent.Status.Connects > connects || !agent.Status.Connected, TimeSpan.FromSeconds(10), "the master sends the agent away");
        await Task.Delay(TimeSpan.FromSeconds(1)); // a second of failed commits, reconnects refused meanwhile
        Assert.True((await Api.Status(master.Url)).StoreHealthy is false);
        Volatile.Write(ref failing, false);
        await Wait.Until(() => agent.Status.Connected && agent.Status.Buffered <= 2, TimeSpan.FromSeconds(15), "the agent is back and has replayed");
        await agent.StopAsync();
        var taken = agent.Status.SamplesTaken;
        await master.StopAsync();

        await AssertStoredOnceEach(dir.Path, taken);
    }

    [Fact]
    public async Task The_same_name_from_another_host_is_refused_and_the_first_agent_keeps_working()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var first = await RawPeer.ConnectAsync(master.Url);
        await first.SendHello(RawPeer.HelloFor("gpu01", host: "host-a"));
        await first.ReceiveType(MessageTypes.Welcome);

        await using var second = await RawPeer.ConnectAsync(master.Url);
        await second.SendHello(RawPeer.HelloFor("gpu01", host: "host-b"));
        var error = await second.ExpectError(ErrorCodes.NameInUse);
        Assert.Contains("gpu01", error.Message);
        await second.ExpectClose(WebSocketCloseStatus.PolicyViolation);

        await first.SendSamples(1, 2);
        Assert.Equal(2, await first.ExpectAck(2));
    }

    [Fact]
    public async Task The_same_name_from_the_same_host_takes_over_a_stale_connection()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var stale = await RawPeer.ConnectAsync(master.Url);
        await stale.SendHello(RawPeer.HelloFor("node7", host: "host-a"));
        await stale.ReceiveType(MessageTypes.Welcome);

        await using var fresh = await RawPeer.ConnectAsync(master.Url);
        await fresh.SendHello(RawPeer.HelloFor("node7", host: "host-a"));
        Assert.NotNull(await fresh.ReceiveType(MessageTypes.Welcome));
        await stale.ExpectClose(WebSocketCloseStatus.NormalClosure);
        await fresh.SendSamples(1);
        await fresh.ExpectAck(1);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_the_right_one_accepted()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path, token: "s3cret");
        await using (var wrong = await RawPeer.ConnectAsync(master.Url))
        {
            await wrong.SendHello(RawPeer.HelloFor("n1", token: "guess"));
            await wrong.ExpectError(ErrorCodes.Unauthorized);
            await wrong.ExpectClose(WebSocketCloseStatus.PolicyViolation);
        }
        await using (var none = await RawPeer.ConnectAsync(master.Url))
        {
            await none.SendHello(RawPeer.HelloFor("n1"));
            await none.ExpectError(ErrorCodes.Unauthorized);
        }
        await using var right = Agent(master.Url, "n1", token: "s3cret");
        right.Start();
        await Wait.Until(() => right.Status.AckedSeq > 0, TimeSpan.FromSeconds(10), "the agent with the token is acked");
        Assert.Null(await Api.Machine(master.Url, "guess"));
    }

    [Fact]
    public async Task A_viewer_gets_a_snapshot_then_live_updates()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var agent = Agent(master.Url, "watched");
        agent.Start();
        await Wait.Until(() => agent.Status.AckedSeq > 0, TimeSpan.FromSeconds(10), "the agent is acked");

        await using var viewer = await RawPeer.ConnectAsync(master.Url, "ws");
        var snapshot = (await viewer.Receive())!.Value;
        Assert.Equal(MessageTypes.Snapshot, snapshot.Type);
        Assert.Contains(snapshot.Read(SentinelJsonContext.Default.Snapshot, "x").Machines, m => m.Name == "watched");

        var updates = new List<MachineUpdate>();
        while (updates.Count(u => u.Sample is not null) < 3)
        {
            var env = (await viewer.ReceiveType(MessageTypes.Update))!.Value;
            updates.AddRange(env.Read(SentinelJsonContext.Default.FleetUpdate, "x").Machines.Where(m => m.Name == "watched"));
        }
        var times = updates.Where(u => u.Sample is not null).Select(u => u.Sample!.Timestamp).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(times.Count, times.Distinct().Count());
    }

    [Fact]
    public async Task Metrics_history_is_served_with_timestamps_and_bad_parameters_are_named()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var agent = Agent(master.Url, "hist", intervalSeconds: 0.1);
        agent.Start();
        await Wait.Until(() => agent.Status.AckedSeq >= 20, TimeSpan.FromSeconds(10), "20 samples are stored");
        var since = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        var response = await Api.Get(master.Url, $"api/machines/hist/metrics?since={Uri.EscapeDataString(since)}&step=1");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var series = System.Text.Json.JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), SentinelJsonContext.Default.MetricSeries)!;
        Assert.Equal("hist", series.Name);
        Assert.True(series.Points.Sum(p => p.Samples) >= 20);
        Assert.All(series.Points, p => Assert.Equal(50, p.MemoryUsedPercent));
        Assert.Equal(series.Points.Select(p => p.T).Order(), series.Points.Select(p => p.T));
        var json = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"t\":", json);

        // An offset typed without URL-encoding its '+' means the same instant as the encoded one.
        var local = DateTimeOffset.UtcNow.AddMinutes(-1).ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-ddTHH:mm:ss");
        var plain = await Api.Get(master.Url, $"api/machines/hist/metrics?since={local}+01:00&step=1");
        Assert.Equal(System.Net.HttpStatusCode.OK, plain.StatusCode);
        var plainSeries = System.Text.Json.JsonSerializer.Deserialize(await plain.Content.ReadAsStringAsync(), SentinelJsonContext.Default.MetricSeries)!;
        Assert.True(plainSeries.Points.Sum(p => p.Samples) >= 20);

        var bad = await Api.Get(master.Url, "api/machines/hist/metrics?since=yesterday");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("since", await bad.Content.ReadAsStringAsync());
        var missing = await Api.Get(master.Url, "api/machines/nope/metrics");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("machine-not-found", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_port_in_use_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        using var other = new TempDir();
        var data = Path.Combine(other.Path, "never-created");
        var e = Assert.Throws<MasterStartException>(() => Masters.Start(data, port: master.Url.Port));
        Assert.Contains($"port {master.Url.Port} is in use", e.Message);
        Assert.False(Directory.Exists(data), "a master that cannot listen must not leave a database behind");
    }

    [Fact]
    public async Task A_data_folder_that_cannot_be_made_is_named_and_the_port_is_released()
    {
        using var dir = new TempDir();
        var blocker = Path.Combine(dir.Path, "a-file");
        await File.WriteAllTextAsync(blocker, "not a folder");
        var e = Assert.Throws<MasterStartException>(() => Masters.Start(Path.Combine(blocker, "data")));
        Assert.Contains("Cannot open the data folder", e.Message);
        Assert.Contains(blocker, e.Message);
        // The listener was closed: the next master gets a port and serves.
        await using var master = Masters.Start(Path.Combine(dir.Path, "data"));
        Assert.Equal(0, (await Api.Status(master.Url)).MachinesOnline);
    }
}
