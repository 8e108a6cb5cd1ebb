namespace Sentinel;

/// <summary>How a benchmark run (or one machine's part of a job) ended, or where it is.</summary>
public enum BenchmarkState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// One machine's benchmark result. Figures carry their unit in their name (<c>triadGBs</c>,
/// <c>latencyNs</c>, <c>iops</c>), so the JSON explains itself; tables (latency per working-set size,
/// an MLC bandwidth matrix) are rows of named figures.
/// </summary>
public sealed record BenchmarkResult
{
    /// <summary>The benchmark's PowerShell name (MemoryBandwidth, …).</summary>
    public required string Benchmark { get; init; }
    /// <summary>The machine it ran on.</summary>
    public required string Machine { get; init; }
    /// <summary>The job this result belongs to, when a master ran it.</summary>
    public string? JobId { get; init; }
    public BenchmarkState State { get; init; } = BenchmarkState.Completed;
    /// <summary>Why it failed or was cancelled.</summary>
    public string? Error { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset FinishedAt { get; init; }
    public double DurationSeconds => (FinishedAt - StartedAt).TotalSeconds;

    /// <summary>The parameters the run used, defaults filled in.</summary>
    public Dictionary<string, string> Parameters { get; init; } = [];
    /// <summary>The headline figures, in the order the benchmark reports them (best of the repetitions where it repeats).</summary>
    public Dictionary<string, double> Values { get; init; } = [];
    /// <summary>For each repeated figure: how it varied across repetitions.</summary>
    public Dictionary<string, BenchmarkSpread> Spread { get; init; } = [];
    /// <summary>Tables: one row per working-set size, per matrix cell, per injection delay…</summary>
    public List<Dictionary<string, double>> Rows { get; init; } = [];
    /// <summary>What was found before the run that could spoil it (governor, other load, huge pages…).</summary>
    public List<string> Warnings { get; init; } = [];
    /// <summary>The machine's state before the run (governor, load, huge pages, …) as found.</summary>
    public Dictionary<string, string> Conditions { get; init; } = [];
    /// <summary>The Command benchmark's captured output (stdout then stderr, bounded).</summary>
    public string? Output { get; init; }
    /// <summary>The Command benchmark's output when it was JSON, as-is.</summary>
    public System.Text.Json.JsonElement? Data { get; init; }
    /// <summary>The machine as it was when the run started.</summary>
    public Inventory? Inventory { get; init; }
    /// <summary>The machine's metrics from a minute before the run to a minute after, when read back from a master with them.</summary>
    public MetricSeries? Metrics { get; init; }
}

/// <summary>How one figure varied across repetitions.</summary>
public sealed class BenchmarkSpread
{
    public int Repetitions { get; init; }
    public double Min { get; init; }
    public double Max { get; init; }
    public double Mean { get; init; }
    /// <summary>Sample standard deviation (n − 1); 0 for one repetition.</summary>
    public double StdDev { get; init; }

    /// <summary>The spread of <paramref name="values"/>.</summary>
    public static BenchmarkSpread Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new BenchmarkSpread();
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new BenchmarkSpread { Repetitions = values.Count, Min = values.Min(), Max = values.Max(), Mean = mean, StdDev = sd };
    }
}
