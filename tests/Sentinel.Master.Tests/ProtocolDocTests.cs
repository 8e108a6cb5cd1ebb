using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>
/// docs/protocol.md and docs/api.md are the contract other implementations code against. Every ```json example in
/// them is read here with the project's own <see cref="SentinelJsonContext"/> into the type it documents, with
/// unknown properties refused, and written back: a property renamed or removed in the code, or a value the type
/// cannot hold, fails this test until the docs follow.
/// </summary>
public class ProtocolDocTests
{
    /// <summary>The same options as the wire, except that a property the type does not have is an error, not ignored.</summary>
    private static readonly SentinelJsonContext Strict = new(new JsonSerializerOptions(SentinelJsonContext.Default.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    });

    // Examples the docs hold today. Fewer means the extraction broke or examples were dropped without thought.
    private const int MinProtocolExamples = 26;
    private const int MinApiExamples = 11;

    private sealed record Example(string File, int Line, string Json)
    {
        public override string ToString() => $"{File}:{Line}";
    }

    private static readonly Lazy<string> DocsDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sentinel.sln")))
            {
                return Path.Combine(dir.FullName, "docs");
            }
        }
        throw new InvalidOperationException("Cannot find the repository root (Sentinel.sln) above " + AppContext.BaseDirectory);
    });

    private static string ReadDoc(string name) => File.ReadAllText(Path.Combine(DocsDirectory.Value, name)).ReplaceLineEndings("\n");

    /// <summary>Every fenced block that opens with ```json, with the line it starts on.</summary>
    private static List<Example> Examples(string name)
    {
        var text = ReadDoc(name);
        return Regex.Matches(text, @"^```json[ \t]*\n(.*?)^```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => new Example(name, text.AsSpan(0, m.Index).Count('\n') + 1, m.Groups[1].Value))
            .ToList();
    }

    /// <summary>
    /// How each envelope type is read, exactly as the master and the agent read it (<see cref="Envelope.Read{T}"/>);
    /// hellos and samples then made whole as the master makes them (lists left out become empty).
    /// </summary>
    private static readonly Dictionary<string, Func<Envelope, (object Value, Type Type)>> Readers = new()
    {
        [MessageTypes.Hello] = e => (SampleValidation.Normalize(e.Read(Strict.Hello, ErrorCodes.BadHello)), typeof(Hello)),
        [MessageTypes.Welcome] = e => (e.Read(Strict.Welcome, ErrorCodes.BadEnvelope), typeof(Welcome)),
        [MessageTypes.Samples] = e => (Normalize(e.Read(Strict.SampleBatch, ErrorCodes.BadSample)), typeof(SampleBatch)),
        [MessageTypes.Ack] = e => (e.Read(Strict.Ack, ErrorCodes.BadEnvelope), typeof(Ack)),
        [MessageTypes.Goodbye] = e => (e.Read(Strict.Goodbye, ErrorCodes.BadEnvelope), typeof(Goodbye)),
        [MessageTypes.Ping] = e => (e.Read(Strict.PingMessage, ErrorCodes.BadEnvelope), typeof(PingMessage)),
        [MessageTypes.Pong] = e => (e.Read(Strict.PingMessage, ErrorCodes.BadEnvelope), typeof(PingMessage)),
        [MessageTypes.Progress] = e => (e.Read(Strict.ProgressReport, ErrorCodes.BadResult), typeof(ProgressReport)),
        [MessageTypes.Result] = e => (e.Read(Strict.ResultReport, ErrorCodes.BadResult), typeof(ResultReport)),
        [MessageTypes.Run] = e => (e.Read(Strict.RunRequest, ErrorCodes.BadEnvelope), typeof(RunRequest)),
        [MessageTypes.Cancel] = e => (e.Read(Strict.CancelRequest, ErrorCodes.BadEnvelope), typeof(CancelRequest)),
        [MessageTypes.Command] = e => (e.Read(Strict.CommandMessage, ErrorCodes.BadEnvelope), typeof(CommandMessage)),
        [MessageTypes.CommandCancel] = e => (e.Read(Strict.CommandCancelMessage, ErrorCodes.BadEnvelope), typeof(CommandCancelMessage)),
        [MessageTypes.CommandOutput] = e => (e.Read(Strict.CommandOutputMessage, ErrorCodes.BadResult), typeof(CommandOutputMessage)),
        [MessageTypes.CommandResult] = e => (e.Read(Strict.CommandResultMessage, ErrorCodes.BadResult), typeof(CommandResultMessage)),
        [MessageTypes.Error] = e => (e.Read(Strict.ErrorMessage, ErrorCodes.BadEnvelope), typeof(ErrorMessage)),
        [MessageTypes.Snapshot] = e => (e.Read(Strict.Snapshot, ErrorCodes.BadEnvelope), typeof(Snapshot)),
        [MessageTypes.Update] = e => (e.Read(Strict.FleetUpdate, ErrorCodes.BadEnvelope), typeof(FleetUpdate)),
    };

    private static SampleBatch Normalize(SampleBatch batch) => new()
    {
        Samples = batch.Samples.Select(s => new SequencedSample
        {
            Seq = s.Seq,
            Sample = SampleValidation.Normalize(s.Sample, out var problem) ?? throw new FrameException(ErrorCodes.BadSample, $"seq {s.Seq}: {problem}"),
        }).ToList(),
    };

    private static (Envelope Envelope, object Value) ReadMessage(Example example)
    {
        // The master's own envelope parser: version, type, duplicate keys, nesting.
        Envelope env;
        object value;
        Type type;
        try
        {
            env = Frames.Read(Encoding.UTF8.GetBytes(example.Json));
            Assert.True(Readers.TryGetValue(env.Type, out var read), $"{example}: no message type '{env.Type}' (known: {string.Join(", ", Readers.Keys)})");
            (value, type) = read!(env);
        }
        catch (FrameException e)
        {
            throw new Xunit.Sdk.XunitException($"{example}: refused as {e.Code}: {e.Message}");
        }
        AssertRoundTrip(example, JsonNode.Parse(env.Data.GetRawText())!, value, type);
        return (env, value);
    }

    [Fact]
    public void Every_json_example_in_protocol_md_is_the_message_its_type_names()
    {
        var examples = Examples("protocol.md");
        Assert.True(examples.Count >= MinProtocolExamples, $"found {examples.Count} json examples in protocol.md, expected at least {MinProtocolExamples}");
        var types = new HashSet<string>();
        foreach (var example in examples)
        {
            var (env, _) = ReadMessage(example);
            Assert.Equal(ProtocolLimits.Version, env.Version);
            types.Add(env.Type);
        }
        // Every message type the code defines has at least one example.
        var defined = typeof(MessageTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        Assert.Equal(defined.Order(), types.Order());
        Assert.Equal(defined.Order(), Readers.Keys.Order());
    }

    [Fact]
    public void The_protocol_examples_say_what_the_text_says()
    {
        var messages = Examples("protocol.md").Select(e => (Example: e, Message: ReadMessage(e))).ToList();
        T One<T>(Func<T, bool> where) => Assert.Single(messages.Select(m => m.Message.Value).OfType<T>(), x => where(x));

        var hello = One<Hello>(h => h.Name == "node01");
        Assert.Equal("136c33f9777a44afaafb079ce52271f4", hello.BootId);
        Assert.Equal(1, hello.IntervalSeconds);
        Assert.Equal("vm", hello.Inventory.HostName);
        Assert.Equal(33554432, hello.Inventory.LastLevelCacheBytes);
        Assert.Equal("b7", hello.Tags["rack"]);
        Assert.Equal([Capabilities.Benchmarks, Capabilities.Ping, Capabilities.Commands], hello.Capabilities); // what `sentinel agent` sends
        Assert.Equal(4, hello.Tags.Count);
        Assert.Null(hello.Token);

        // "The smallest hello the master accepts": the master's own checks take it, with a 1 s interval and no tags.
        var minimal = SampleValidation.Normalize(One<Hello>(h => h.Name == "minimal"));
        Assert.Null(HelloValidation.Problem(minimal));
        Assert.Equal(1, minimal.IntervalSeconds);
        Assert.Empty(minimal.Tags);
        Assert.Empty(minimal.Inventory.Addresses);

        Assert.Equal(new long[] { 0, 2 }, messages.Select(m => m.Message.Value).OfType<Welcome>().Select(w => w.AckedSeq).Order());
        Assert.All(messages.Select(m => m.Message.Value).OfType<Welcome>(), w => Assert.Equal("0.1.0", w.MasterVersion));

        // Every sample shown is one the master accepts as it stands.
        var batches = messages.Select(m => m.Message.Value).OfType<SampleBatch>().ToList();
        Assert.Equal(2, batches.Count);
        foreach (var s in batches.SelectMany(b => b.Samples))
        {
            Assert.True(s.Seq >= 1);
            Assert.NotNull(SampleValidation.Normalize(s.Sample, out var problem));
            Assert.Null(problem);
        }
        var full = Assert.Single(batches.Single(b => b.Samples[0].Sample.Disks.Count > 0).Samples);
        Assert.Equal(95.48, full.Sample.Cpu.CpuPercent);
        Assert.Equal(2, full.Sample.Cpu.Cores.Count);
        Assert.Equal("eth0", full.Sample.Network[1].Name);

        Assert.Equal(new long[] { 1, 42 }, messages.Select(m => m.Message.Value).OfType<Ack>().Select(a => a.Seq).Order());
        Assert.Equal("agent stopping", One<Goodbye>(_ => true).Reason);

        var errorCodes = messages.Select(m => m.Message.Value).OfType<ErrorMessage>().Select(e => e.Code).Order().ToList();
        Assert.Equal(new[] { ErrorCodes.NameInUse, ErrorCodes.Replaced, ErrorCodes.StoreUnavailable }, errorCodes);

        var snapshot = One<Snapshot>(_ => true);
        Assert.Equal("node01", Assert.Single(snapshot.Machines).Name);
        Assert.Equal(MachineStatus.Offline, snapshot.Machines[0].Status);

        var fleetUpdates = messages.Select(m => m.Message.Value).OfType<FleetUpdate>().ToList();
        var jobUpdate = Assert.Single(fleetUpdates, u => u.Jobs.Count > 0);
        Assert.Empty(jobUpdate.Machines);
        Assert.Equal(BenchmarkState.Running, Assert.Single(jobUpdate.Jobs).State);
        var alertUpdate = Assert.Single(fleetUpdates, u => u.Alerts.Count > 0);
        Assert.Equal((AlertState.Firing, "cpu-high"), (Assert.Single(alertUpdate.Alerts).State, alertUpdate.Alerts[0].RuleId));
        Assert.True(alertUpdate.Alerts[0].FiredValue > alertUpdate.Alerts[0].Threshold);
        var removal = Assert.Single(fleetUpdates, u => u.Removed is not null);
        Assert.Equal(["job-4242"], removal.Removed);
        Assert.Empty(removal.Machines);
        Assert.All(fleetUpdates.Where(u => u != removal), u => Assert.Null(u.Removed)); // left out when none were removed
        var updates = fleetUpdates.Where(u => u.Jobs.Count == 0 && u.Alerts.Count == 0 && u.Removed is null).Select(u => Assert.Single(u.Machines)).ToList();
        Assert.Equal(3, updates.Count);
        Assert.Contains(updates, u => u.Machine is not null && u.Sample is null && u.Status == MachineStatus.Online);
        Assert.Contains(updates, u => u.Sample is not null && u.Machine is null);
        Assert.Contains(updates, u => u.Name == "node03" && u.Status == MachineStatus.Offline && u.Sample is null && u.Machine is null);

        // A job's frames name the job the run frame started.
        var run = One<RunRequest>(_ => true);
        Assert.Equal("Command", run.Benchmark);
        Assert.Equal("uname", run.Parameters["command"]);
        Assert.Equal(run.JobId, One<ProgressReport>(_ => true).JobId);
        var result = One<ResultReport>(_ => true);
        Assert.Equal(run.JobId, result.JobId);
        Assert.Equal(run.JobId, result.Result.JobId);
        Assert.Equal(BenchmarkState.Completed, result.Result.State);
        Assert.Equal(0, result.Result.Values["exitCode"]);
        Assert.False(string.IsNullOrEmpty(One<CancelRequest>(_ => true).JobId));
    }

    [Fact]
    public void The_error_code_table_in_protocol_md_lists_exactly_the_codes_in_the_code()
    {
        var text = ReadDoc("protocol.md");
        int start = text.IndexOf("\n## Error codes\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "protocol.md has no '## Error codes' section");
        int end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var section = text[start..(end < 0 ? text.Length : end)];
        var documented = Regex.Matches(section, @"^\| `([a-z-]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        var defined = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.True(defined.Count >= 13, $"only {defined.Count} error codes found by reflection");
        Assert.Equal(documented.Count, documented.Distinct().Count());
        Assert.Equal(defined.Order(), documented.Order());
    }

    [Fact]
    public void Every_json_example_in_api_md_is_the_response_type_it_shows()
    {
        var examples = Examples("api.md");
        Assert.True(examples.Count >= MinApiExamples, $"found {examples.Count} json examples in api.md, expected at least {MinApiExamples}");
        var status = new List<MasterStatus>();
        var machines = new List<Machine>();
        var series = new List<MetricSeries>();
        var errors = new List<ErrorMessage>();
        var jobs = new List<BenchmarkJob>();
        var connections = new List<ConnectionHistory>();
        var histories = new List<FleetHistory>();
        var catalogs = new List<List<BenchmarkInfo>>();
        var connectionInfos = new List<ConnectionInfo>();
        var commands = new List<Sentinel.Commands.CommandRun>();
        var audits = new List<List<Sentinel.Commands.AuditEntry>>();
        var alertLists = new List<List<Alert>>();
        var rules = new List<AlertRule>();
        foreach (var example in examples)
        {
            var parsed = JsonNode.Parse(example.Json)!;
            if (parsed is JsonArray alertArray && alertArray.FirstOrDefault() is JsonObject firstAlert && firstAlert.ContainsKey("ruleId"))
            {
                alertLists.Add(Read(example, parsed, Strict.ListAlert));
                continue;
            }
            if (parsed is JsonArray array && array.FirstOrDefault() is JsonObject first && first.ContainsKey("cliName"))
            {
                catalogs.Add(Read(example, parsed, Strict.ListBenchmarkInfo));
                continue;
            }
            if (parsed is JsonArray auditArray && auditArray.FirstOrDefault() is JsonObject firstEntry && firstEntry.ContainsKey("action"))
            {
                audits.Add(Read(example, parsed, Strict.ListAuditEntry));
                continue;
            }
            var node = parsed.AsObject();
            // Which response an example is, by the key only that response has.
            if (node.ContainsKey("error"))
            {
                Assert.Single(node);
                errors.Add(Read(example, node["error"]!, Strict.ErrorMessage));
            }
            else if (node.ContainsKey("parts") && node.ContainsKey("command"))
            {
                commands.Add(Read(example, node, Strict.CommandRun));
            }
            else if (node.ContainsKey("parts"))
            {
                jobs.Add(Read(example, node, Strict.BenchmarkJob));
            }
            else if (node.ContainsKey("points"))
            {
                series.Add(Read(example, node, Strict.MetricSeries));
            }
            else if (node.ContainsKey("inventory"))
            {
                machines.Add(Read(example, node, Strict.Machine));
            }
            else if (node.ContainsKey("storeHealthy"))
            {
                status.Add(Read(example, node, Strict.MasterStatus));
            }
            else if (node.ContainsKey("uptimeShare"))
            {
                connections.Add(Read(example, node, Strict.ConnectionHistory));
            }
            else if (node.ContainsKey("buckets"))
            {
                histories.Add(Read(example, node, Strict.FleetHistory));
            }
            else if (node.ContainsKey("metric") && node.ContainsKey("threshold"))
            {
                rules.Add(Read(example, node, Strict.AlertRule));
            }
            else if (node.Count == 1 && node.ContainsKey("connection"))
            {
                connectionInfos.Add(Read(example, node["connection"]!, Strict.ConnectionInfo));
            }
            else
            {
                Assert.Fail($"{example}: a json example this test does not know how to read; map it to its type here");
            }
        }

        // A command as POST /api/commands answers it, and the same run done: one machine ran it, the other refused.
        Assert.Equal(2, commands.Count);
        Assert.Single(commands.Select(x => x.Id).Distinct());
        var ran = Assert.Single(commands, x => x.Done);
        Assert.Equal((Sentinel.Commands.CommandState.Completed, (int?)0), (ran.Parts[0].State, ran.Parts[0].ExitCode));
        Assert.Equal(ran.Seq, ran.Parts.SelectMany(p => p.Output).Max(o => o.Seq));
        Assert.Contains("--allow-command", ran.Parts[1].Refused);
        var audit = Assert.Single(audits);
        Assert.Equal(["rejected", "accepted"], audit.Select(e => e.Outcome));
        Assert.Equal(ran.Id, audit[1].Ref);
        Assert.Equal(["completed", "refused-by-agent"], audit[1].Results.Select(r => r.Outcome));
        var alerts = Assert.Single(alertLists);
        Assert.Equal([AlertState.Acknowledged, AlertState.Resolved], alerts.Select(a => a.State));
        Assert.All(alerts, a => Assert.True(a.State == AlertState.Resolved == a.ResolvedAt.HasValue));
        var rule = Assert.Single(rules);
        Assert.Equal((AlertMetric.GpuTemperature, 80.0, 75.0), (rule.Metric, rule.Threshold, rule.ClearThreshold!.Value));

        var c = Assert.Single(connections);
        Assert.Equal(["connected", "disconnected"], c.Events.Select(e => e.Event));
        Assert.Equal(c.Connects, c.Events.Count(e => e.Event == "connected"));
        var h = Assert.Single(histories);
        Assert.All(h.Machines, m => Assert.Equal(h.Buckets, m.CpuPercent.Length));
        var catalog = Assert.Single(catalogs);
        Assert.Equal(Benchmarks.BenchmarkHeadline.Of("MemoryBandwidth"), Assert.Single(catalog).Headline);
        Assert.True(Assert.Single(connectionInfos).Connected);

        var s = Assert.Single(status);
        Assert.Equal("0.1.0", s.Version);
        Assert.True(s.StoreHealthy);
        Assert.Equal(800, s.SamplesStored);

        var m = Assert.Single(machines);
        Assert.Equal("node01", m.Name);
        Assert.Equal(MachineStatus.Online, m.Status);
        Assert.Equal("81234", m.Tags["slurm_job"]);
        Assert.NotNull(m.Latest);
        Assert.Equal(20.25, m.Latest!.Cpu.CpuPercent);

        Assert.Equal(new[] { "node01", "node02" }, series.Select(x => x.Name).Order());
        Assert.Contains(series, x => x.StepSeconds == 1 && x.Points.Count == 2 && x.Points.All(p => p.Machine == "node02" && p.Samples == 1));
        Assert.Contains(series, x => x.StepSeconds == 60 && x.Points.Select(p => p.Samples).SequenceEqual(new[] { 6, 60 }));

        Assert.Equal(["bad-parameter", "bad-parameter", "machine-online"], errors.Select(e => e.Code).Order());
        Assert.Contains("stop its agent first", errors.Single(e => e.Code == "machine-online").Message);

        // The job as POST /api/jobs answers it, and the same job finished, with the agent's result.
        Assert.Equal(2, jobs.Count);
        Assert.Single(jobs.Select(j => j.Id).Distinct());
        Assert.Contains(jobs, j => j.State == BenchmarkState.Running && j.FinishedAt is null && j.Parts[0].Result is null);
        var done = Assert.Single(jobs, j => j.State == BenchmarkState.Completed);
        var part = Assert.Single(done.Parts);
        Assert.Equal(1, part.Progress);
        Assert.Equal(done.Id, part.Result?.JobId);
        Assert.Equal("node01", part.Result?.Machine);
    }

    private static T Read<T>(Example example, JsonNode json, JsonTypeInfo<T> info) where T : class
    {
        T value;
        try
        {
            value = json.Deserialize(info) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"{example}: does not read as {typeof(T).Name}: {e.Message}");
        }
        AssertRoundTrip(example, json, value, typeof(T));
        return value;
    }

    /// <summary>
    /// Writes <paramref name="value"/> back with the wire's own options and checks that every property and value
    /// the example shows comes out the same. Figures the type derives from others (read-only properties such as
    /// cpuPercent on a sample) are only checked to exist: examples with shortened lists cannot match them.
    /// </summary>
    private static void AssertRoundTrip(Example example, JsonNode documented, object value, Type type)
    {
        var written = JsonSerializer.SerializeToNode(value, SentinelJsonContext.Default.GetTypeInfo(type)!)!;
        var problems = new List<string>();
        Compare(documented, written, type, "$", problems);
        Assert.True(problems.Count == 0, $"{example}: the example does not survive a round trip through {type.Name}:\n  " + string.Join("\n  ", problems));
    }

    private static void Compare(JsonNode? documented, JsonNode? written, Type type, string path, List<string> problems)
    {
        if (documented is null && written is null && path.EndsWith(']'))
        {
            return; // a null slot in an array (a gap in a time grid) is written as null
        }
        if (documented is null)
        {
            problems.Add($"{path}: null in the example (the wire leaves nulls out)");
            return;
        }
        if (written is null)
        {
            problems.Add($"{path}: missing after the round trip");
            return;
        }
        var info = SentinelJsonContext.Default.GetTypeInfo(type);
        switch (documented)
        {
            case JsonObject docObject when written is JsonObject outObject:
                foreach (var (name, child) in docObject)
                {
                    var childPath = $"{path}.{name}";
                    if (!outObject.TryGetPropertyValue(name, out var outChild))
                    {
                        problems.Add($"{childPath}: not written back (renamed or removed in the code?)");
                        continue;
                    }
                    if (info?.Kind == JsonTypeInfoKind.Dictionary)
                    {
                        Compare(child, outChild, info.ElementType!, childPath, problems);
                        continue;
                    }
                    var property = info?.Properties.FirstOrDefault(p => p.Name == name);
                    if (property is null)
                    {
                        problems.Add($"{childPath}: no such property on {type.Name}");
                    }
                    else if (!IsDerived(type, name))
                    {
                        Compare(child, outChild, property.PropertyType, childPath, problems);
                    }
                }
                break;
            case JsonArray docArray when written is JsonArray outArray:
                if (docArray.Count != outArray.Count)
                {
                    problems.Add($"{path}: {docArray.Count} items in the example, {outArray.Count} written back");
                    break;
                }
                for (int i = 0; i < docArray.Count; i++)
                {
                    Compare(docArray[i], outArray[i], info?.ElementType ?? typeof(object), $"{path}[{i}]", problems);
                }
                break;
            case JsonValue docValue when written is JsonValue outValue:
                if (!SameValue(docValue, outValue))
                {
                    problems.Add($"{path}: {docValue.ToJsonString()} in the example, {outValue.ToJsonString()} written back");
                }
                break;
            default:
                problems.Add($"{path}: {documented.GetValueKind()} in the example, {written.GetValueKind()} written back");
                break;
        }
    }

    /// <summary>A property with no setter at all: computed from the others, written but never read.</summary>
    private static bool IsDerived(Type type, string jsonName)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name) == jsonName) is { SetMethod: null };

    private static bool SameValue(JsonValue a, JsonValue b)
    {
        if (a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number)
        {
            return a.GetValue<double>() == b.GetValue<double>();
        }
        if (a.GetValueKind() == JsonValueKind.String && b.GetValueKind() == JsonValueKind.String)
        {
            string x = a.GetValue<string>(), y = b.GetValue<string>();
            // "...T10:00:00Z" comes back as "...T10:00:00+00:00": the same instant.
            return x == y
                || DateTimeOffset.TryParse(x, CultureInfo.InvariantCulture, DateTimeStyles.None, out var tx) && x.Contains('T', StringComparison.Ordinal)
                   && DateTimeOffset.TryParse(y, CultureInfo.InvariantCulture, DateTimeStyles.None, out var ty) && tx == ty;
        }
        return JsonNode.DeepEquals(a, b);
    }
}
