using System.Net;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Commands;
using Sentinel.Json;

namespace Sentinel.Master.Tests;

/// <summary>
/// Long-polls (?wait=) on GET /api/commands/{id} and GET /api/jobs/{id}, through a real master and real agents: held until
/// something changes, answered as usual when the wait runs out, ended by a client that leaves or a master that stops.
/// Commands are held open with a gate file the test makes, so "before the output exists" is a fact, not a race.
/// </summary>
public class LongPollTests : MasterPerTest
{
    // Longer than any wait asked for here (the shared client gives up after 10 s).
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(90) };

    private static async Task<(HttpStatusCode Status, string Body)> Fetch(Uri master, string path, CancellationToken cancellationToken = default)
    {
        using var r = await Http.GetAsync(new Uri(master, path), cancellationToken);
        return (r.StatusCode, await r.Content.ReadAsStringAsync(cancellationToken));
    }

    private static async Task<CommandRun> Command(Uri master, string id, long since, double wait, CancellationToken cancellationToken = default)
    {
        var (status, body) = await Fetch(master, $"api/commands/{id}?since={since}&wait={wait}", cancellationToken);
        Assert.True(status == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize(body, SentinelJsonContext.Default.CommandRun)!;
    }

    private static string Text(CommandRun run) => string.Concat(run.Parts.SelectMany(p => p.Output).Select(c => c.Text));

    /// <summary>A gated command running on an agent, after its first line has arrived: the run and the seq seen so far.</summary>
    private async Task<(CommandRun Run, long Seen, string Gate)> Gated(SentinelAgent agent, string name)
    {
        agent.Start();
        await Wait.Until(async () => (await Api.Machine(_master.Url, name))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), name + " online");
        var gate = Path.Combine(Path.GetTempPath(), "sentinel-gate-" + Guid.NewGuid().ToString("N"));
        var run = await CommandTests.Start(_master.Url, JsonSerializer.Serialize(new { machines = new[] { name },
            command = $"sh -c 'echo waiting; while [ ! -e {gate} ]; do sleep 0.2; done; echo through the gate' x", timeoutSeconds = 120 }));
        CommandRun now = null!;
        await Wait.Until(async () => Text(now = await CommandTests.Get(_master.Url, run.Id)).Contains("waiting"), TimeSpan.FromSeconds(30), "the first line");
        return (run, now.Seq, gate);
    }

    [Fact]
    public async Task A_command_long_poll_answers_when_output_arrives_and_with_nothing_new_when_the_wait_runs_out()
    {
        await using var agent = JobTests.Agent(_master.Url, "lp1", allow: ["sh -c *"]);
        var (run, seen, gate) = await Gated(agent, "lp1");
        try
        {
            // Nothing happens for a second: the answer is the run as it stands, with no new output.
            var quiet = await Command(_master.Url, run.Id, seen, wait: 1);
            Assert.Equal(seen, quiet.Seq);
            Assert.False(quiet.Done);
            Assert.Empty(quiet.Parts.SelectMany(p => p.Output));
            Assert.Equal(CommandState.Running, quiet.Parts[0].State);

            // Asked before the line exists (the master holds it: one waiter), answered with the line once it is printed.
            var held = Command(_master.Url, run.Id, seen, wait: 30);
            await Wait.Until(() => Task.FromResult(_master.Context.Commands.Waiting == 1), TimeSpan.FromSeconds(20), "the long-poll is held");
            Assert.False(held.IsCompleted);
            await File.WriteAllTextAsync(gate, "");
            var answer = await held;
            Assert.True(answer.Seq > seen);
            Assert.Contains("through the gate\n", Text(answer));
            Assert.DoesNotContain("waiting", Text(answer)); // only what is newer than since
            Assert.Equal(0, _master.Context.Commands.Waiting);

            // A run that has ended answers at once, whatever the wait.
            var done = await CommandTests.WaitDone(_master.Url, run.Id);
            var after = await Command(_master.Url, run.Id, done.Seq, wait: 30);
            Assert.True(after.Done);
            Assert.Equal(done.Seq, after.Seq);
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task A_part_that_ends_without_output_moves_seq_so_a_long_poll_with_the_seq_before_it_answers_at_once()
    {
        // The end of a part takes a sequence number: a caller that saw the answer before it is told at once, not left waiting.
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor("lp2", commands: true));
        Assert.NotNull(await peer.ReceiveType(Protocol.MessageTypes.Welcome));
        await peer.SendSamples(1);
        await peer.ExpectAck(1);
        var run = await CommandTests.Start(_master.Url, """{"machines":["lp2"],"command":"true","timeoutSeconds":5}""");
        Assert.NotNull(await peer.ReceiveType(Protocol.MessageTypes.Command));
        await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.CommandResult,
            new Protocol.CommandResultMessage { Id = run.Id, ExitCode = 0, DurationSeconds = 0.01 }, SentinelJsonContext.Default.CommandResultMessage));
        var done = await CommandTests.WaitDone(_master.Url, run.Id);
        Assert.Empty(done.Parts[0].Output);
        Assert.True(done.Seq > run.Seq, $"seq {done.Seq} after the part ended, {run.Seq} before");
        var late = await Command(_master.Url, run.Id, run.Seq, wait: 30);
        Assert.True(late.Done);
        Assert.Equal((CommandState.Completed, (int?)0), (late.Parts[0].State, late.Parts[0].ExitCode));
    }

    [Fact]
    public async Task A_bad_wait_is_refused_naming_wait_on_both_routes()
    {
        foreach (var path in new[] { "api/commands/c1?since=0&wait=soon", "api/commands/c1?wait=-1", "api/commands/c1?wait=NaN", "api/jobs/j1?wait=", "api/jobs/j1?since=3&wait=1e3" })
        {
            var (status, body) = await Fetch(_master.Url, path);
            Assert.True(status == HttpStatusCode.BadRequest, $"{path}: {(int)status} {body}");
            var message = JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString()!;
            Assert.StartsWith("wait: ", message);
            Assert.Contains("seconds", message);
        }
        var (s, b) = await Fetch(_master.Url, "api/jobs/j1?since=x&wait=5");
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.StartsWith("since: 'x'", JsonDocument.Parse(b).RootElement.GetProperty("error").GetProperty("message").GetString());
        // A good wait on an unknown run is the usual 404, at once.
        Assert.Equal(HttpStatusCode.NotFound, (await Fetch(_master.Url, "api/commands/c1?wait=30")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Fetch(_master.Url, "api/jobs/j1?wait=30")).Status);
    }

    [Fact]
    public async Task A_client_that_leaves_mid_wait_frees_its_waiter_and_later_long_polls_still_work()
    {
        await using var agent = JobTests.Agent(_master.Url, "lp3", allow: ["sh -c *"]);
        var (run, seen, gate) = await Gated(agent, "lp3");
        try
        {
            using (var leave = new CancellationTokenSource())
            {
                var abandoned = Command(_master.Url, run.Id, seen, wait: 30, leave.Token);
                await Wait.Until(() => Task.FromResult(_master.Context.Commands.Waiting == 1), TimeSpan.FromSeconds(20), "the long-poll is held");
                leave.Cancel();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
            }
            // The master sees the connection close and lets the waiter go (well before its 30 s are up).
            await Wait.Until(() => Task.FromResult(_master.Context.Commands.Waiting == 0), TimeSpan.FromSeconds(20), "the abandoned waiter is let go");

            var held = Command(_master.Url, run.Id, seen, wait: 30);
            await Wait.Until(() => Task.FromResult(_master.Context.Commands.Waiting == 1), TimeSpan.FromSeconds(20), "the next long-poll is held");
            await File.WriteAllTextAsync(gate, "");
            Assert.Contains("through the gate\n", Text(await held));
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task Over_tls_a_client_that_leaves_mid_wait_frees_its_waiter_too()
    {
        // The master peeks at the socket under TLS: a client that goes away must be seen there as well.
        using var dir = new TempDir();
        var ca = TestPki.WritePem(TestPki.Instance.Ca, Path.Combine(dir.Path, "ca.pem"));
        await using var master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = Path.Combine(dir.Path, "data"), Certificate = TestPki.Instance.Leaf });
        await using var agent = new SentinelAgent(new AgentOptions
        {
            Master = master.Url, Name = "tls1", HostId = "host-tls1", Interval = TimeSpan.FromSeconds(1), CertificateAuthorityPath = ca, AllowCommands = ["sh -c *"],
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
        });
        agent.Start();
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == TestPki.Instance.Leaf.GetCertHashString() } })
            { Timeout = TimeSpan.FromSeconds(90) };
        await Wait.Until(async () => JsonSerializer.Deserialize(await http.GetStringAsync(new Uri(master.Url, "api/machines")), SentinelJsonContext.Default.ListMachine)!
            .Any(m => m.Name == "tls1" && m.Status == MachineStatus.Online), TimeSpan.FromSeconds(20), "tls1 online");
        var created = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(master.Url, "api/commands"))
        {
            Content = new StringContent("""{"machines":["tls1"],"command":"sh -c 'sleep 60'","timeoutSeconds":120}""", System.Text.Encoding.UTF8, "application/json"),
            Headers = { { "X-Sentinel-Request", "1" } },
        });
        var run = JsonSerializer.Deserialize(await created.Content.ReadAsStringAsync(), SentinelJsonContext.Default.CommandRun)!;
        using (var leave = new CancellationTokenSource())
        {
            var abandoned = http.GetAsync(new Uri(master.Url, $"api/commands/{run.Id}?since={run.Seq}&wait=30"), leave.Token);
            await Wait.Until(() => Task.FromResult(master.Context.Commands.Waiting == 1), TimeSpan.FromSeconds(20), "the long-poll is held");
            leave.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        }
        await Wait.Until(() => Task.FromResult(master.Context.Commands.Waiting == 0), TimeSpan.FromSeconds(20), "the abandoned waiter is let go");
        var cancel = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(master.Url, $"api/commands/{run.Id}/cancel")) { Headers = { { "X-Sentinel-Request", "1" } } });
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode); // and the connection pool's next request is served as usual
    }

    [Fact]
    public async Task Many_waiters_on_one_run_all_wake_on_one_change()
    {
        await using var agent = JobTests.Agent(_master.Url, "lp4", allow: ["sh -c *"]);
        var (run, seen, gate) = await Gated(agent, "lp4");
        try
        {
            var held = Enumerable.Range(0, 20).Select(_ => Command(_master.Url, run.Id, seen, wait: 30)).ToList();
            await Wait.Until(() => Task.FromResult(_master.Context.Commands.Waiting == held.Count), TimeSpan.FromSeconds(30), "every long-poll is held");
            await File.WriteAllTextAsync(gate, "");
            var answers = await Task.WhenAll(held);
            Assert.All(answers, a => Assert.Contains("through the gate\n", Text(a)));
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task A_master_that_stops_answers_its_pending_long_polls_instead_of_leaving_them_hanging()
    {
        await using var agent = JobTests.Agent(_master.Url, "lp5", allow: ["sh -c *"]);
        var (run, seen, gate) = await Gated(agent, "lp5");
        try
        {
            var command = Fetch(_master.Url, $"api/commands/{run.Id}?since={seen}&wait=30");
            var (peer, job) = await JobOnPeer("lp5b");
            await using var _ = peer;
            var jobPoll = Fetch(_master.Url, $"api/jobs/{job.Id}?since={job.Version}&wait=30");
            await Wait.Until(() => Task.FromResult(_master.Context.Commands.Waiting == 1 && _master.Context.Jobs.Waiting == 1), TimeSpan.FromSeconds(20), "both long-polls are held");

            var stop = _master.StopAsync();
            var both = Task.WhenAll(command, jobPoll);
            Assert.Same(both, await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(60))));
            var (commandAnswer, jobAnswer) = (await command, await jobPoll);
            Assert.Equal(HttpStatusCode.OK, commandAnswer.Status);
            Assert.Equal(run.Id, JsonSerializer.Deserialize(commandAnswer.Body, SentinelJsonContext.Default.CommandRun)!.Id);
            Assert.Equal(HttpStatusCode.OK, jobAnswer.Status);
            Assert.Equal(job.Id, JsonSerializer.Deserialize(jobAnswer.Body, SentinelJsonContext.Default.BenchmarkJob)!.Id);
            await stop;
        }
        finally
        {
            File.Delete(gate);
        }
    }

    /// <summary>A hand-driven agent that takes benchmarks, and a job running on it: nothing changes the job until the test says.</summary>
    private async Task<(RawPeer Peer, BenchmarkJob Job)> JobOnPeer(string name)
    {
        var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor(name, interval: 1, benchmarks: true));
        Assert.NotNull(await peer.ReceiveType(Protocol.MessageTypes.Welcome));
        await peer.SendSamples(1);
        await peer.ExpectAck(1);
        var job = await Api.StartJob(_master.Url, $$"""{"benchmark":"Network","machines":["{{name}}"]}""");
        Assert.NotNull(await peer.ReceiveType(Protocol.MessageTypes.Run));
        job = await Api.Job(_master.Url, job.Id);
        Assert.Equal(BenchmarkState.Running, job.State);
        return (peer, job);
    }

    private static async Task<BenchmarkJob> JobPoll(Uri master, string id, long since, double wait)
    {
        var (status, body) = await Fetch(master, $"api/jobs/{id}?since={since}&wait={wait}");
        Assert.True(status == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize(body, SentinelJsonContext.Default.BenchmarkJob)!;
    }

    [Fact]
    public async Task A_job_long_poll_answers_at_progress_and_at_the_result_and_with_the_same_version_when_the_wait_runs_out()
    {
        var (peer, job) = await JobOnPeer("lp6");
        await using var _ = peer;
        Assert.True(job.Version > 0);

        var quiet = await JobPoll(_master.Url, job.Id, job.Version, wait: 1);
        Assert.Equal((job.Version, BenchmarkState.Running, 0.0), (quiet.Version, quiet.State, quiet.Parts[0].Progress));

        var held = JobPoll(_master.Url, job.Id, job.Version, wait: 30);
        await Wait.Until(() => Task.FromResult(_master.Context.Jobs.Waiting == 1), TimeSpan.FromSeconds(20), "the long-poll is held");
        await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.Progress, new Protocol.ProgressReport { JobId = job.Id, Fraction = 0.4, Stage = "upload" },
            SentinelJsonContext.Default.ProgressReport));
        var moved = await held;
        Assert.True(moved.Version > job.Version);
        Assert.Equal((0.4, "upload"), (moved.Parts[0].Progress, moved.Parts[0].Stage));

        held = JobPoll(_master.Url, job.Id, moved.Version, wait: 30);
        await Wait.Until(() => Task.FromResult(_master.Context.Jobs.Waiting == 1), TimeSpan.FromSeconds(20), "the next long-poll is held");
        await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.Result, new Protocol.ResultReport
        {
            JobId = job.Id,
            Result = new BenchmarkResult { Benchmark = "Network", Machine = "lp6", Values = new() { ["uploadMbps"] = 940 } },
        }, SentinelJsonContext.Default.ResultReport));
        var ended = await held;
        Assert.Equal(BenchmarkState.Completed, ended.State);
        Assert.Equal(940, ended.Parts[0].Result!.Values["uploadMbps"]);

        // An ended job answers at once, whatever the wait.
        var again = await JobPoll(_master.Url, job.Id, ended.Version, wait: 30);
        Assert.Equal(ended.Version, again.Version);
    }

    // ------------------------------------------------------------------------------------------------ the client side

    /// <summary>Counts the client's reads of running commands and jobs; with <c>ignoreWait</c>, drops ?wait= on the way, so the
    /// master answers at once as one that predates long-polls does.</summary>
    private sealed class Reads(bool ignoreWait) : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            if (request.Method == HttpMethod.Get && uri.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal) && uri.Query.Contains("since=", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref Count);
                if (ignoreWait)
                {
                    var query = string.Join("&", uri.Query.TrimStart('?').Split('&').Where(p => !p.StartsWith("wait=", StringComparison.Ordinal)));
                    request.RequestUri = new UriBuilder(uri) { Query = query }.Uri;
                }
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Runs the gated command through <paramref name="fleet"/>, making the gate once the first line is in (and
    /// <paramref name="linger"/> later): every event, in order.</summary>
    private async Task<List<CommandEvent>> RunGated(Fleet.RemoteFleet fleet, string name, TimeSpan linger)
    {
        await using var agent = JobTests.Agent(_master.Url, name, allow: ["sh -c *"]);
        agent.Start();
        await Wait.Until(async () => (await Api.Machine(_master.Url, name))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(20), name + " online");
        var gate = Path.Combine(Path.GetTempPath(), "sentinel-gate-" + Guid.NewGuid().ToString("N"));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var events = new List<CommandEvent>();
        try
        {
            await foreach (var e in fleet.RunCommandAsync([name], $"sh -c 'echo waiting; while [ ! -e {gate} ]; do sleep 0.2; done; echo through the gate' x",
                TimeSpan.FromSeconds(120), bound.Token))
            {
                events.Add(e);
                if (e.Line == "waiting")
                {
                    await Task.Delay(linger, bound.Token);
                    await File.WriteAllTextAsync(gate, "", bound.Token);
                }
            }
        }
        finally
        {
            File.Delete(gate);
        }
        return events;
    }

    [Fact]
    public async Task RemoteFleet_reads_command_output_by_long_polls_that_the_master_holds()
    {
        // A read answered with nothing new would sleep an hour here: every line must come from a held read.
        var reads = new Reads(ignoreWait: false);
        await using var fleet = new Fleet.RemoteFleet(_master.Url, new HttpClient(reads)) { PollInterval = TimeSpan.FromHours(1) };
        var events = await RunGated(fleet, "lp7", TimeSpan.Zero);
        Assert.Equal(["waiting", "through the gate"], events.Where(e => e.Line is not null).Select(e => e.Line));
        var result = Assert.Single(events, e => e.Result is not null).Result!;
        Assert.Equal((CommandState.Completed, (int?)0, "waiting\nthrough the gate\n"), (result.State, result.ExitCode, result.Output));
        Assert.InRange(reads.Count, 2, 4); // the first line, the gate's line, the end (with or without its own read)
    }

    [Fact]
    public async Task RemoteFleet_still_works_with_a_master_that_ignores_wait_and_then_polls_at_its_pace_instead_of_spinning()
    {
        var reads = new Reads(ignoreWait: true);
        await using var fleet = new Fleet.RemoteFleet(_master.Url, new HttpClient(reads)) { PollInterval = TimeSpan.FromMilliseconds(200) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var events = await RunGated(fleet, "lp8", TimeSpan.FromSeconds(2));
        var elapsed = clock.Elapsed;
        Assert.Equal(["waiting", "through the gate"], events.Where(e => e.Line is not null).Select(e => e.Line));
        Assert.Equal(CommandState.Completed, Assert.Single(events, e => e.Result is not null).Result!.State);
        // At most one read per PollInterval (and a few for answers that had something new): a client that spun would make thousands.
        Assert.InRange(reads.Count, 2, (int)(elapsed / TimeSpan.FromMilliseconds(200)) + 5);
    }

    [Fact]
    public async Task RemoteFleet_follows_a_job_by_long_polls_progress_then_result()
    {
        var peer = await RawPeer.ConnectAsync(_master.Url);
        await using var _ = peer;
        await peer.SendHello(RawPeer.HelloFor("lp9", interval: 1, benchmarks: true));
        Assert.NotNull(await peer.ReceiveType(Protocol.MessageTypes.Welcome));
        await peer.SendSamples(1);
        await peer.ExpectAck(1);
        await using var fleet = new Fleet.RemoteFleet(_master.Url, new HttpClient(new Reads(ignoreWait: false))) { PollInterval = TimeSpan.FromHours(1) };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var events = new List<Fleet.BenchmarkEvent>();
        // Each change is made while the client's read is held by the master (a read answered with nothing new would sleep an hour).
        Task Held() => Wait.Until(() => Task.FromResult(_master.Context.Jobs.Waiting == 1), TimeSpan.FromSeconds(20), "the client's read is held");
        // Sent from beside the loop: the client makes its next read only once the loop body has returned.
        var sends = new List<Task>();
        await foreach (var e in fleet.RunBenchmarkAsync("Network", new Dictionary<string, string>(), ["lp9"], bound.Token))
        {
            events.Add(e);
            if (events.Count == 1)
            {
                var run = (await peer.ReceiveType(Protocol.MessageTypes.Run))!.Value.Read(SentinelJsonContext.Default.RunRequest, "x");
                sends.Add(Task.Run(async () =>
                {
                    await Held();
                    await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.Progress, new Protocol.ProgressReport { JobId = run.JobId, Fraction = 0.4, Stage = "upload" },
                        SentinelJsonContext.Default.ProgressReport));
                }));
            }
            else if (e.Progress?.Fraction == 0.4)
            {
                sends.Add(Task.Run(async () =>
                {
                    await Held();
                    await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.Result, new Protocol.ResultReport
                    {
                        JobId = e.JobId!,
                        Result = new BenchmarkResult { Benchmark = "Network", Machine = "lp9", Values = new() { ["uploadMbps"] = 940 } },
                    }, SentinelJsonContext.Default.ResultReport));
                }));
            }
        }
        await Task.WhenAll(sends);
        Assert.Contains(events, e => e.Progress is { Fraction: 0.4, Stage: "upload" });
        Assert.Equal(940, events[^1].Result!.Values["uploadMbps"]);
    }
}
