namespace Sentinel.Master.Storage;

/// <summary>How long the store keeps what, and how it batches.</summary>
public sealed record StoreOptions
{
    /// <summary>Raw samples (one per agent interval) are kept this long (48 h by default; keep at least 24 h).</summary>
    public TimeSpan RawRetention { get; init; } = TimeSpan.FromHours(48);
    /// <summary>
    /// One-minute roll-ups (average and maximum per minute) and connection history are kept this long. A machine silent
    /// for longer (no sample, no hello) has no history left: the maintenance pass forgets it, as DELETE /api/machines/{name} would.
    /// </summary>
    public TimeSpan RollupRetention { get; init; } = TimeSpan.FromDays(35);
    /// <summary>
    /// Audit-log entries (who ran what where, table audit) are kept this long (365 days by default: audit trails are
    /// usually asked for long after the fact). Zero keeps them for good.
    /// </summary>
    public TimeSpan AuditRetention { get; init; } = TimeSpan.FromDays(365);
    /// <summary>
    /// Resolved alerts are kept this long after they resolved (90 days by default). An alert still firing,
    /// acknowledged or silenced is never removed, however old. Zero keeps them for good.
    /// </summary>
    public TimeSpan AlertRetention { get; init; } = TimeSpan.FromDays(90);
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

    /// <summary>The longest ring of recent figures (<see cref="RecentSeconds"/>): an hour, 200 KB of slots per machine.</summary>
    public const int MaxRecentSeconds = 3600;

    /// <summary>
    /// What is wrong with these options, each naming the property (callers name their own option or parameter for
    /// it); empty when they are fine. The limits keep samples from being deleted before they are rolled up (raw at
    /// least an hour), roll-ups no shorter than raw samples, and the arithmetic on milliseconds far from overflow.
    /// </summary>
    public IEnumerable<StoreOptionProblem> Problems()
    {
        static string Show(TimeSpan t) => t < TimeSpan.Zero ? "-" + Durations.Format(-t) : Durations.Format(t);
        var hour = TimeSpan.FromHours(1);
        var tenYears = TimeSpan.FromDays(3660);
        if (RawRetention < hour || RawRetention > tenYears)
            yield return new(nameof(RawRetention), $"{Show(RawRetention)} is outside 1h to 3660d");
        if (RollupRetention < hour || RollupRetention > tenYears)
            yield return new(nameof(RollupRetention), $"{Show(RollupRetention)} is outside 1h to 3660d");
        else if (RollupRetention < RawRetention)
            yield return new(nameof(RollupRetention), $"{Show(RollupRetention)} is shorter than the raw samples' retention ({Show(RawRetention)}): roll-ups must outlive the samples they summarise");
        if (AuditRetention != TimeSpan.Zero && (AuditRetention < hour || AuditRetention > tenYears))
            yield return new(nameof(AuditRetention), $"{Show(AuditRetention)} is outside 1h to 3660d (0 keeps entries for good)");
        if (AlertRetention != TimeSpan.Zero && (AlertRetention < hour || AlertRetention > tenYears))
            yield return new(nameof(AlertRetention), $"{Show(AlertRetention)} is outside 1h to 3660d (0 keeps resolved alerts for good)");
        if (RecentSeconds is < 0 or > MaxRecentSeconds)
            yield return new(nameof(RecentSeconds), $"{RecentSeconds} s is outside 0 (off) to {MaxRecentSeconds} s");
    }

    /// <summary>Fault injection for tests: when it returns true, the next commit fails as a full disk would.</summary>
    internal Func<bool>? FailCommits { get; init; }

    /// <summary>Whether any exception in a batch (not only SQLite's) fails the batch instead of the writer. Always on.</summary>
    internal bool CatchAll { get; init; } = true;
}

/// <summary>One thing wrong with a <see cref="StoreOptions"/>: the property and what is wrong with its value.</summary>
public sealed record StoreOptionProblem(string Property, string Message);
