namespace Sentinel.Reports;

/// <summary>Everything one report shows, gathered before any HTML is written (so it can be built again, or tested, without a fleet).</summary>
public sealed class ReportData
{
    /// <summary>The report's heading.</summary>
    public required string Title { get; init; }

    /// <summary>When the data was gathered (UTC).</summary>
    public DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Where the data came from: "local machine", "master at http://login01:8080".</summary>
    public required string Source { get; init; }

    /// <summary>The time range asked for (history and benchmark results).</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>The end of the time range.</summary>
    public DateTimeOffset Until { get; init; }

    /// <summary>Machines for the fleet summary and the inventory table.</summary>
    public List<Machine> Machines { get; init; } = [];

    /// <summary>Each machine's history, or why there is none.</summary>
    public List<MachineHistory> History { get; init; } = [];

    /// <summary>Benchmark results to compare, any order.</summary>
    public List<BenchmarkResult> Results { get; init; } = [];

    /// <summary>What the reader should know about what is missing (a machine not found, results cut at a limit).</summary>
    public List<string> Notes { get; init; } = [];
}

/// <summary>A machine's stored history for a report, or why it has none.</summary>
/// <param name="Machine">The machine's name.</param>
/// <param name="Series">Its history; null when there is none.</param>
/// <param name="Missing">Why there is no history (the local machine keeps none, the master does not know the machine…).</param>
public sealed record MachineHistory(string Machine, MetricSeries? Series, string? Missing = null);
