using Sentinel.Commands;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Commands;

/// <summary>A command request the master refuses, with the HTTP status and error code to answer with.</summary>
internal sealed class CommandRequestException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>
/// Remote commands on the master: a run has one part per machine, sent at once as a "command" frame; output arrives
/// in pieces (kept in order, numbered across the run so callers can ask for what is new) and each part ends with the
/// agent's command-result, or fails when its machine goes away or never answers. Every change to a run (a piece of output,
/// a part's end) takes the run's next sequence number and wakes the long-polls waiting on it. Every request is audited.
/// </summary>
internal sealed class CommandManager
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
    /// <summary>How long past its timeout a part may stay unanswered before the master gives up on it.</summary>
    public static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(30);
    /// <summary>Runs kept in memory for GET /api/commands/{id} (their audit entries stay in the database).</summary>
    private const int Kept = 100;
    /// <summary>The most output the master keeps per part, whatever an agent sends: both streams at the agent's cap, and room for markers.</summary>
    private const long MaxCharsPerPart = 2L * CommandRunner.OutputCapBytes + 4096;

    private readonly FleetState _fleet;
    private readonly Storage.AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    private readonly List<Run> _runs = [];
    private readonly Dictionary<string, Run> _byId = new(StringComparer.Ordinal);
    private int _waiting;

    private sealed class Run(CommandRun data, long auditId, long deadline)
    {
        public CommandRun Data { get; } = data;
        public long AuditId { get; } = auditId;
        /// <summary>Monotonic ticks after which unanswered parts fail.</summary>
        public long Deadline { get; } = deadline;
        public Dictionary<string, long> Chars { get; } = new(StringComparer.Ordinal);
        /// <summary>Fired after each change, under the manager's lock.</summary>
        public ChangeSignal Changed { get; } = new();
    }

    public CommandManager(FleetState fleet, Storage.AuditLog audit, TimeProvider time, Action<string> log)
    {
        _fleet = fleet;
        _audit = audit;
        _time = time;
        _log = log;
    }

    public Storage.AuditLog Audit => _audit;

    /// <summary>Sends a command to its machines. Throws <see cref="CommandRequestException"/> naming what is wrong (audited as rejected).</summary>
    public CommandRun Create(CommandRequest? request, Auth.Principal who, string? remote)
    {
        var machines = (request?.Machines ?? []).Where(m => m is not null).Distinct(StringComparer.Ordinal).ToList();
        var line = request?.Command ?? "";
        void Reject(int status, string code, string message)
        {
            _audit.Add(who, remote, "command", null, machines, line, "rejected", message, []);
            throw new CommandRequestException(status, code, message);
        }
        if (request is null) Reject(400, "bad-request", "the body needs 'machines' and 'command', e.g. {\"machines\":[\"gpu01\"],\"command\":\"nvidia-smi -q\",\"timeoutSeconds\":60}");
        if (CommandLine.Problem(line) is { } problem) Reject(400, "bad-command", "command: " + problem);
        if (machines.Count == 0) Reject(400, "bad-request", "machines: name at least one machine (a command never goes to every machine by omission)");
        var timeout = DefaultTimeout;
        if (request!.TimeoutSeconds is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxTimeout.TotalSeconds)
                Reject(400, "bad-request", $"timeoutSeconds: {seconds} is outside 0 to {MaxTimeout.TotalSeconds:0} (a day)");
            timeout = TimeSpan.FromSeconds(seconds);
        }
        var unknown = machines.Where(n => _fleet.Find(n) is null).ToList();
        if (unknown.Count > 0) Reject(404, "machine-not-found", $"no machine named {string.Join(", ", unknown.Select(n => $"'{n}'"))}");

        var now = _time.GetUtcNow();
        var data = new CommandRun
        {
            Id = $"c{now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}",
            Command = line,
            TimeoutSeconds = timeout.TotalSeconds,
            User = who.Name,
            CreatedAt = now,
            Parts = machines.Order(StringComparer.Ordinal).Select(m => new CommandPart { Machine = m, State = CommandState.Running }).ToList(),
        };
        var frame = Frames.Write(MessageTypes.Command, new CommandMessage { Id = data.Id, Command = line, TimeoutSeconds = timeout.TotalSeconds },
            SentinelJsonContext.Default.CommandMessage);
        var sendTo = new List<AgentConnection>();
        foreach (var part in data.Parts)
        {
            var entry = _fleet.Find(part.Machine)!;
            AgentConnection? connection;
            bool capable;
            lock (_fleet.Lock)
            {
                connection = entry.Connection;
                capable = entry.Capabilities.Contains(Capabilities.Commands);
            }
            if (connection is null) End(part, CommandState.Failed, "the machine is offline (no agent connected)");
            else if (!capable) End(part, CommandState.Failed, "the machine's agent does not take commands (an older agent version); update it");
            else sendTo.Add(connection);
        }
        long auditId = _audit.Add(who, remote, "command", data.Id, machines, line, "accepted", null, Outcomes(data));
        var run = new Run(data, auditId, _time.GetTimestamp() + (long)((timeout + AnswerGrace).TotalSeconds * _time.TimestampFrequency));
        lock (_lock)
        {
            _runs.Add(run);
            _byId[data.Id] = run;
            Trim();
            CheckDone(run);
        }
        foreach (var c in sendTo) c.SendControl(frame);
        _log($"command {data.Id} by {who.Name} on {string.Join(", ", machines)}: {line}");
        return Get(data.Id, 0)!;
    }

    /// <summary>Records a request the master refused before it reached <see cref="Create"/> (no role, no login, no CSRF header).</summary>
    public void Refused(Auth.Principal who, string? remote, byte[] body, string why)
    {
        CommandRequest? request = null;
        try
        {
            request = body.Length is > 0 and <= 64 << 10 ? System.Text.Json.JsonSerializer.Deserialize(body, SentinelJsonContext.Default.CommandRequest) : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
        }
        var machines = (request?.Machines ?? []).Where(m => m is not null).Distinct(StringComparer.Ordinal).Take(1000).ToList();
        var line = request?.Command ?? (body.Length == 0 ? "" : "(unreadable body)");
        _audit.Add(who, remote, "command", null, machines, line.Length > CommandLine.MaxLength ? line[..CommandLine.MaxLength] : line, "refused-by-master", why,
            machines.Select(m => new AuditOutcome { Machine = m, Outcome = "refused-by-master", Detail = why }).ToList());
    }

    /// <summary>A piece of output from <paramref name="machine"/>'s agent.</summary>
    public void Output(string machine, CommandOutputMessage message)
    {
        if (message.Stream is not ("stdout" or "stderr") || message.Text is null) return;
        lock (_lock)
        {
            if (!_byId.TryGetValue(message.Id ?? "", out var run)) return;
            var part = run.Data.Parts.FirstOrDefault(p => p.Machine == machine && p.State == CommandState.Running);
            if (part is null) return;
            long have = run.Chars.GetValueOrDefault(machine);
            var text = message.Text;
            if (have >= MaxCharsPerPart) return;
            if (have + text.Length > MaxCharsPerPart)
            {
                text = text[..(int)(MaxCharsPerPart - have)] + "\n[sentinel: the master keeps at most 2 MiB of output per machine; the rest was dropped]\n";
                part.Truncated = true;
            }
            run.Chars[machine] = have + text.Length;
            part.Output.Add(new CommandChunk { Seq = ++run.Data.Seq, Stream = message.Stream, Text = text });
            run.Changed.Fire();
        }
    }

    /// <summary>How a command ended on <paramref name="machine"/>. False when no such part is running there.</summary>
    public bool Result(string machine, CommandResultMessage message)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(message.Id ?? "", out var run)) return false;
            var part = run.Data.Parts.FirstOrDefault(p => p.Machine == machine && p.State == CommandState.Running);
            if (part is null) return false;
            part.ExitCode = message.ExitCode;
            part.DurationSeconds = double.IsFinite(message.DurationSeconds) && message.DurationSeconds >= 0 ? message.DurationSeconds : null;
            part.TimedOut = message.TimedOut;
            part.Truncated |= message.Truncated;
            if (message.Refused is { } refused) End(part, CommandState.Refused, Cap(refused), refused: true);
            else if (message.TimedOut) End(part, CommandState.TimedOut, Cap(message.Error ?? "timed out"));
            else if (message.Error is { } error) End(part, CommandState.Failed, Cap(error));
            else if (message.ExitCode is null) End(part, CommandState.Failed, "the agent sent no exit code");
            else End(part, CommandState.Completed, null);
            _audit.SetResults(run.AuditId, Outcomes(run.Data));
            CheckDone(run);
            Changed(run);
            return true;
        }
    }

    /// <summary>Machines whose agent went away: their running parts fail (a command's output has nowhere to go).</summary>
    public void MachinesLost(IEnumerable<string> machines, string why)
    {
        var set = machines.ToHashSet(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var run in _runs.Where(r => !r.Data.Done))
            {
                bool changed = false;
                foreach (var part in run.Data.Parts.Where(p => p.State == CommandState.Running && set.Contains(p.Machine)))
                {
                    End(part, CommandState.Failed, $"the machine {why} while the command ran");
                    changed = true;
                }
                if (changed)
                {
                    _audit.SetResults(run.AuditId, Outcomes(run.Data));
                    CheckDone(run);
                    Changed(run);
                }
            }
        }
    }

    /// <summary>Parts whose agent never answered, well past the timeout, fail. Called every viewer tick.</summary>
    public void Tick()
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            foreach (var run in _runs.Where(r => !r.Data.Done && now > r.Deadline))
            {
                foreach (var part in run.Data.Parts.Where(p => p.State == CommandState.Running))
                {
                    End(part, CommandState.Failed, $"the agent did not answer within the timeout and {AnswerGrace.TotalSeconds:0} s more");
                }
                _audit.SetResults(run.AuditId, Outcomes(run.Data));
                CheckDone(run);
                Changed(run);
            }
        }
    }

    /// <summary>Asks the agents to stop what is still running; each answers with its result. Null when there is no such run.</summary>
    public CommandRun? Cancel(string id)
    {
        List<string> machines;
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var run)) return null;
            machines = run.Data.Parts.Where(p => p.State == CommandState.Running).Select(p => p.Machine).ToList();
        }
        var frame = Frames.Write(MessageTypes.CommandCancel, new CommandCancelMessage { Id = id }, SentinelJsonContext.Default.CommandCancelMessage);
        foreach (var m in machines)
        {
            if (_fleet.Find(m) is { } entry)
            {
                AgentConnection? c;
                lock (_fleet.Lock) c = entry.Connection;
                c?.SendControl(frame);
            }
        }
        return Get(id, 0);
    }

    /// <summary>A run as it is now, with only the output after sequence number <paramref name="since"/>. Null when unknown.</summary>
    public CommandRun? Get(string id, long since)
    {
        lock (_lock)
        {
            return _byId.TryGetValue(id, out var run) ? Copy(run, since) : null;
        }
    }

    /// <summary>Long-polls waiting now (for tests and status).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// As <see cref="Get"/>, but when the run has changed nothing after <paramref name="since"/> and is not done, first waits
    /// up to <paramref name="wait"/> for its next change. Cancelling (the client left, the master stops) ends the wait early:
    /// the answer is then the run as it stands.
    /// </summary>
    public async Task<CommandRun?> WaitAsync(string id, long since, TimeSpan wait, CancellationToken cancellationToken)
    {
        Task change;
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var run)) return null;
            if (run.Data.Seq > since || run.Data.Done || wait <= TimeSpan.Zero || cancellationToken.IsCancellationRequested) return Copy(run, since);
            change = run.Changed.Next;
        }
        Interlocked.Increment(ref _waiting);
        try
        {
            await ChangeSignal.WaitAsync(change, wait, _time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        return Get(id, since);
    }

    /// <summary>A copy to serialize outside the lock, with the output after <paramref name="since"/>. Under the lock.</summary>
    private static CommandRun Copy(Run run, long since)
    {
        var d = run.Data;
        return new CommandRun
        {
            Id = d.Id, Command = d.Command, TimeoutSeconds = d.TimeoutSeconds, User = d.User, CreatedAt = d.CreatedAt, FinishedAt = d.FinishedAt,
            Done = d.Done, Seq = d.Seq,
            Parts = d.Parts.Select(p => new CommandPart
            {
                Machine = p.Machine, State = p.State, ExitCode = p.ExitCode, DurationSeconds = p.DurationSeconds, TimedOut = p.TimedOut,
                Truncated = p.Truncated, Refused = p.Refused, Error = p.Error, FinishedAt = p.FinishedAt,
                Output = p.Output.Where(c => c.Seq > since).ToList(),
            }).ToList(),
        };
    }

    /// <summary>The per-machine outcomes of a run, as the audit log keeps them.</summary>
    private static List<AuditOutcome> Outcomes(CommandRun run) => run.Parts.Select(p => new AuditOutcome
    {
        Machine = p.Machine,
        Outcome = p.State switch
        {
            CommandState.Running => "pending",
            CommandState.Completed => "completed",
            CommandState.TimedOut => "timed-out",
            CommandState.Refused => "refused-by-agent",
            _ => "failed",
        },
        ExitCode = p.ExitCode,
        Detail = p.Refused ?? p.Error,
    }).ToList();

    private void End(CommandPart part, CommandState state, string? why, bool refused = false)
    {
        part.State = state;
        if (refused) part.Refused = why;
        else part.Error = why;
        part.FinishedAt = _time.GetUtcNow();
    }

    /// <summary>A part ended (or more): the run takes a sequence number for it, so a caller that saw the number before sees the change. Under the lock.</summary>
    private static void Changed(Run run)
    {
        run.Data.Seq++;
        run.Changed.Fire();
    }

    private void CheckDone(Run run)
    {
        if (run.Data.Done || run.Data.Parts.Any(p => p.State == CommandState.Running)) return;
        run.Data.Done = true;
        run.Data.FinishedAt = _time.GetUtcNow();
        _log($"command {run.Data.Id}: done ({string.Join(", ", run.Data.Parts.Select(p => $"{p.Machine} {p.State.ToString().ToLowerInvariant()}{(p.ExitCode is { } x ? " " + x : "")}"))})");
    }

    private void Trim()
    {
        int i = 0;
        while (_runs.Count > Kept && i < _runs.Count)
        {
            if (_runs[i].Data.Done)
            {
                _byId.Remove(_runs[i].Data.Id);
                _runs.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }
    }

    private static string Cap(string s) => s.Length > 2000 ? s[..2000] + "…" : s;
}
