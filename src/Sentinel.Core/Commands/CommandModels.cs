using System.Text.Json.Serialization;

namespace Sentinel.Commands;

/// <summary>How a command's run on one machine stands.</summary>
[JsonConverter(typeof(Json.CamelCaseEnumConverter<CommandState>))]
public enum CommandState
{
    /// <summary>Sent to the agent; output may be arriving.</summary>
    Running,
    /// <summary>The program ran and exited (with any exit code).</summary>
    Completed,
    /// <summary>It ran past its timeout; it and every process it started were killed.</summary>
    TimedOut,
    /// <summary>The agent refused it: not on its allow-list, or not a valid command line.</summary>
    Refused,
    /// <summary>It did not run or did not finish: the machine was offline or went away, the program could not start, or it was cancelled.</summary>
    Failed,
}

/// <summary>POST /api/commands: what to run where.</summary>
public sealed class CommandRequest
{
    /// <summary>Machine names, exactly (at least one: a command never goes to "all machines" by omission).</summary>
    public List<string>? Machines { get; init; }
    /// <summary>The command line (docs/commands.md says how it is matched and split).</summary>
    public string? Command { get; init; }
    /// <summary>Longest it may run, in seconds (default 60, at most a day).</summary>
    public double? TimeoutSeconds { get; init; }
}

/// <summary>A piece of a command's output, numbered across the whole run so a caller can ask for what came after.</summary>
public sealed class CommandChunk
{
    public long Seq { get; init; }
    /// <summary>"stdout" or "stderr".</summary>
    public required string Stream { get; init; }
    public required string Text { get; init; }
}

/// <summary>One machine's part of a command run.</summary>
public sealed class CommandPart
{
    public required string Machine { get; init; }
    public CommandState State { get; set; }
    public int? ExitCode { get; set; }
    public double? DurationSeconds { get; set; }
    public bool TimedOut { get; set; }
    /// <summary>A stream went over <see cref="CommandRunner.OutputCapBytes"/>: its first 1 MiB was kept and a marker line ends it.</summary>
    public bool Truncated { get; set; }
    /// <summary>Why the agent refused it, when it did.</summary>
    public string? Refused { get; set; }
    /// <summary>Why it failed or timed out, when it did.</summary>
    public string? Error { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Output in order (all of it, or what came after the asked-for sequence number).</summary>
    public List<CommandChunk> Output { get; set; } = [];
}

/// <summary>A command sent to machines, and how it went on each.</summary>
public sealed class CommandRun
{
    public required string Id { get; init; }
    public required string Command { get; init; }
    public double TimeoutSeconds { get; init; }
    /// <summary>Who asked (a user, or "token NAME").</summary>
    public required string User { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>True once every part has ended.</summary>
    public bool Done { get; set; }
    /// <summary>The highest output sequence number so far: ask GET /api/commands/{id}?since=THIS for what comes next.</summary>
    public long Seq { get; set; }
    public List<CommandPart> Parts { get; init; } = [];
}

/// <summary>One machine's outcome in an audit entry.</summary>
public sealed class AuditOutcome
{
    public required string Machine { get; init; }
    /// <summary>pending, completed, timed-out, refused-by-agent, refused-by-master, failed.</summary>
    public required string Outcome { get; set; }
    public int? ExitCode { get; set; }
    public string? Detail { get; set; }
}

/// <summary>One request to run something on machines, allowed or refused: who, when, what, where, and how it ended.</summary>
public sealed class AuditEntry
{
    public long Id { get; init; }
    public DateTimeOffset Time { get; init; }
    /// <summary>The user or "token NAME"; "anonymous" when nobody signed in.</summary>
    public required string User { get; init; }
    /// <summary>The caller's role then.</summary>
    public string? Role { get; init; }
    /// <summary>Where from (the client's address).</summary>
    public string? Remote { get; init; }
    /// <summary>"command" (POST /api/commands), "command-benchmark" (the Command benchmark as a job) or "machine-delete" (DELETE /api/machines/{name}).</summary>
    public required string Action { get; init; }
    /// <summary>The command run's or job's id, when one was made.</summary>
    public string? Ref { get; init; }
    public List<string> Machines { get; init; } = [];
    public required string Command { get; init; }
    /// <summary>accepted, refused-by-master (role), or rejected (a bad request).</summary>
    public required string Outcome { get; init; }
    public string? Detail { get; init; }
    public List<AuditOutcome> Results { get; set; } = [];
}

/// <summary>Which audit entries to read.</summary>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? User = null, string? Machine = null, int Limit = 100);

/// <summary>How a command went on one machine, as Invoke-SentinelCommand writes it.</summary>
public sealed class CommandResult
{
    public required string Machine { get; init; }
    public required string Command { get; init; }
    /// <summary>The command run's id on the master (GET /api/commands/{id}; the audit log's Ref).</summary>
    public required string Id { get; init; }
    public CommandState State { get; init; }
    public int? ExitCode { get; init; }
    public TimeSpan? Duration { get; init; }
    public bool TimedOut { get; init; }
    /// <summary>A stream went past 1 MiB: its first 1 MiB is kept, ended by a marker line.</summary>
    public bool Truncated { get; init; }
    /// <summary>Why the agent refused it (its allow-list), when it did.</summary>
    public string? Refused { get; init; }
    /// <summary>Why it failed or timed out, when it did.</summary>
    public string? Error { get; init; }
    /// <summary>What it wrote to stdout.</summary>
    public string Output { get; init; } = "";
    /// <summary>What it wrote to stderr.</summary>
    public string ErrorOutput { get; init; } = "";
}

/// <summary>A moment of a remote command: one complete line of a machine's output as it comes, or that machine's result.</summary>
public sealed record CommandEvent(string Machine, string? Stream, string? Line, CommandResult? Result);
