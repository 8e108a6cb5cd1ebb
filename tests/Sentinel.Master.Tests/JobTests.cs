using System.Net;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>Benchmark jobs through a real master: real agents, hand-driven ones where a test needs exact timing.</summary>
public class JobTests
{
    internal static SentinelAgent Agent(Uri master, string name, string? token = null, string[]? allow = null) => new(new AgentOptions
    {
        Master = master, Name = name, HostId = "host-" + name, Interval = TimeSpan.FromSeconds(1), Token = token, AllowCommands = allow ?? [],
        ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
    }, new FakeSource("host-" + name));

    [Fact]
    public async Task A_network_job_on_two_agents_runs_on_both_and_its_results_are_stored_with_the_metrics_around_them()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path, token: "s3cret");
        await using var a = Agent(master.Url, "net-a", "s3cret");
        await using var b = Agent(master.Url, "net-b", "s3cret");
        a.Start();
        b.Start();
        await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Status == MachineStatus.Online) == 2, TimeSpan.FromSeconds(10), "both agents are online");

        var job = await Api.StartJob(master.Url, """{"benchmark":"network","parameters":{"seconds":"0.5","pings":"20"}}""");
        Assert.Equal("Network", job.Benchmark);
        Assert.Equal(["net-a", "net-b"], job.Parts.Select(p => p.Machine));
        job = await Api.WaitJob(master.Url, job.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(BenchmarkState.Completed, job.State);
        Assert.All(job.Parts, p =>
        {
            Assert.Equal(BenchmarkState.Completed, p.State);
            Assert.Equal(1, p.Progress);
            var r = p.Result!;
            Assert.Equal(p.Machine, r.Machine);
            Assert.Equal(job.Id, r.JobId);
            Assert.True(r.Values["uploadMbps"] > 0);
            Assert.True(r.Values["downloadMbps"] > 0);
            Assert.InRange(r.Values["rttMedianMs"], 0.001, 1000);
            Assert.Equal(20, r.Spread["rttMs"].Repetitions);
            Assert.Equal("Sim CPU", r.Inventory!.CpuModel);
            Assert.Contains(r.Warnings, w => w.Contains("loopback"));
        });

        var stored = JsonSerializer.Deserialize(await (await Api.Get(master.Url, $"api/results?job={job.Id}&metrics=true")).Content.ReadAsStringAsync(),
            SentinelJsonContext.Default.ListBenchmarkResult)!;
        Assert.Equal(2, stored.Count);
        Assert.All(stored, r => Assert.True(r.Metrics!.Points.Sum(p => p.Samples) > 0, "the samples around the run come with the result"));
    }

    [Fact]
    public async Task Bad_requests_are_refused_naming_what_is_wrong()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        async Task<(HttpStatusCode, string)> Post(string json)
        {
            var r = await Api.Post(master.Url, "api/jobs", json);
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }
        var (status, body) = await Post("""{"benchmark":"warp-speed"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("warp-speed", body);
        Assert.Contains("memory-bandwidth", body);
        (status, body) = await Post("""{"benchmark":"network","parameters":{"secnds":"1"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("secnds", body);
        Assert.Contains("is not a parameter", body);
        (status, body) = await Post("""{"benchmark":"network","machines":["ghost"]}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("ghost", body);
        (status, body) = await Post("""{"benchmark":"network"}""");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("no machine is online", body);
        (status, body) = await Post("""{"benchmark":""" );
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("bad-json", body);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Get(master.Url, "api/jobs/nope")).StatusCode);
    }

    [Fact]
    public async Task A_machine_runs_one_part_at_a_time_and_one_that_dies_mid_run_fails_its_part_within_seconds()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        var peer = await RawPeer.ConnectAsync(master.Url);
        await peer.SendHello(RawPeer.HelloFor("fragile", interval: 1, benchmarks: true));
        await peer.ReceiveType(MessageTypes.Welcome);
        await peer.SendSamples(1);

        var first = await Api.StartJob(master.Url, """{"benchmark":"Network","machines":["fragile"]}""");
        var run = (await peer.ReceiveType(MessageTypes.Run))!.Value.Read(SentinelJsonContext.Default.RunRequest, "x");
        Assert.Equal(first.Id, run.JobId);
        Assert.Equal("Network", run.Benchmark);
        var second = await Api.StartJob(master.Url, """{"benchmark":"Network","machines":["fragile"]}""");
        Assert.Equal(BenchmarkState.Queued, Assert.Single((await Api.Job(master.Url, second.Id)).Parts).State);

        await peer.Send(Frames.Write(MessageTypes.Progress, new ProgressReport { JobId = run.JobId, Fraction = 0.4, Stage = "upload" }, SentinelJsonContext.Default.ProgressReport));
        await Wait.Until(async () => (await Api.Job(master.Url, first.Id)).Parts[0].Progress == 0.4, TimeSpan.FromSeconds(5), "progress shows");
        await peer.Send(Frames.Write(MessageTypes.Result, new ResultReport
        {
            JobId = run.JobId,
            Result = new BenchmarkResult { Benchmark = "Network", Machine = "fragile", Values = new() { ["uploadMbps"] = 940 } },
        }, SentinelJsonContext.Default.ResultReport));
        var done = await Api.WaitJob(master.Url, first.Id, TimeSpan.FromSeconds(5));
        Assert.Equal(940, done.Parts[0].Result!.Values["uploadMbps"]);

        // Only now does the second part start; then the machine dies without a word.
        var run2 = (await peer.ReceiveType(MessageTypes.Run))!.Value.Read(SentinelJsonContext.Default.RunRequest, "x");
        Assert.Equal(second.Id, run2.JobId);
        var died = System.Diagnostics.Stopwatch.StartNew();
        peer.Socket.Abort();
        var failed = await Api.WaitJob(master.Url, second.Id, TimeSpan.FromSeconds(10));
        Assert.Equal(BenchmarkState.Failed, failed.State);
        Assert.Contains("went offline", failed.Parts[0].Error);
        Assert.InRange(died.Elapsed.TotalSeconds, 0, 6); // 3 missed 1 s intervals, plus a sweep
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task Cancelling_stops_the_run_on_the_agent_and_queued_parts_never_start()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var agent = Agent(master.Url, "cancel-me");
        agent.Start();
        await Wait.Until(async () => (await Api.Machine(master.Url, "cancel-me"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(10), "online");
        var running = await Api.StartJob(master.Url, """{"benchmark":"network","parameters":{"seconds":"60"},"machines":["cancel-me"]}""");
        var queued = await Api.StartJob(master.Url, """{"benchmark":"network","machines":["cancel-me"]}""");
        await Wait.Until(async () => (await Api.Job(master.Url, running.Id)).Parts[0].Progress > 0.05, TimeSpan.FromSeconds(10), "the upload is under way");

        var cancelled = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await Api.Post(master.Url, $"api/jobs/{queued.Id}/cancel", "")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Api.Post(master.Url, $"api/jobs/{running.Id}/cancel", "")).StatusCode);
        var job = await Api.WaitJob(master.Url, running.Id, TimeSpan.FromSeconds(15));
        Assert.Equal(BenchmarkState.Cancelled, job.State);
        Assert.InRange(cancelled.Elapsed.TotalSeconds, 0, 5); // the agent confirmed; not the 10 s grace
        Assert.Equal("cancelled", job.Parts[0].Error);
        var never = await Api.Job(master.Url, queued.Id);
        Assert.Equal(BenchmarkState.Cancelled, never.State);
        Assert.Null(never.Parts[0].StartedAt);
    }

    [Fact]
    public async Task A_viewer_sees_the_job_move_and_a_restarted_master_reports_unfinished_jobs_as_failed()
    {
        using var dir = new TempDir();
        string runningId;
        await using (var master = Masters.Start(dir.Path))
        {
            await using var viewer = await RawPeer.ConnectAsync(master.Url, "ws");
            var snapshot = (await viewer.ReceiveType(MessageTypes.Snapshot))!.Value.Read(SentinelJsonContext.Default.Snapshot, "x");
            Assert.Empty(snapshot.Jobs);
            var peer = await RawPeer.ConnectAsync(master.Url);
            await peer.SendHello(RawPeer.HelloFor("watched", benchmarks: true));
            await peer.ReceiveType(MessageTypes.Welcome);
            runningId = (await Api.StartJob(master.Url, """{"benchmark":"network","machines":["watched"]}""")).Id;
            await peer.ReceiveType(MessageTypes.Run);
            await peer.Send(Frames.Write(MessageTypes.Progress, new ProgressReport { JobId = runningId, Fraction = 0.25, Stage = "upload" }, SentinelJsonContext.Default.ProgressReport));
            BenchmarkJob? seen = null;
            while (seen is null)
            {
                var update = (await viewer.ReceiveType(MessageTypes.Update))!.Value.Read(SentinelJsonContext.Default.FleetUpdate, "x");
                seen = update.Jobs.FirstOrDefault(j => j.Id == runningId && j.Parts[0].Progress == 0.25);
            }
            Assert.Equal(BenchmarkState.Running, seen.State);
            Assert.Equal("upload", seen.Parts[0].Stage);
            await peer.DisposeAsync();
            await master.StopAsync();
        }
        await using var again = Masters.Start(dir.Path);
        var job = await Api.Job(again.Url, runningId);
        Assert.Equal(BenchmarkState.Failed, job.State);
        Assert.Contains("master restarted", job.Parts[0].Error);
    }

    [Fact]
    public async Task An_agent_runs_programs_for_the_master_only_when_started_to_allow_it()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var careful = Agent(master.Url, "careful");
        await using var open = Agent(master.Url, "open", allow: ["echo *"]);
        await using var narrow = Agent(master.Url, "narrow", allow: ["nvidia-smi *"]);
        careful.Start();
        open.Start();
        narrow.Start();
        await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Status == MachineStatus.Online) == 3, TimeSpan.FromSeconds(10), "all three online");
        var job = await Api.StartJob(master.Url, """{"benchmark":"command","parameters":{"command":"echo","arguments":"'{\"ok\":true}'"}}""");
        job = await Api.WaitJob(master.Url, job.Id, TimeSpan.FromSeconds(20));
        var refused = job.Parts.Single(p => p.Machine == "careful");
        Assert.Equal(BenchmarkState.Failed, refused.State);
        Assert.Contains("--allow-command PATTERN", refused.Error);
        var notListed = job.Parts.Single(p => p.Machine == "narrow");
        Assert.Equal(BenchmarkState.Failed, notListed.State);
        Assert.StartsWith(Benchmarks.CommandBenchmark.RefusedPrefix, notListed.Error);
        Assert.Contains("is not allowed on this agent", notListed.Error);
        var ran = job.Parts.Single(p => p.Machine == "open");
        Assert.True(ran.State == BenchmarkState.Completed, $"the allowed agent's part: {ran.State} {ran.Error}");
        Assert.True(ran.Result!.Data!.Value.GetProperty("ok").GetBoolean());
        Assert.Equal(BenchmarkState.Failed, job.State); // one part failed
    }
}
