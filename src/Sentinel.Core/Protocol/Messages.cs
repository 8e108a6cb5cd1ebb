namespace Sentinel.Protocol;

/// <summary>Message type names, as they appear in the envelope's "type" field. docs/protocol.md is the contract.</summary>
public static class MessageTypes
{
    // agent -> master
    public const string Hello = "hello";
    public const string Samples = "samples";
    public const string Goodbye = "goodbye";
    /// <summary>Agent to master: the answer to a ping, at once, with its id.</summary>
    public const string Pong = "pong";
    /// <summary>How far a benchmark run is.</summary>
    public const string Progress = "progress";
    /// <summary>A benchmark run's end: completed, failed or cancelled, with its figures.</summary>
    public const string Result = "result";
    /// <summary>A piece of a remote command's output, as it comes.</summary>
    public const string CommandOutput = "command-output";
    /// <summary>A remote command's end: exit code, duration, timed out, truncated, or why the agent refused it.</summary>
    public const string CommandResult = "command-result";
    // master -> agent
    public const string Welcome = "welcome";
    public const string Ack = "ack";
    /// <summary>Master to agent (with the ping capability): measures the connection's round trip.</summary>
    public const string Ping = "ping";
    /// <summary>Run a benchmark (agents that announced the "benchmarks" capability).</summary>
    public const string Run = "run";
    /// <summary>Stop a benchmark run; the agent answers with a cancelled result.</summary>
    public const string Cancel = "cancel";
    /// <summary>Run a command line (agents that announced the "commands" capability), if the agent's allow-list lets it.</summary>
    public const string Command = "command";
    /// <summary>Stop a running command; the agent kills its process tree and answers with its command-result.</summary>
    public const string CommandCancel = "command-cancel";
    // master -> agent or viewer
    public const string Error = "error";
    // master -> viewer
    public const string Snapshot = "snapshot";
    public const string Update = "update";
}

/// <summary>Version and size limits of the wire protocol.</summary>
public static class ProtocolLimits
{
    /// <summary>The envelope version this build speaks.</summary>
    public const int Version = 1;
    /// <summary>Largest frame the master accepts from an agent.</summary>
    public const int MaxAgentFrameBytes = 1 << 20;
    /// <summary>Largest frame the master accepts from a viewer (viewers only send small requests).</summary>
    public const int MaxViewerFrameBytes = 16 << 10;
    /// <summary>Agents pack samples into frames up to about this size.</summary>
    public const int TargetBatchBytes = 256 << 10;
    /// <summary>Longest machine name, tag key or tag value accepted.</summary>
    public const int MaxNameLength = 253;
    public const int MaxTags = 64;
}

/// <summary>First frame on /ws/agent: who the agent is.</summary>
public sealed class Hello
{
    /// <summary>The machine's name in the fleet (unique among live agents).</summary>
    public required string Name { get; init; }
    /// <summary>The agent token, when the master requires one.</summary>
    public string? Token { get; init; }
    /// <summary>Random id of this agent process run; sequence numbers restart at 1 with each new one.</summary>
    public required string BootId { get; init; }
    /// <summary>Identifies the host (/etc/machine-id, else the host name): the same name from another host is a conflict.</summary>
    public required string HostId { get; init; }
    public required string AgentVersion { get; init; }
    public double IntervalSeconds { get; init; } = 1;
    public required Inventory Inventory { get; init; }
    public Dictionary<string, string> Tags { get; init; } = [];
    public List<string> Capabilities { get; init; } = [];
    /// <summary>The master URL the agent was started with (a relay's address when it goes through one): shown in the topology.</summary>
    public string? MasterUrl { get; init; }
}

/// <summary>The master's answer to a good hello.</summary>
public sealed class Welcome
{
    public required string Name { get; init; }
    /// <summary>The highest sequence number of this boot id already on disk: the agent drops what it holds up to it.</summary>
    public long AckedSeq { get; init; }
    public required string MasterVersion { get; init; }
    public DateTimeOffset ServerTime { get; init; }
}

/// <summary>One sample with its per-agent sequence number.</summary>
public sealed class SequencedSample
{
    public long Seq { get; init; }
    public required MachineSample Sample { get; init; }
}

/// <summary>Samples in sequence order: live ones one at a time, replays after a reconnect in batches.</summary>
public sealed class SampleBatch
{
    public List<SequencedSample> Samples { get; init; } = [];
}

/// <summary>Every sample of this boot id with a sequence number up to <see cref="Seq"/> is on disk.</summary>
public sealed class Ack
{
    public long Seq { get; init; }
}

/// <summary>Clean shutdown: the master marks the machine offline at once.</summary>
public sealed class Goodbye
{
    public string? Reason { get; init; }
}

/// <summary>Something the peer sent was refused. <see cref="Code"/> is stable; <see cref="Message"/> is for people.</summary>
public sealed class ErrorMessage
{
    public required string Code { get; init; }
    public required string Message { get; init; }
}

/// <summary>Error codes; docs/protocol.md lists what each means and whether the connection is closed.</summary>
public static class ErrorCodes
{
    public const string BadJson = "bad-json";
    public const string BadEnvelope = "bad-envelope";
    public const string UnsupportedVersion = "unsupported-version";
    public const string UnknownType = "unknown-type";
    public const string FrameTooLarge = "frame-too-large";
    public const string BinaryFrame = "binary-frame";
    public const string HelloRequired = "hello-required";
    public const string BadHello = "bad-hello";
    public const string Unauthorized = "unauthorized";
    public const string NameInUse = "name-in-use";
    public const string BadSample = "bad-sample";
    /// <summary>The master could not store a sample (queue full, commit failed); closed with 1013, try again later.</summary>
    public const string StoreUnavailable = "store-unavailable";
    /// <summary>A newer connection from the same host took the machine over; closed with 1000.</summary>
    public const string Replaced = "replaced";
    /// <summary>A progress or result frame that does not fit: unknown job, bad figures.</summary>
    public const string BadResult = "bad-result";
}

/// <summary>What agents announce in hello's capabilities.</summary>
public static class Capabilities
{
    /// <summary>The agent runs benchmarks on "run" and answers with progress and result.</summary>
    public const string Benchmarks = "benchmarks";
    /// <summary>The agent answers "ping" with "pong" at once, so the master can show the round trip.</summary>
    public const string Ping = "ping";
    /// <summary>The agent understands "command" frames (and answers each, refusing what its allow-list does not allow).</summary>
    public const string Commands = "commands";
}

/// <summary>Ping (master to agent) and pong (agent to master): the same id comes back.</summary>
public sealed class PingMessage
{
    public long Id { get; init; }
}

/// <summary>Master to agent: run one benchmark now. The agent runs one at a time.</summary>
public sealed class RunRequest
{
    public required string JobId { get; init; }
    /// <summary>The benchmark's PowerShell name (MemoryBandwidth, …).</summary>
    public required string Benchmark { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = [];
}

/// <summary>Master to agent: stop the run of this job.</summary>
public sealed class CancelRequest
{
    public required string JobId { get; init; }
}

/// <summary>Agent to master: how far the run of a job is.</summary>
public sealed class ProgressReport
{
    public required string JobId { get; init; }
    /// <summary>0 to 1.</summary>
    public double Fraction { get; init; }
    public string Stage { get; init; } = "";
}

/// <summary>Agent to master: the run of a job ended (its state says how).</summary>
public sealed class ResultReport
{
    public required string JobId { get; init; }
    public required BenchmarkResult Result { get; init; }
}

/// <summary>First frame on /ws: every machine as it is now, and the recent benchmark jobs.</summary>
public sealed class Snapshot
{
    public List<Machine> Machines { get; init; } = [];
    public List<BenchmarkJob> Jobs { get; init; } = [];
    /// <summary>Alerts open now: firing, acknowledged or silenced.</summary>
    public List<Alert> Alerts { get; set; } = []; // set, not init: left out by an older master, it stays empty (init-only would read as null)
}

/// <summary>What changed since the last update: new samples, status changes, new machines, jobs that moved.</summary>
public sealed class FleetUpdate
{
    /// <summary>
    /// Machines the master forgot since the last update (DELETE /api/machines/{name}, or silent past the roll-ups' retention).
    /// Applied before <see cref="Machines"/>: a name removed and back in one update is a new machine. Left out when empty.
    /// </summary>
    public List<string>? Removed { get; set; }
    public List<MachineUpdate> Machines { get; init; } = [];
    /// <summary>Jobs whose state, progress or results changed, each whole.</summary>
    public List<BenchmarkJob> Jobs { get; init; } = [];
    /// <summary>Alerts that fired, resolved, or were acknowledged or silenced, each whole.</summary>
    public List<Alert> Alerts { get; set; } = []; // set, not init: left out by an older master, it stays empty (init-only would read as null)
}

/// <summary>One machine's change. <see cref="Machine"/> is set when the machine is new or its inventory or tags changed.</summary>
public sealed class MachineUpdate
{
    public required string Name { get; init; }
    public MachineStatus Status { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public MachineSample? Sample { get; init; }
    public Machine? Machine { get; init; }
    /// <summary>The agent's connection, when it changed (connected, closed, a new round trip).</summary>
    public ConnectionInfo? Connection { get; init; }
}

/// <summary>Master to agent: run this command line, if the agent's allow-list allows it.</summary>
public sealed class CommandMessage
{
    public required string Id { get; init; }
    public required string Command { get; init; }
    public double TimeoutSeconds { get; init; } = 60;
}

/// <summary>Master to agent: stop this command.</summary>
public sealed class CommandCancelMessage
{
    public required string Id { get; init; }
}

/// <summary>Agent to master: a piece of a command's output.</summary>
public sealed class CommandOutputMessage
{
    public required string Id { get; init; }
    /// <summary>"stdout" or "stderr".</summary>
    public required string Stream { get; init; }
    public required string Text { get; init; }
}

/// <summary>Agent to master: how a command ended, or why it did not run.</summary>
public sealed class CommandResultMessage
{
    public required string Id { get; init; }
    public int? ExitCode { get; init; }
    public double DurationSeconds { get; init; }
    public bool TimedOut { get; init; }
    public bool Truncated { get; init; }
    /// <summary>Set when the agent refused to run it (its allow-list, or a line that is not a valid command).</summary>
    public string? Refused { get; init; }
    /// <summary>Set when it could not start, timed out or was cancelled.</summary>
    public string? Error { get; init; }
}
