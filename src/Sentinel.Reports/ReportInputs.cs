namespace Sentinel.Reports;

/// <summary>
/// What came down a pipeline for a report: machines (objects or names) whose history and results to fetch,
/// metric series or points to chart as given, benchmark results to compare as given. Nothing at all means
/// the whole fleet.
/// </summary>
public sealed class ReportInputs
{
    private readonly Dictionary<string, List<MetricPoint>> _points = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Machines as given (their latest sample is kept as it was).</summary>
    public List<Machine> Machines { get; } = [];

    /// <summary>Machines by name, looked up in the fleet.</summary>
    public List<string> MachineNames { get; } = [];

    /// <summary>Histories as given.</summary>
    public List<MetricSeries> Series { get; } = [];

    /// <summary>Results as given.</summary>
    public List<BenchmarkResult> Results { get; } = [];

    /// <summary>True when nothing was added: the report then covers the whole fleet.</summary>
    public bool IsEmpty => Machines.Count == 0 && MachineNames.Count == 0 && Series.Count == 0 && _points.Count == 0 && Results.Count == 0;

    /// <summary>
    /// Takes a <see cref="Machine"/>, <see cref="MetricSeries"/>, <see cref="MetricPoint"/> (grouped into a series
    /// per machine), <see cref="BenchmarkResult"/> or a machine name. False for anything else.
    /// </summary>
    public bool TryAdd(object? item)
    {
        switch (item)
        {
            case Machine m:
                Machines.Add(m);
                return true;
            case MetricSeries s:
                Series.Add(s);
                return true;
            case MetricPoint { Machine: { Length: > 0 } name } p:
                if (!_points.TryGetValue(name, out var list)) _points[name] = list = [];
                list.Add(p);
                return true;
            case BenchmarkResult r:
                Results.Add(r);
                return true;
            case string name when !string.IsNullOrWhiteSpace(name):
                MachineNames.Add(name);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The series as given, with loose points gathered into one series per machine.</summary>
    public IEnumerable<MetricSeries> AllSeries()
    {
        foreach (var s in Series) yield return s;
        foreach (var (name, points) in _points)
        {
            var ordered = points.OrderBy(p => p.T).ToList();
            yield return new MetricSeries
            {
                Name = name,
                Since = ordered[0].T,
                Until = ordered[^1].T + TimeSpan.FromSeconds(ordered[^1].StepSeconds),
                StepSeconds = ordered[0].StepSeconds,
                Points = ordered,
            };
        }
    }
}
