using System.Net;
using System.Text;
using System.Text.Json;
using Sentinel.Commands;
using Sentinel.Json;

namespace Sentinel.Master.Tests;

/// <summary>Remote commands through a real master and real agents on loopback: the allow-list on the agent, streaming, the cap,
/// the timeout, and the audit log.</summary>
public class CommandTests : MasterPerTest
{
    private static async Task<(HttpStatusCode Status, string Body)> Send(Uri master, string json)
    {
        var r = await Api.Post(master, "api/commands", json);
        var body = await r.Content.ReadAsStringAsync();
        // An error's message, unescaped (the JSON writer escapes ' and +).
        return (r.StatusCode, r.IsSuccessStatusCode ? body : JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("message").GetString()!);
    }

    internal static async Task<CommandRun> Start(Uri master, string json)
    {
        var (status, body) = await Send(master, json);
        Assert.True(status == HttpStatusCode.Created, $"POST /api/commands: {(int)status} {body}");
        return JsonSerializer.Deserialize(body, SentinelJsonContext.Default.CommandRun)!;
    }

    internal static async Task<CommandRun> Get(Uri master, string id, long since = 0)
    {
        var r = await Api.Get(master, $"api/commands/{id}?since={since}");
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize(body, SentinelJsonContext.Default.CommandRun)!;
    }

    internal static async Task<CommandRun> WaitDone(Uri master, string id)
    {
        CommandRun run = null!;
        await Wait.Until(async () => (run = await Get(master, id)).Done, TimeSpan.FromSeconds(60), $"command {id} ends");
        return run;
    }

    internal static async Task<List<AuditEntry>> Audit(Uri master, string query = "")
    {
        var r = await Api.Get(master, "api/audit" + query);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize(body, SentinelJsonContext.Default.ListAuditEntry)!;
    }

    private static string Text(CommandPart part, string stream = "stdout") => string.Concat(part.Output.Where(c => c.Stream == stream).Select(c => c.Text));

    private async Task Online(params string[] names)
        => await Wait.Until(async () => (await Api.Machines(_master.Url)).Count(m => names.Contains(m.Name) && m.Status == MachineStatus.Online) == names.Length,
            TimeSpan.FromSeconds(20), string.Join(", ", names) + " online");

    [Fact]
    public async Task An_allowed_command_runs_on_each_machine_and_its_output_streams_in_as_it_comes()
    {
        await using var a = JobTests.Agent(_master.Url, "gpu01", allow: ["sh -c *"]);
        await using var b = JobTests.Agent(_master.Url, "gpu02", allow: ["sh -c *"]);
        a.Start();
        b.Start();
        await Online("gpu01", "gpu02");
        // It prints a line, then waits for a file the test makes once it has seen that line.
        var gate = Path.Combine(Path.GetTempPath(), "sentinel-gate-" + Guid.NewGuid().ToString("N"));
        var run = await Start(_master.Url, JsonSerializer.Serialize(new { machines = new[] { "gpu01", "gpu02" },
            command = $"sh -c 'echo started on $0; while [ ! -e {gate} ]; do sleep 0.2; done; echo finished >&2; exit 3' x", timeoutSeconds = 120 }));
        Assert.Equal(["gpu01", "gpu02"], run.Parts.Select(p => p.Machine));
        Assert.All(run.Parts, p => Assert.Equal(CommandState.Running, p.State));

        CommandRun now = null!;
        await Wait.Until(async () => (now = await Get(_master.Url, run.Id)).Parts.All(p => Text(p).Contains("started on x")), TimeSpan.FromSeconds(30), "the first lines arrive");
        Assert.False(now.Done, "the output came while the commands were still running");
        long seen = now.Seq;
        Assert.Empty((await Get(_master.Url, run.Id, seen)).Parts.SelectMany(p => p.Output)); // nothing new since
        await File.WriteAllTextAsync(gate, "");
        try
        {
            var done = await WaitDone(_master.Url, run.Id);
            var later = await Get(_master.Url, run.Id, seen);
            Assert.All(later.Parts, p => Assert.Equal("finished\n", Text(p, "stderr"))); // only what came after
            Assert.All(done.Parts, p =>
            {
                Assert.Equal(CommandState.Completed, p.State);
                Assert.Equal(3, p.ExitCode);
                Assert.True(p.DurationSeconds > 0);
                Assert.False(p.TimedOut);
                Assert.Equal("started on x\n", Text(p));
            });
            var entry = (await Audit(_master.Url)).Single(e => e.Ref == run.Id);
            Assert.Equal("local", entry.User);
            Assert.Equal("command", entry.Action);
            Assert.Equal("accepted", entry.Outcome);
            Assert.Equal(["gpu01", "gpu02"], entry.Machines);
            Assert.StartsWith("sh -c 'echo started", entry.Command);
            Assert.All(entry.Results, r => Assert.Equal(("completed", (int?)3), (r.Outcome, r.ExitCode)));
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task The_agent_refuses_what_its_allow_list_does_not_match_though_the_master_would_send_it()
    {
        await using var careful = JobTests.Agent(_master.Url, "careful");
        await using var narrow = JobTests.Agent(_master.Url, "narrow", allow: ["nvidia-smi *"]);
        await using var wide = JobTests.Agent(_master.Url, "wide", allow: ["*"]);
        careful.Start();
        narrow.Start();
        wide.Start();
        await Online("careful", "narrow", "wide");
        var run = await WaitDone(_master.Url, (await Start(_master.Url, """{"machines":["careful","narrow","wide"],"command":"id -u"}""")).Id);
        var careful1 = run.Parts.Single(p => p.Machine == "careful");
        Assert.Equal(CommandState.Refused, careful1.State);
        Assert.Contains("--allow-command", careful1.Refused);
        Assert.Empty(careful1.Output);
        var narrow1 = run.Parts.Single(p => p.Machine == "narrow");
        Assert.Equal(CommandState.Refused, narrow1.State);
        Assert.Contains("'id -u' is not allowed", narrow1.Refused);
        var wide1 = run.Parts.Single(p => p.Machine == "wide");
        Assert.Equal(CommandState.Completed, wide1.State);
        Assert.Equal(0, wide1.ExitCode);
        Assert.Matches(@"^\d+\n$", Text(wide1));

        // "*" allows everything but a shell: a shell needs a pattern that names it.
        var shell = await WaitDone(_master.Url, (await Start(_master.Url, """{"machines":["wide"],"command":"sh -c 'id'"}""")).Id);
        Assert.Equal(CommandState.Refused, shell.Parts[0].State);
        Assert.Contains("is a shell", shell.Parts[0].Refused);

        var entry = (await Audit(_master.Url, "?machine=narrow")).Single();
        Assert.Equal(run.Id, entry.Ref);
        Assert.Equal(["refused-by-agent", "refused-by-agent", "completed"], entry.Results.Select(r => r.Outcome));
        Assert.Contains("not allowed", entry.Results[1].Detail);
    }

    [Fact]
    public async Task Metacharacters_are_literal_and_a_newline_cannot_smuggle_a_second_command()
    {
        await using var a = JobTests.Agent(_master.Url, "node1", allow: ["echo *", "nvidia-smi*"]);
        a.Start();
        await Online("node1");
        var echo = await WaitDone(_master.Url, (await Start(_master.Url, """{"machines":["node1"],"command":"echo $(id) `id` ; id | cat"}""")).Id);
        Assert.Equal("$(id) `id` ; id | cat\n", Text(echo.Parts[0]));

        var (status, body) = await Send(_master.Url, """{"machines":["node1"],"command":"nvidia-smi\nrm -rf /"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("U+000A", body);
        var refused = (await Audit(_master.Url)).First();
        Assert.Equal("rejected", refused.Outcome);
        Assert.Equal("nvidia-smi\nrm -rf /", refused.Command);
        Assert.Null(refused.Ref);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_tree_and_output_past_the_cap_is_cut_and_marked()
    {
        await using var a = JobTests.Agent(_master.Url, "node1", allow: ["sh -c *", "seq *"]);
        a.Start();
        await Online("node1");
        var tag = Sentinel.Testing.ProcessTable.UniqueSleep();
        var run = await Start(_master.Url, $$"""{"machines":["node1"],"command":"sh -c 'sleep {{tag}} & sleep {{tag}}'","timeoutSeconds":2}""");
        var done = await WaitDone(_master.Url, run.Id);
        var part = done.Parts[0];
        Assert.Equal(CommandState.TimedOut, part.State);
        Assert.True(part.TimedOut);
        Assert.Contains("every process it started were killed", part.Error);
        await Wait.Until(() => Sentinel.Testing.ProcessTable.Sleepers(tag) == 0, TimeSpan.FromSeconds(30), "no sleep survives");
        Assert.Equal("timed-out", (await Audit(_master.Url)).Single(e => e.Ref == run.Id).Results[0].Outcome);

        var big = await WaitDone(_master.Url, (await Start(_master.Url, """{"machines":["node1"],"command":"seq 1 400000"}""")).Id);
        var cut = big.Parts[0];
        Assert.Equal(CommandState.Completed, cut.State);
        Assert.True(cut.Truncated);
        var text = Text(cut);
        var full = string.Concat(Enumerable.Range(1, 400000).Select(i => i + "\n"));
        Assert.Equal(full[..CommandRunner.OutputCapBytes] + CommandRunner.TruncationMarker("stdout", full.Length - CommandRunner.OutputCapBytes), text);
    }

    [Fact]
    public async Task Bad_requests_are_refused_naming_what_is_wrong_and_each_is_audited()
    {
        await using var a = JobTests.Agent(_master.Url, "node1", allow: ["*"]);
        a.Start();
        await Online("node1");
        await a.StopAsync();
        await Wait.Until(async () => (await Api.Machine(_master.Url, "node1"))!.Status == MachineStatus.Offline, TimeSpan.FromSeconds(20), "node1 offline");
        var cases = new (string Json, HttpStatusCode Status, string Says)[]
        {
            ("""{"machines":["ghost"],"command":"id"}""", HttpStatusCode.NotFound, "'ghost'"),
            ("""{"machines":[],"command":"id"}""", HttpStatusCode.BadRequest, "at least one machine"),
            ("""{"machines":["node1"],"command":"  "}""", HttpStatusCode.BadRequest, "empty"),
            ("""{"machines":["node1"],"command":"id","timeoutSeconds":-1}""", HttpStatusCode.BadRequest, "timeoutSeconds"),
            ("""{"machines":["node1"],"command":""", HttpStatusCode.BadRequest, "not a command request"),
        };
        foreach (var (json, status, says) in cases)
        {
            var (got, body) = await Send(_master.Url, json);
            Assert.True(got == status, $"{json}: {(int)got} {body}");
            Assert.Contains(says, body);
        }
        var offline = await WaitDone(_master.Url, (await Start(_master.Url, """{"machines":["node1"],"command":"id"}""")).Id);
        Assert.Equal(CommandState.Failed, offline.Parts[0].State);
        Assert.Contains("offline", offline.Parts[0].Error);

        var audit = await Audit(_master.Url);
        Assert.Equal(cases.Length + 1, audit.Count);
        Assert.Equal(["rejected", "rejected", "rejected", "rejected", "rejected"], audit.Skip(1).Select(e => e.Outcome));
        Assert.Equal("failed", audit[0].Results[0].Outcome);
        Assert.Single(await Audit(_master.Url, "?machine=ghost"));
        Assert.Empty(await Audit(_master.Url, "?user=somebody-else"));
        Assert.Empty(await Audit(_master.Url, "?since=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))));
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Get(_master.Url, "api/commands/nosuch")).StatusCode);
    }

    [Fact]
    public async Task Outcomes_a_killed_master_left_pending_are_closed_as_failed_when_it_starts_again()
    {
        using var dir = new TempDir();
        // What a master killed mid-run leaves: an accepted request whose outcome never came (a clean stop fails its runs itself).
        await using (var store = Storage.SampleStore.Open(dir.Path))
        {
            new Storage.AuditLog(store.DatabasePath, TimeProvider.System, _ => { }).Add(new Auth.Principal("alice", Auth.Role.Admin, "password"), "192.0.2.1:5000",
                "command", "c-killed", ["node1", "node2"], "nvidia-smi", "accepted", null,
                [new AuditOutcome { Machine = "node1", Outcome = "completed", ExitCode = 0 }, new AuditOutcome { Machine = "node2", Outcome = "pending" }]);
        }
        await using var master = Masters.Start(dir.Path);
        var entry = (await Audit(master.Url)).Single();
        Assert.Equal(("alice", "c-killed"), (entry.User, entry.Ref));
        Assert.Equal(("completed", (int?)0), (entry.Results[0].Outcome, entry.Results[0].ExitCode));
        Assert.Equal(("failed", "the master restarted before it ended"), (entry.Results[1].Outcome, entry.Results[1].Detail));
    }

    [Fact]
    public async Task Cancelling_a_command_kills_its_whole_tree_on_the_agent()
    {
        await using var a = JobTests.Agent(_master.Url, "node1", allow: ["sh -c *"]);
        a.Start();
        await Online("node1");
        var tag = Sentinel.Testing.ProcessTable.UniqueSleep();
        var run = await Start(_master.Url, JsonSerializer.Serialize(new { machines = new[] { "node1" }, command = $"sh -c 'sleep {tag} & sleep {tag}'", timeoutSeconds = 600 }));
        await Wait.Until(() => Sentinel.Testing.ProcessTable.Sleepers(tag) == 2, TimeSpan.FromSeconds(30), "both sleeps started");
        Assert.Equal(HttpStatusCode.OK, (await Api.Post(_master.Url, $"api/commands/{run.Id}/cancel", "")).StatusCode);
        var done = await WaitDone(_master.Url, run.Id);
        Assert.Equal(CommandState.Failed, done.Parts[0].State);
        Assert.Contains("cancelled", done.Parts[0].Error);
        await Wait.Until(() => Sentinel.Testing.ProcessTable.Sleepers(tag) == 0, TimeSpan.FromSeconds(30), "no sleep survives");
        Assert.Equal(HttpStatusCode.NotFound, (await Api.Post(_master.Url, "api/commands/nosuch/cancel", "")).StatusCode);
    }

    [Fact]
    public async Task A_hand_driven_agent_gets_the_command_frame_and_the_master_takes_only_what_fits()
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor("raw1", commands: true));
        Assert.NotNull(await peer.ReceiveType(Protocol.MessageTypes.Welcome));
        await peer.SendSamples(1);
        await Online("raw1");

        var run = await Start(_master.Url, """{"machines":["raw1"],"command":"nvidia-smi -q","timeoutSeconds":5}""");
        var frame = (await peer.ReceiveType(Protocol.MessageTypes.Command))!.Value.Read(SentinelJsonContext.Default.CommandMessage, "x");
        Assert.Equal((run.Id, "nvidia-smi -q", 5.0), (frame.Id, frame.Command, frame.TimeoutSeconds));

        byte[] Output(string id, string stream, string text) => Protocol.Frames.Write(Protocol.MessageTypes.CommandOutput,
            new Protocol.CommandOutputMessage { Id = id, Stream = stream, Text = text }, SentinelJsonContext.Default.CommandOutputMessage);
        await peer.Send(Output("not-this-one", "stdout", "stray\n"));
        await peer.Send(Output(run.Id, "stdin", "wrong stream\n"));
        var piece = new string('x', 512 << 10);
        for (int i = 0; i < 6; i++) await peer.Send(Output(run.Id, "stdout", piece)); // 3 MiB: over the master's 2 MiB per machine
        await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.CommandResult,
            new Protocol.CommandResultMessage { Id = run.Id, ExitCode = 0, DurationSeconds = double.NaN }, SentinelJsonContext.Default.CommandResultMessage));
        var done = await WaitDone(_master.Url, run.Id);
        var part = done.Parts[0];
        Assert.Equal((CommandState.Completed, (int?)0, (double?)null), (part.State, part.ExitCode, part.DurationSeconds));
        Assert.True(part.Truncated);
        var text = Text(part);
        Assert.DoesNotContain("stray", text);
        Assert.DoesNotContain("wrong stream", text);
        Assert.StartsWith(new string('x', 1000), text);
        Assert.EndsWith("[sentinel: the master keeps at most 2 MiB of output per machine; the rest was dropped]\n", text);
        Assert.InRange(text.Length, 2 * CommandRunner.OutputCapBytes, 2 * CommandRunner.OutputCapBytes + 4096 + 200);

        // A second result for the same command changes nothing.
        await peer.Send(Protocol.Frames.Write(Protocol.MessageTypes.CommandResult,
            new Protocol.CommandResultMessage { Id = run.Id, ExitCode = 9 }, SentinelJsonContext.Default.CommandResultMessage));
        await peer.SendSamples(2);
        await peer.ExpectAck(2);
        Assert.Equal(0, (await Get(_master.Url, run.Id)).Parts[0].ExitCode);
    }

    [Fact]
    public async Task The_command_benchmark_obeys_the_same_allow_list_and_is_audited()
    {
        await using var a = JobTests.Agent(_master.Url, "node1", allow: ["echo *"]);
        a.Start();
        await Online("node1");
        var ok = await Api.WaitJob(_master.Url, (await Api.StartJob(_master.Url, """{"benchmark":"command","parameters":{"command":"echo","arguments":"hi"}}""")).Id, TimeSpan.FromSeconds(30));
        Assert.Equal(BenchmarkState.Completed, ok.State);
        var no = await Api.WaitJob(_master.Url, (await Api.StartJob(_master.Url, """{"benchmark":"command","parameters":{"command":"echo","arguments":"hi","shell":"true"}}""")).Id, TimeSpan.FromSeconds(30));
        Assert.Equal(BenchmarkState.Failed, no.State);
        Assert.Contains("sh -c echo hi", no.Parts[0].Error);
        await Wait.Until(async () => (await Audit(_master.Url)).All(e => e.Results.All(r => r.Outcome != "pending")), TimeSpan.FromSeconds(10), "outcomes recorded");
        var audit = await Audit(_master.Url);
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.Equal("command-benchmark", e.Action));
        Assert.Equal(("sh -c echo hi", "refused-by-agent"), (audit[0].Command, audit[0].Results[0].Outcome));
        Assert.Equal(("echo hi", "completed", (int?)0), (audit[1].Command, audit[1].Results[0].Outcome, audit[1].Results[0].ExitCode));
    }
}
