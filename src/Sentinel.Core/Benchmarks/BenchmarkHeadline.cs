namespace Sentinel.Benchmarks;

/// <summary>
/// The one figure that compares machines for a benchmark (triad bandwidth, idle latency, …), its unit, and
/// which way is better. The live page and reports chart it side by side and flag outliers with
/// <see cref="Outliers"/>.
/// </summary>
public sealed record BenchmarkHeadline(string Value, string Unit, bool HigherIsBetter)
{
    /// <summary>The headline of <paramref name="benchmark"/> (either name form); null for Command, whose figures are whatever the program printed.</summary>
    public static BenchmarkHeadline? Of(string? benchmark) => BenchmarkCatalog.Find(benchmark)?.Name switch
    {
        "MemoryBandwidth" => new("triadGBs", "GB/s", true),
        "MemoryLatency" => new("latencyNs", "ns", false),
        "Cpu" => new("floatAllGflops", "GFLOPS", true),
        "Disk" => new("readMBs", "MB/s", true),
        "Network" => new("rttMedianMs", "ms", false),
        _ => null,
    };
}

/// <summary>
/// Machines that fall well short of the fleet: worse than the median by more than <see cref="DefaultTolerance"/>
/// (below 0.8 × median where higher is better; above median / 0.8 where lower is better). A median needs
/// at least three machines; with fewer nothing is flagged.
/// </summary>
public static class Outliers
{
    /// <summary>0.2: 20% worse than the median.</summary>
    public const double DefaultTolerance = 0.2;

    /// <summary>The median of <paramref name="values"/> (NaN when empty).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.OrderBy(v => v).ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>True when <paramref name="value"/> is worse than <paramref name="median"/> by more than the tolerance.</summary>
    public static bool IsOutlier(double value, double median, bool higherIsBetter, double tolerance = DefaultTolerance)
    {
        if (double.IsNaN(median) || double.IsNaN(value) || median <= 0) return false;
        return higherIsBetter ? value < median * (1 - tolerance) : value > median / (1 - tolerance);
    }

    /// <summary>The keys of <paramref name="values"/> that are outliers (none when there are fewer than three values).</summary>
    public static IReadOnlySet<string> Find(IReadOnlyDictionary<string, double> values, bool higherIsBetter, double tolerance = DefaultTolerance)
    {
        var flagged = new HashSet<string>(StringComparer.Ordinal);
        if (values.Count < 3) return flagged;
        double median = Median(values.Values.ToArray());
        foreach (var (key, value) in values)
        {
            if (IsOutlier(value, median, higherIsBetter, tolerance)) flagged.Add(key);
        }
        return flagged;
    }
}
