namespace Sentinel;

/// <summary>
/// A benchmark run on one or more machines at once, as the master keeps it: one part per machine, each
/// with its own state, progress and result.
/// </summary>
public sealed class BenchmarkJob
{
    public required string Id { get; init; }
    public required string Benchmark { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Queued until a part starts; Running until every part ended; then Completed when all completed,
    /// Failed when any failed, else Cancelled.</summary>
    public BenchmarkState State { get; set; }
    /// <summary>Bumps with every change the master makes to the job (a part queued, started, progressing, ended):
    /// GET /api/jobs/{id}?since=VERSION&amp;wait=SECONDS answers once it is past VERSION. 0 from a master that predates it.</summary>
    public long Version { get; set; }
    public List<BenchmarkJobPart> Parts { get; init; } = [];

    /// <summary>The job's state from its parts' states.</summary>
    public static BenchmarkState StateOf(IReadOnlyCollection<BenchmarkJobPart> parts)
    {
        if (parts.Count == 0) return BenchmarkState.Completed;
        if (parts.All(p => p.State == BenchmarkState.Queued)) return BenchmarkState.Queued;
        if (parts.Any(p => p.State is BenchmarkState.Queued or BenchmarkState.Running)) return BenchmarkState.Running;
        if (parts.All(p => p.State == BenchmarkState.Completed)) return BenchmarkState.Completed;
        return parts.Any(p => p.State == BenchmarkState.Failed) ? BenchmarkState.Failed : BenchmarkState.Cancelled;
    }
}

/// <summary>One machine's part of a job.</summary>
public sealed class BenchmarkJobPart
{
    public required string Machine { get; init; }
    public BenchmarkState State { get; set; }
    /// <summary>0 to 1.</summary>
    public double Progress { get; set; }
    public string? Stage { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>Set when the part ended with figures (completed; failed or cancelled runs may carry partial ones).</summary>
    public BenchmarkResult? Result { get; set; }
}

/// <summary>What a caller asks a master to run: POST /api/jobs.</summary>
public sealed class JobRequest
{
    /// <summary>PowerShell (MemoryBandwidth) or CLI (memory-bandwidth) name.</summary>
    public required string Benchmark { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = [];
    /// <summary>Machine names (exact); empty or absent: every online machine.</summary>
    public List<string> Machines { get; init; } = [];
}
