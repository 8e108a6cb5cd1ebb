namespace Sentinel.Reports;

/// <summary>What a report covers and how it is gathered.</summary>
public sealed class ReportOptions
{
    /// <summary>The report's heading.</summary>
    public string Title { get; init; } = "Sentinel report";

    /// <summary>Start of the time range for history and results.</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>End of the time range.</summary>
    public DateTimeOffset Until { get; init; }

    /// <summary>How many machines' history is read at once.</summary>
    public int ThrottleLimit { get; init; } = 4;

    /// <summary>
    /// About how many points to ask the master for per machine: the step is the range divided by this (never finer
    /// than the machine's interval), well under the master's 100000-point limit; the chart then downsamples.
    /// </summary>
    public int PointsPerMachine { get; init; } = 20_000;
}

/// <summary>Where gathering a report's data has got to: <paramref name="Done"/> of <paramref name="Total"/> steps.</summary>
public sealed record ReportProgress(string Activity, int Done, int Total);
