namespace Sentinel;

/// <summary>
/// One point of a machine's history: the headline figures averaged over <see cref="StepSeconds"/>
/// from <see cref="T"/> (maxima where the name says Max).
/// </summary>
public sealed class MetricPoint
{
    /// <summary>The machine this point belongs to.</summary>
    public string? Machine { get; init; }
    /// <summary>Start of the step (UTC).</summary>
    public DateTimeOffset T { get; init; }
    public double StepSeconds { get; init; }
    /// <summary>Samples that went into this point.</summary>
    public int Samples { get; init; }
    public double? CpuPercent { get; init; }
    public double? CpuPercentMax { get; init; }
    public double? MemoryUsedPercent { get; init; }
    public double? MemoryUsedBytes { get; init; }
    public double? DiskUsedPercentMax { get; init; }
    public double? DiskReadBytesPerSecond { get; init; }
    public double? DiskWriteBytesPerSecond { get; init; }
    public double? NetworkReceiveBytesPerSecond { get; init; }
    public double? NetworkTransmitBytesPerSecond { get; init; }
    public double? GpuUtilizationPercent { get; init; }
    public double? GpuMemoryUsedPercent { get; init; }
    public double? GpuTemperatureCelsiusMax { get; init; }
    public double? GpuPowerWatts { get; init; }
    public double? LoadAverage1 { get; init; }
}

/// <summary>A machine's history, as GET /api/machines/{name}/metrics returns it.</summary>
public sealed class MetricSeries
{
    public required string Name { get; init; }
    public DateTimeOffset Since { get; init; }
    public DateTimeOffset Until { get; init; }
    public double StepSeconds { get; init; }
    public List<MetricPoint> Points { get; init; } = [];
}
