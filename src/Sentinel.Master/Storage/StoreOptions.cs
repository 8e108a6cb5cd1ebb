namespace Sentinel.Master.Storage;

/// <summary>How long the store keeps what, and how it batches.</summary>
public sealed record StoreOptions
{
    /// <summary>Raw samples (one per agent interval) are kept this long (48 h by default; keep at least 24 h).</summary>
    public TimeSpan RawRetention { get; init; } = TimeSpan.FromHours(48);
    /// <summary>One-minute roll-ups (average and maximum per minute) are kept this long.</summary>
    public TimeSpan RollupRetention { get; init; } = TimeSpan.FromDays(35);
    /// <summary>Most items written in one transaction.</summary>
    public int MaxBatch { get; init; } = 4096;
    /// <summary>Items waiting for the writer before new samples are refused (and not acked, so agents keep them).</summary>
    public int QueueCapacity { get; init; } = 200_000;
    /// <summary>
    /// Seconds of every machine's fleet-history figures kept in memory (about 35 KB per machine at the default 630),
    /// so GET /api/fleet/history over the last 10 minutes (the live page's first load) reads no database. 0: off.
    /// </summary>
    public int RecentSeconds { get; init; } = 630;
    /// <summary>How often roll-ups, retention and the WAL checkpoint run.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The write-ahead log may grow to this before writes stop (a reader holding a transaction open keeps
    /// checkpoints from resetting it). Normally it stays near 4 MB.</summary>
    public long MaxWalBytes { get; init; } = 256L << 20;

    /// <summary>Fault injection for tests: when it returns true, the next commit fails as a full disk would.</summary>
    internal Func<bool>? FailCommits { get; init; }

    /// <summary>Whether any exception in a batch (not only SQLite's) fails the batch instead of the writer. Always on.</summary>
    internal bool CatchAll { get; init; } = true;
}
