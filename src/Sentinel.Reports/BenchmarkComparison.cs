using Sentinel.Benchmarks;

namespace Sentinel.Reports;

/// <summary>
/// One benchmark across machines: each machine's latest completed headline figure, the fleet median and the
/// outliers by <see cref="Outliers"/> (the rule the live page uses too).
/// </summary>
public sealed class BenchmarkComparison
{
    /// <summary>The benchmark's PowerShell name.</summary>
    public required string Benchmark { get; init; }

    /// <summary>The figure compared; null for benchmarks without one (Command).</summary>
    public BenchmarkHeadline? Headline { get; init; }

    /// <summary>Every result of this benchmark in the report.</summary>
    public IReadOnlyList<BenchmarkResult> Results { get; init; } = [];

    /// <summary>Each machine's latest completed result that has the headline figure.</summary>
    public IReadOnlyList<(string Machine, double Value, BenchmarkResult Result)> Latest { get; init; } = [];

    /// <summary>The median of <see cref="Latest"/> (NaN when there is none).</summary>
    public double Median { get; init; } = double.NaN;

    /// <summary>Outliers by machine, with how much worse than the median they are, in percent.</summary>
    public IReadOnlyDictionary<string, double> Outliers { get; init; } = new Dictionary<string, double>();

    /// <summary>Compares <paramref name="results"/>, all of one benchmark.</summary>
    public static BenchmarkComparison Of(string benchmark, IReadOnlyList<BenchmarkResult> results)
    {
        var headline = BenchmarkHeadline.Of(benchmark);
        if (headline is null)
        {
            return new BenchmarkComparison { Benchmark = benchmark, Results = results };
        }
        var latest = results
            .Where(r => r.State == BenchmarkState.Completed && r.Values.TryGetValue(headline.Value, out var v) && double.IsFinite(v))
            .GroupBy(r => r.Machine, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(r => r.FinishedAt).First())
            .Select(r => (r.Machine, r.Values[headline.Value], r))
            .ToList();
        var values = latest.ToDictionary(x => x.Machine, x => x.Item2, StringComparer.Ordinal);
        double median = Sentinel.Benchmarks.Outliers.Median(values.Values.ToArray());
        var flagged = Sentinel.Benchmarks.Outliers.Find(values, headline.HigherIsBetter);
        return new BenchmarkComparison
        {
            Benchmark = benchmark,
            Headline = headline,
            Results = results,
            Latest = latest,
            Median = median,
            Outliers = flagged.ToDictionary(m => m, m => Math.Abs(values[m] - median) / median * 100, StringComparer.Ordinal),
        };
    }
}
