using System.Net.Http.Json;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sentinel.Master.Tests;

/// <summary>The `sentinel` program as deployed: real master and agent processes, killed the hard way.</summary>
public class ProcessTests
{
    /// <summary>Every process a test started, so a failure can show what each one printed.</summary>
    private readonly List<SentinelProcess> _started = [];

    private SentinelProcess Start(params string[] args)
    {
        var p = new SentinelProcess(args);
        _started.Add(p);
        return p;
    }

    private async Task WithLogs(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            var logs = string.Join("\n", _started.Select((p, i) => $"--- process {i} (pid {p.Pid}) ---\n{p.Output}"));
            throw new Xunit.Sdk.XunitException(e.Message + "\n" + logs);
        }
    }

    private static int FreePort() => Testing.SentinelProgram.FreePort();

    private static async Task WaitForApi(Uri url)
        => await Wait.Until(async () =>
        {
            try { return (await Api.Get(url, "api/status")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(20), $"the master answers at {url}");

    [Fact]
    public Task A_killed_agent_goes_offline_within_three_intervals_and_a_terminated_one_at_once() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var master = Start("master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path);
        await WaitForApi(url);
        using var killed = Start("agent", "--master", url.ToString(), "--name", "killed", "--interval", "1s");
        using var stopped = Start("agent", "--master", url.ToString(), "--name", "stopped", "--interval", "1s");
        await Wait.Until(async () => (await Api.Machines(url)).Count(m => m.Status == MachineStatus.Online && m.Latest is not null) == 2,
            TimeSpan.FromSeconds(20), "both agents are online");

        stopped.Signal("TERM");
        Assert.Equal(0, stopped.WaitExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(MachineStatus.Offline, (await Api.Machine(url, "stopped"))!.Status); // at once: it said goodbye
        Assert.Contains("stopped (0 samples not acked)", stopped.Output);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(master.Output, "agent 'stopped' connected")); // no reconnect after goodbye

        var lastSeen = (await Api.Machine(url, "killed"))!.LastSeen!.Value;
        killed.Signal("KILL");
        await Wait.Until(async () => (await Api.Machine(url, "killed"))!.Status == MachineStatus.Offline, TimeSpan.FromSeconds(10), "the killed agent is offline");
        var offlineAfter = DateTimeOffset.UtcNow - lastSeen;
        // Three 1 s intervals after its last sample, plus the 100 ms sweep and polling; slack for a loaded CI machine.
        Assert.InRange(offlineAfter.TotalSeconds, 2.5, 6.0);
        Assert.Contains("agent 'killed' disconnected", master.Output);
    });

    [Fact]
    public Task The_programs_master_takes_alert_hold_off_and_logs_the_offline_alert_of_a_killed_agent() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        // Without --alert-hold-off 0 the alert would wait the default 30 s, past this test's waits.
        using var master = Start("master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path, "--alert-hold-off", "0");
        await WaitForApi(url);
        using var agent = Start("agent", "--master", url.ToString(), "--name", "proc01", "--interval", "1s");
        await Wait.Until(async () => (await Api.Machine(url, "proc01"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), "the agent is online");
        agent.Signal("KILL");
        await Wait.Until(() => master.Output.Contains("firing: Machine offline on proc01", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the master logs the offline alert");
        var alerts = (await Api.Http.GetFromJsonAsync(new Uri(url, "api/alerts?state=open"), global::Sentinel.Json.SentinelJsonContext.Default.ListAlert))!;
        Assert.Equal(("offline", AlertState.Firing), (Assert.Single(alerts).RuleId, alerts[0].State));
        Assert.Equal(1, (await Api.Status(url)).AlertsFiring);
    });

    [Fact]
    public Task A_master_killed_and_restarted_on_the_same_data_loses_no_sample_and_stores_none_twice() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        string[] masterArgs = ["master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path];
        var master = Start(masterArgs);
        await WaitForApi(url);
        using var agent = Start("agent", "--master", url.ToString(), "--name", "survivor", "--interval", "200ms");
        for (int round = 0; round < 3; round++)
        {
            await Wait.Until(async () => (await Api.Status(url)).SamplesStored >= 5, TimeSpan.FromSeconds(20), "samples are stored");
            master.Signal("KILL");
            master.WaitExit(TimeSpan.FromSeconds(10));
            master.Dispose();
            await Task.Delay(700); // the agent keeps sampling into its buffer
            master = Start(masterArgs);
            await WaitForApi(url);
        }
        await Wait.Until(async () => (await Api.Machine(url, "survivor"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), "the agent is back");
        await Task.Delay(1000);
        agent.Signal("TERM");
        Assert.Equal(0, agent.WaitExit(TimeSpan.FromSeconds(10)));
        Assert.Contains("stopped (0 samples not acked)", agent.Output);
        master.Signal("TERM");
        Assert.Equal(0, master.WaitExit(TimeSpan.FromSeconds(10)));
        master.Dispose();

        using var db = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "sentinel.db")};Mode=ReadOnly");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT boot || ':' || seq), min(seq), max(seq), count(DISTINCT boot) FROM samples";
        using var r = cmd.ExecuteReader();
        r.Read();
        Assert.Equal(1, r.GetInt64(4));               // one agent run
        Assert.Equal(1, r.GetInt64(2));
        Assert.Equal(r.GetInt64(3), r.GetInt64(0));   // 1..max, no gaps: nothing lost
        Assert.Equal(r.GetInt64(0), r.GetInt64(1));   // nothing twice
        Assert.True(r.GetInt64(0) >= 20, $"only {r.GetInt64(0)} samples stored");
        using var integrity = db.CreateCommand();
        integrity.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", integrity.ExecuteScalar());
    });

    [Fact]
    public Task An_agent_reaches_the_master_through_a_relay_as_on_a_login_node() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int masterPort = FreePort(), relayPort = FreePort();
        var url = new Uri($"http://127.0.0.1:{masterPort}/");
        using var master = Start("master", "--listen", $"127.0.0.1:{masterPort}", "--data", dir.Path);
        await WaitForApi(url);
        using var relay = Start("relay", "--listen", $"127.0.0.1:{relayPort}", "--to", $"127.0.0.1:{masterPort}");
        using var agent = Start("agent", "--master", $"http://127.0.0.1:{relayPort}", "--name", "compute-007", "--interval", "500ms");
        await Wait.Until(async () => (await Api.Machine(url, "compute-007"))?.Latest is not null, TimeSpan.FromSeconds(20), "the agent behind the relay is online");
        agent.Signal("TERM");
        Assert.Equal(0, agent.WaitExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(MachineStatus.Offline, (await Api.Machine(url, "compute-007"))!.Status); // the goodbye crossed the relay too
        relay.Signal("TERM");
        Assert.Equal(0, relay.WaitExit(TimeSpan.FromSeconds(10)));
        Assert.Contains("stopping:", relay.Output);
    });

    [Fact]
    public Task Sentinel_run_triggers_the_fleet_and_prints_each_result_as_a_json_line_and_bench_runs_locally() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var master = Start("master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path);
        await WaitForApi(url);
        using var a = Start("agent", "--master", url.ToString(), "--name", "run-a", "--interval", "1s");
        using var b = Start("agent", "--master", url.ToString(), "--name", "run-b", "--interval", "1s");
        await Wait.Until(async () => (await Api.Machines(url)).Count(m => m.Status == MachineStatus.Online) == 2, TimeSpan.FromSeconds(20), "both agents are online");

        using var run = Start("run", "--master", url.ToString(), "--all", "network", "--param", "seconds=0.5", "--param", "pings=5", "--json");
        Assert.Equal(0, run.WaitExit(TimeSpan.FromSeconds(60)));
        var results = run.Output.Split('\n').Where(l => l.StartsWith('{'))
            .Select(l => System.Text.Json.JsonSerializer.Deserialize(l, global::Sentinel.Json.SentinelJsonContext.Default.BenchmarkResult)!).ToList();
        Assert.Equal(["run-a", "run-b"], results.Select(r => r.Machine).Order());
        Assert.All(results, r =>
        {
            Assert.Equal(BenchmarkState.Completed, r.State);
            Assert.True(r.Values["downloadMbps"] > 0);
        });

        using var unknown = Start("run", "--master", url.ToString(), "--machine", "ghost", "network");
        Assert.Equal(2, unknown.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("ghost", unknown.Output);

        using var local = Start("bench", "command", "--param", "command=echo", "--param", "arguments='{\"answer\":42}'", "--json");
        Assert.Equal(0, local.WaitExit(TimeSpan.FromSeconds(30)));
        var json = local.Output[local.Output.IndexOf('{')..];
        var result = System.Text.Json.JsonSerializer.Deserialize(json[..(json.LastIndexOf('}') + 1)], global::Sentinel.Json.SentinelJsonContext.Default.BenchmarkResult)!;
        Assert.Equal(42, result.Data!.Value.GetProperty("answer").GetInt32());
        Assert.Equal(0, result.Values["exitCode"]);
    });

    [Fact]
    public async Task Usage_errors_name_the_bad_value()
    {
        using var badListen = Start("master", "--listen", "nonsense", "--data", "/tmp/x");
        Assert.Equal(2, badListen.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("'nonsense' is not ADDR:PORT", badListen.Output);
        using var badInterval = Start("agent", "--master", "http://127.0.0.1:1", "--interval", "soon");
        Assert.Equal(2, badInterval.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("'soon' is not a duration", badInterval.Output);
        using var tooFast = Start("agent", "--master", "http://127.0.0.1:1", "--interval", "10ms");
        Assert.Equal(2, tooFast.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("--interval: 10ms is outside 100ms to 1h", tooFast.Output);
        using var badUrl = Start("agent", "--master", "login01:8080");
        Assert.Equal(2, badUrl.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("not an http:// or https:// URL", badUrl.Output);
        using var dir = new TempDir();
        using var badHoldOff = Start("master", "--listen", "127.0.0.1:0", "--data", dir.Path, "--alert-hold-off", "later");
        Assert.Equal(2, badHoldOff.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("--alert-hold-off: 'later' is not a duration", badHoldOff.Output);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData("--audit-retention", "-5d", "--audit-retention: '-5d' is not a duration")]
    [InlineData("--alert-retention", "soon", "--alert-retention: 'soon' is not a duration")]
    [InlineData("--raw-retention", "30m", "--raw-retention: 30m is outside 1h to 3660d")]
    [InlineData("--rollup-retention", "1d", "--rollup-retention: 1d is shorter than the raw samples' retention (2d)")]
    [InlineData("--audit-retention", "20y", "--audit-retention: '20y' is not a duration")]
    [InlineData("--alert-retention", "5000d", "--alert-retention: 5000d is outside 1h to 3660d")]
    [InlineData("--recent-history", "7200", "--recent-history: 7200 s is outside 0 (off) to 3600 s")]
    [InlineData("--recent-history", "-1", "--recent-history: '-1' is not a duration")]
    [InlineData("--recent-history", "1.5", "--recent-history: '1.5' is not a whole number of seconds")]
    public void Store_option_errors_name_the_option_and_the_bad_value(string option, string value, string expected)
    {
        using var dir = new TempDir();
        using var master = Start("master", "--listen", "127.0.0.1:0", "--data", dir.Path, option, value);
        Assert.Equal(2, master.WaitExit(TimeSpan.FromSeconds(20)));
        Assert.Contains(expected, master.Output);
        Assert.False(File.Exists(Path.Combine(dir.Path, "sentinel.db")), "a refused start leaves no database");
    }

    [Fact]
    public Task A_master_started_with_every_store_option_serves_the_fleet_history_from_sqlite() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var master = Start("master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path, "--recent-history", "0",
            "--raw-retention", "12h", "--rollup-retention", "90d", "--audit-retention", "0", "--alert-retention", "30d");
        await WaitForApi(url);
        using var agent = Start("agent", "--master", url.ToString(), "--name", "no-ring", "--interval", "1s");
        await Wait.Until(async () => (await Api.Status(url)).SamplesStored >= 4, TimeSpan.FromSeconds(30), "4 samples are stored");
        var history = await Api.Http.GetFromJsonAsync(new Uri(url, "api/fleet/history?step=1"), global::Sentinel.Json.SentinelJsonContext.Default.FleetHistory);
        var row = Assert.Single(history!.Machines);
        Assert.Equal("no-ring", row.Name);
        // Four samples, in at least three one-second buckets (the agent's first two may fall in one second).
        Assert.True(row.CpuPercent.Count(v => v is not null) >= 3, "a bucket per stored sample");
        Assert.True(row.MemoryUsedPercent.Where(v => v is not null).All(v => v > 0 && v <= 100), "memory figures are percentages");
    });

    [Fact]
    public Task Sentinel_agent_runs_what_allow_command_allows_and_kills_its_commands_when_the_master_dies_or_it_stops() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        string[] masterArgs = ["master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path];
        var master = Start(masterArgs);
        await WaitForApi(url);
        using var agent = Start("agent", "--master", url.ToString(), "--name", "cli1", "--interval", "1s", "--allow-command", "echo *", "--allow-command", "sh -c *");
        await Wait.Until(async () => (await Api.Machine(url, "cli1"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), "the agent is online");
        Assert.Contains("commands allowed: 'echo *', 'sh -c *'", agent.Output);

        var echo = await CommandTests.WaitDone(url, (await CommandTests.Start(url, """{"machines":["cli1"],"command":"echo hello from the cli"}""")).Id);
        Assert.Equal("hello from the cli\n", echo.Parts[0].Output.Single().Text);
        var refused = await CommandTests.WaitDone(url, (await CommandTests.Start(url, """{"machines":["cli1"],"command":"id"}""")).Id);
        Assert.Equal(global::Sentinel.Commands.CommandState.Refused, refused.Parts[0].State);

        // The master is killed while a command runs: the agent loses the connection and kills the command's tree.
        var tag = Testing.ProcessTable.UniqueSleep();
        var sleeping = JsonSerializer.Serialize(new { machines = new[] { "cli1" }, command = $"sh -c 'sleep {tag} & sleep {tag}'", timeoutSeconds = 600 });
        var lost = await CommandTests.Start(url, sleeping);
        await Wait.Until(() => Testing.ProcessTable.Sleepers(tag) == 2, TimeSpan.FromSeconds(30), "both sleeps started");
        master.Signal("KILL");
        master.WaitExit(TimeSpan.FromSeconds(10));
        master.Dispose();
        await Wait.Until(() => Testing.ProcessTable.Sleepers(tag) == 0, TimeSpan.FromSeconds(30), "the agent killed the command when the master went away");
        master = Start(masterArgs);
        await WaitForApi(url);
        var entry = (await CommandTests.Audit(url)).Single(e => e.Ref == lost.Id);
        Assert.Equal(("failed", "the master restarted before it ended"), (entry.Results[0].Outcome, entry.Results[0].Detail));

        // The agent is stopped (SIGTERM) while a command runs: it kills the command's tree and exits cleanly.
        await Wait.Until(async () => (await Api.Machine(url, "cli1"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(30), "the agent is back");
        tag = Testing.ProcessTable.UniqueSleep();
        sleeping = JsonSerializer.Serialize(new { machines = new[] { "cli1" }, command = $"sh -c 'sleep {tag} & sleep {tag}'", timeoutSeconds = 600 });
        var stopped = await CommandTests.Start(url, sleeping);
        await Wait.Until(() => Testing.ProcessTable.Sleepers(tag) == 2, TimeSpan.FromSeconds(30), "both sleeps started");
        agent.Signal("TERM");
        Assert.Equal(0, agent.WaitExit(TimeSpan.FromSeconds(15)));
        await Wait.Until(() => Testing.ProcessTable.Sleepers(tag) == 0, TimeSpan.FromSeconds(10), "the stopping agent killed the command");
        var part = (await CommandTests.WaitDone(url, stopped.Id)).Parts[0];
        Assert.Equal(global::Sentinel.Commands.CommandState.Failed, part.State);
        master.Signal("TERM");
        Assert.Equal(0, master.WaitExit(TimeSpan.FromSeconds(10)));
        master.Dispose();
    });

    [Fact]
    public Task Sentinel_master_metrics_open_serves_metrics_without_a_token_and_nothing_else() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        var passwordFile = Path.Combine(dir.Path, "admin-password");
        File.WriteAllText(passwordFile, "admin-password-for-tests\n");
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var master = Start("master", "--listen", $"127.0.0.1:{port}", "--data", Path.Combine(dir.Path, "data"), "--require-login", "--metrics-open", "--admin-password-file", passwordFile);
        using var agent = Start("agent", "--master", url.ToString(), "--name", "scraped", "--interval", "1s");
        string text = "";
        await Wait.Until(async () =>
        {
            try { return (text = await Api.Http.GetStringAsync(new Uri(url, "metrics"))).Contains("sentinel_machine_up{machine=\"scraped\"} 1"); }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(30), "/metrics shows the agent up, without a token");
        var (exit, output) = await Prometheus.Promtool(text, "check", "metrics");
        Assert.True(exit == 0 && output.Length == 0, $"promtool check metrics: exit {exit}: {output}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Api.Get(url, "api/machines")).StatusCode);
    });

    [Fact]
    public Task An_agent_stopped_as_slurm_suspends_a_job_goes_offline_comes_back_on_sigcont_and_leaves_cleanly_on_sigcont_then_sigterm() => WithLogs(async () =>
    {
        using var dir = new TempDir();
        int port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var master = Start("master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path);
        await WaitForApi(url);
        using var agent = Start("agent", "--master", url.ToString(), "--name", "suspended", "--interval", "1s");
        await Wait.Until(async () => (await Api.Machine(url, "suspended"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), "the agent is online");

        // scontrol suspend: SIGSTOP (cannot be caught); the master sees silence.
        agent.Signal("STOP");
        await Wait.Until(async () => (await Api.Machine(url, "suspended"))!.Status == MachineStatus.Offline, TimeSpan.FromSeconds(20), "the stopped agent is offline");
        // scontrol resume: SIGCONT; the agent carries on where it was.
        agent.Signal("CONT");
        await Wait.Until(async () => (await Api.Machine(url, "suspended"))!.Status == MachineStatus.Online, TimeSpan.FromSeconds(30), "the resumed agent is online again");

        // The end of a job (scancel, time limit, the batch script ending): Slurm sends SIGCONT then SIGTERM to each step.
        agent.Signal("CONT");
        agent.Signal("TERM");
        Assert.Equal(0, agent.WaitExit(TimeSpan.FromSeconds(15)));
        Assert.Equal(MachineStatus.Offline, (await Api.Machine(url, "suspended"))!.Status);
        Assert.Contains("goodbye", await (await Api.Get(url, "api/machines/suspended/connections")).Content.ReadAsStringAsync());
    });
}
