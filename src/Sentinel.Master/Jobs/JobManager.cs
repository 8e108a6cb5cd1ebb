using Sentinel.Benchmarks;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Jobs;

/// <summary>A job request the master refuses, with the HTTP status and error code to answer with.</summary>
internal sealed class JobRequestException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>
/// The master's benchmark jobs: a job has one part per machine; each machine runs at most one part at a
/// time (others wait, queued, in job order). Parts end with the agent's result, or fail when the machine
/// goes offline, says goodbye or comes back as a new agent run. Every change is saved and marked for the
/// viewers.
/// </summary>
internal sealed class JobManager
{
    /// <summary>How long a cancelled run may take to confirm before it is marked cancelled anyway.</summary>
    public static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(10);
    private const int Kept = 200;

    private readonly FleetState _fleet;
    private readonly Storage.SampleStore _store;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    // Jobs in creation order; finished ones beyond the newest <Kept> are left to the store.
    private readonly List<BenchmarkJob> _jobs = [];
    private readonly Dictionary<string, BenchmarkJob> _byId = new(StringComparer.Ordinal);
    // Machine name -> the part it is running, with the boot it runs on and when a cancel was sent.
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    // Job id -> what its long-polls wait on; made by the first waiter, dropped when the job ends or leaves memory.
    private readonly Dictionary<string, ChangeSignal> _signals = new(StringComparer.Ordinal);
    private int _waiting;
    // (machine, benchmark) -> its latest completed result, for /metrics.
    private readonly Dictionary<(string Machine, string Benchmark), BenchmarkResult> _latest = [];

    /// <summary>Where Command benchmark jobs are audited (their outcomes are filled in when they end).</summary>
    public Storage.AuditLog? Audit { get; init; }
    // Job id -> its audit entry, for Command benchmark jobs still running.
    private readonly Dictionary<string, long> _audited = new(StringComparer.Ordinal);

    /// <summary>Remembers a Command benchmark job's audit entry, to record each machine's outcome when the job ends.</summary>
    public void Audited(string jobId, long auditId)
    {
        lock (_lock)
        {
            if (_byId.TryGetValue(jobId, out var job) && job.FinishedAt is not null) Audit?.SetResults(auditId, AuditOutcomes(job));
            else _audited[jobId] = auditId;
        }
    }

    /// <summary>Each part's outcome as the audit log keeps it.</summary>
    public static List<Sentinel.Commands.AuditOutcome> AuditOutcomes(BenchmarkJob job) => job.Parts.Select(p =>
    {
        var error = p.Error ?? "";
        int? exit = p.Result?.Values.TryGetValue("exitCode", out var x) == true ? (int)x
            : System.Text.RegularExpressions.Regex.Match(error, @"exited with code (-?\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        return new Sentinel.Commands.AuditOutcome
        {
            Machine = p.Machine,
            Outcome = p.State switch
            {
                BenchmarkState.Queued or BenchmarkState.Running => "pending",
                BenchmarkState.Completed => "completed",
                BenchmarkState.Failed when error.Contains(CommandBenchmark.RefusedPrefix, StringComparison.Ordinal) => "refused-by-agent",
                BenchmarkState.Failed when error.Contains("did not finish within", StringComparison.Ordinal) => "timed-out",
                BenchmarkState.Failed when exit is not null => "completed",
                BenchmarkState.Cancelled => "cancelled",
                _ => "failed",
            },
            ExitCode = exit,
            Detail = p.Error,
        };
    }).ToList();

    private sealed record Running(BenchmarkJob Job, BenchmarkJobPart Part, long BootRow)
    {
        public long CancelSentAt { get; set; }
    }

    public JobManager(FleetState fleet, Storage.SampleStore store, TimeProvider time, Action<string> log)
    {
        _fleet = fleet;
        _store = store;
        _time = time;
        _log = log;
        foreach (var r in store.LatestResults())
        {
            Remember(r);
        }
        // Jobs a previous master left unfinished cannot finish now: their agents' results have nowhere to go.
        foreach (var job in store.LoadJobs(Kept).AsEnumerable().Reverse())
        {
            if (job.State is BenchmarkState.Queued or BenchmarkState.Running)
            {
                foreach (var part in job.Parts.Where(p => p.State is BenchmarkState.Queued or BenchmarkState.Running))
                {
                    End(part, BenchmarkState.Failed, "the master restarted while this part was " + part.State.ToString().ToLowerInvariant());
                }
                Update(job);
            }
            _jobs.Add(job);
            _byId[job.Id] = job;
        }
    }

    /// <summary>Creates a job and starts what can start. Throws <see cref="JobRequestException"/> naming what is wrong.</summary>
    public BenchmarkJob Create(JobRequest request)
    {
        var benchmark = BenchmarkCatalog.Find(request.Benchmark)
            ?? throw new JobRequestException(400, "unknown-benchmark",
                $"no benchmark '{request.Benchmark}'; there are {string.Join(", ", BenchmarkCatalog.Benchmarks.Select(b => $"{b.Name} ({BenchmarkCatalog.CliName(b.Name)})"))}");
        var parameters = new Dictionary<string, string>(request.Parameters ?? [], StringComparer.Ordinal);
        try
        {
            new BenchmarkParameters(parameters).RefuseUnknown(benchmark.Name, benchmark.Parameters);
        }
        catch (BenchmarkParameterException e)
        {
            throw new JobRequestException(400, "bad-parameter", e.Message);
        }
        var snapshot = _fleet.Snapshot("");
        List<string> names;
        if (request.Machines is null || request.Machines.Count == 0)
        {
            names = snapshot.Where(m => m.Status == MachineStatus.Online).Select(m => m.Name).ToList();
            if (names.Count == 0)
            {
                throw new JobRequestException(409, "no-machines", "no machine is online to run it on");
            }
        }
        else
        {
            names = request.Machines.Distinct(StringComparer.Ordinal).ToList();
            var unknown = names.Where(n => _fleet.Find(n) is null).ToList();
            if (unknown.Count > 0)
            {
                throw new JobRequestException(404, "machine-not-found", $"no machine named {string.Join(", ", unknown.Select(n => $"'{n}'"))}");
            }
        }
        var now = _time.GetUtcNow();
        var job = new BenchmarkJob
        {
            Id = $"{now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
            Benchmark = benchmark.Name,
            Parameters = parameters,
            CreatedAt = now,
            Parts = names.Order(StringComparer.Ordinal).Select(n => new BenchmarkJobPart { Machine = n, State = BenchmarkState.Queued, Stage = "queued" }).ToList(),
        };
        lock (_lock)
        {
            foreach (var part in job.Parts)
            {
                var entry = _fleet.Find(part.Machine)!;
                var (connected, capable) = Reach(entry);
                if (!connected)
                {
                    End(part, BenchmarkState.Failed, "the machine is offline (no agent connected)");
                }
                else if (!capable)
                {
                    End(part, BenchmarkState.Failed, "the machine's agent does not run benchmarks (an older agent version); update it");
                }
            }
            _jobs.Add(job);
            _byId[job.Id] = job;
            Update(job);
            Dispatch();
            Trim();
        }
        _log($"job {job.Id}: {job.Benchmark} on {string.Join(", ", names)}");
        return Copy(job);
    }

    private (bool Connected, bool Capable) Reach(MachineEntry entry)
    {
        lock (_fleet.Lock)
        {
            return (entry.Connection is not null, entry.Capabilities.Contains(Capabilities.Benchmarks));
        }
    }

    /// <summary>Starts each queued part whose machine is free, oldest job first. Under the lock.</summary>
    private void Dispatch()
    {
        foreach (var job in _jobs)
        {
            if (job.State is not (BenchmarkState.Queued or BenchmarkState.Running)) continue;
            foreach (var part in job.Parts)
            {
                if (part.State != BenchmarkState.Queued || _running.ContainsKey(part.Machine)) continue;
                var entry = _fleet.Find(part.Machine);
                AgentConnection? connection;
                long boot;
                lock (_fleet.Lock)
                {
                    connection = entry?.Connection;
                    boot = entry?.BootRow ?? 0;
                }
                if (connection is null)
                {
                    End(part, BenchmarkState.Failed, "the machine went offline before its turn");
                    Update(job);
                    continue;
                }
                connection.SendControl(Frames.Write(MessageTypes.Run,
                    new RunRequest { JobId = job.Id, Benchmark = job.Benchmark, Parameters = job.Parameters }, SentinelJsonContext.Default.RunRequest));
                part.State = BenchmarkState.Running;
                part.Stage = "starting";
                part.StartedAt = _time.GetUtcNow();
                _running[part.Machine] = new Running(job, part, boot);
                Update(job);
            }
        }
    }

    /// <summary>An agent's progress report.</summary>
    public void Progress(string machine, ProgressReport report)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(machine, out var r) && r.Job.Id == report.JobId && double.IsFinite(report.Fraction))
            {
                r.Part.Progress = Math.Clamp(report.Fraction, 0, 1);
                var stage = report.Stage ?? "";
                r.Part.Stage = stage.Length > 200 ? stage[..200] : stage;
                _dirty.Add(r.Job.Id);
                Changed(r.Job);
            }
        }
    }

    /// <summary>An agent's result. False when it belongs to no part this machine is running (late, or after a failure).</summary>
    public bool Result(string machine, ResultReport report)
    {
        lock (_lock)
        {
            if (!_running.TryGetValue(machine, out var r) || r.Job.Id != report.JobId)
            {
                return false;
            }
            _running.Remove(machine);
            var state = report.Result.State is BenchmarkState.Completed or BenchmarkState.Failed or BenchmarkState.Cancelled
                ? report.Result.State : BenchmarkState.Failed;
            r.Part.Result = report.Result with { Machine = machine, JobId = r.Job.Id, Benchmark = r.Job.Benchmark, State = state };
            End(r.Part, state, report.Result.Error);
            if (state == BenchmarkState.Completed)
            {
                r.Part.Progress = 1;
                Remember(r.Part.Result);
            }
            Update(r.Job);
            Dispatch();
            return true;
        }
    }

    /// <summary>Machines that went offline, said goodbye, or lost their agent: their parts fail.</summary>
    public void MachinesLost(IEnumerable<string> machines, string why)
    {
        lock (_lock)
        {
            foreach (var machine in machines)
            {
                if (_running.Remove(machine, out var r))
                {
                    // Silent but still connected (overloaded, stalled): stop the run there, or it would refuse the next.
                    Connection(machine)?.SendControl(Frames.Write(MessageTypes.Cancel, new CancelRequest { JobId = r.Job.Id }, SentinelJsonContext.Default.CancelRequest));
                    End(r.Part, BenchmarkState.Failed, $"the machine {why} during the run");
                    Update(r.Job);
                }
                foreach (var job in _jobs.Where(j => j.State is BenchmarkState.Queued or BenchmarkState.Running))
                {
                    foreach (var part in job.Parts.Where(p => p.Machine == machine && p.State == BenchmarkState.Queued))
                    {
                        End(part, BenchmarkState.Failed, $"the machine {why} before its turn");
                        Update(job);
                    }
                }
            }
            Dispatch();
        }
    }

    /// <summary>A machine's agent said hello. A new agent run knows nothing of the part the old one was running.</summary>
    public void MachineAttached(string machine, long bootRow)
    {
        lock (_lock)
        {
            if (_running.TryGetValue(machine, out var r) && r.BootRow != bootRow)
            {
                _running.Remove(machine);
                End(r.Part, BenchmarkState.Failed, "the machine's agent restarted during the run");
                Update(r.Job);
            }
            Dispatch();
        }
    }

    /// <summary>Cancels what is left of a job. Null when there is no such job.</summary>
    public BenchmarkJob? Cancel(string id)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var job)) return null;
            foreach (var part in job.Parts)
            {
                if (part.State == BenchmarkState.Queued)
                {
                    End(part, BenchmarkState.Cancelled, "cancelled before it started");
                }
                else if (part.State == BenchmarkState.Running && _running.TryGetValue(part.Machine, out var r) && r.Job == job && r.CancelSentAt == 0)
                {
                    r.CancelSentAt = _time.GetTimestamp();
                    part.Stage = "cancelling";
                    Connection(part.Machine)?.SendControl(Frames.Write(MessageTypes.Cancel, new CancelRequest { JobId = job.Id }, SentinelJsonContext.Default.CancelRequest));
                }
            }
            Update(job);
            return Copy(job);
        }
    }

    private AgentConnection? Connection(string machine)
    {
        var entry = _fleet.Find(machine);
        if (entry is null) return null;
        lock (_fleet.Lock) return entry.Connection;
    }

    /// <summary>Called every viewer tick: runs whose cancel went unanswered are marked cancelled.</summary>
    public void Tick()
    {
        lock (_lock)
        {
            foreach (var (machine, r) in _running.ToList())
            {
                if (r.CancelSentAt != 0 && _time.GetElapsedTime(r.CancelSentAt) > CancelGrace)
                {
                    _running.Remove(machine);
                    End(r.Part, BenchmarkState.Cancelled, $"cancelled (the agent did not confirm within {CancelGrace.TotalSeconds:0} s)");
                    Update(r.Job);
                }
            }
            Dispatch();
        }
    }

    public BenchmarkJob? Get(string id)
    {
        lock (_lock)
        {
            if (_byId.TryGetValue(id, out var job)) return Copy(job);
        }
        return _store.LoadJob(id);
    }

    /// <summary>Long-polls waiting now (for tests and status).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// As <see cref="Get"/>, but when the job's <see cref="BenchmarkJob.Version"/> is still <paramref name="since"/> (or less)
    /// and it has not ended, first waits up to <paramref name="wait"/> for its next change (progress, a part's start or end).
    /// Cancelling (the client left, the master stops) ends the wait early: the answer is then the job as it stands.
    /// </summary>
    public async Task<BenchmarkJob?> WaitAsync(string id, long since, TimeSpan wait, CancellationToken cancellationToken)
    {
        Task change;
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var job)) return _store.LoadJob(id); // older, and finished
            if (job.Version > since || !Unfinished(job) || wait <= TimeSpan.Zero || cancellationToken.IsCancellationRequested) return Copy(job);
            if (!_signals.TryGetValue(id, out var signal)) _signals[id] = signal = new ChangeSignal();
            change = signal.Next;
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
        return Get(id);
    }

    private static bool Unfinished(BenchmarkJob job) => job.State is BenchmarkState.Queued or BenchmarkState.Running;

    /// <summary>The job changed: a new version, and its waiters wake. Under the lock.</summary>
    private void Changed(BenchmarkJob job)
    {
        job.Version++;
        if (_signals.TryGetValue(job.Id, out var signal))
        {
            signal.Fire();
            if (!Unfinished(job)) _signals.Remove(job.Id); // nothing more to wait for: later long-polls answer at once
        }
    }

    /// <summary>Jobs queued or running now.</summary>
    private void Remember(BenchmarkResult result)
    {
        var key = (result.Machine, result.Benchmark);
        if (result.State == BenchmarkState.Completed && (!_latest.TryGetValue(key, out var known) || known.FinishedAt <= result.FinishedAt))
        {
            _latest[key] = result;
        }
    }

    /// <summary>The latest completed result of each benchmark on each machine.</summary>
    public List<BenchmarkResult> LatestResults()
    {
        lock (_lock) return _latest.Values.ToList();
    }

    public int RunningCount()
    {
        lock (_lock) return _jobs.Count(j => j.State is BenchmarkState.Queued or BenchmarkState.Running);
    }

    /// <summary>The newest jobs first.</summary>
    public List<BenchmarkJob> List(int limit)
    {
        lock (_lock)
        {
            return _jobs.AsEnumerable().Reverse().Take(limit).Select(Copy).ToList();
        }
    }

    /// <summary>Jobs changed since the last call, for the viewers.</summary>
    public List<BenchmarkJob> TakeChanges()
    {
        lock (_lock)
        {
            if (_dirty.Count == 0) return [];
            var changed = _dirty.Where(_byId.ContainsKey).Select(id => Copy(_byId[id])).ToList();
            _dirty.Clear();
            return changed;
        }
    }

    private void End(BenchmarkJobPart part, BenchmarkState state, string? error)
    {
        part.State = state;
        part.Error = state == BenchmarkState.Completed ? null : error;
        part.Stage = state.ToString().ToLowerInvariant();
        part.FinishedAt = _time.GetUtcNow();
    }

    /// <summary>Recomputes the job's state, saves it and marks it for the viewers.</summary>
    private void Update(BenchmarkJob job)
    {
        job.State = BenchmarkJob.StateOf(job.Parts);
        if (job.State is not (BenchmarkState.Queued or BenchmarkState.Running) && job.FinishedAt is null)
        {
            job.FinishedAt = _time.GetUtcNow();
            _log($"job {job.Id}: {job.State.ToString().ToLowerInvariant()} ({string.Join(", ", job.Parts.Select(p => $"{p.Machine} {p.State.ToString().ToLowerInvariant()}"))})");
            if (_audited.Remove(job.Id, out var auditId)) Audit?.SetResults(auditId, AuditOutcomes(job));
        }
        _dirty.Add(job.Id);
        Changed(job);
        _store.SaveJob(job);
    }

    private void Trim()
    {
        while (_jobs.Count > Kept && _jobs[0].State is not (BenchmarkState.Queued or BenchmarkState.Running))
        {
            _byId.Remove(_jobs[0].Id);
            _signals.Remove(_jobs[0].Id);
            _jobs.RemoveAt(0);
        }
    }

    /// <summary>A deep copy, so callers serialize outside the lock while parts keep changing.</summary>
    private static BenchmarkJob Copy(BenchmarkJob job) => new()
    {
        Id = job.Id,
        Benchmark = job.Benchmark,
        Parameters = new Dictionary<string, string>(job.Parameters),
        CreatedAt = job.CreatedAt,
        FinishedAt = job.FinishedAt,
        State = job.State,
        Version = job.Version,
        Parts = job.Parts.Select(p => new BenchmarkJobPart
        {
            Machine = p.Machine, State = p.State, Progress = p.Progress, Stage = p.Stage, Error = p.Error,
            StartedAt = p.StartedAt, FinishedAt = p.FinishedAt, Result = p.Result,
        }).ToList(),
    };
}
