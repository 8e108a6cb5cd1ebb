namespace Sentinel;

/// <summary>One GPU's reading. A figure the driver does not report ([N/A], [Not Supported]) is null.</summary>
public sealed class GpuSample
{
    public int Index { get; init; }
    public required string Name { get; init; }
    public string? Uuid { get; init; }
    public double? UtilizationPercent { get; init; }
    public long? MemoryUsedBytes { get; init; }
    public long? MemoryTotalBytes { get; init; }
    public double? MemoryUsedPercent => MemoryUsedBytes is { } used && MemoryTotalBytes is > 0 and var total ? 100.0 * used / total : null;
    public double? TemperatureCelsius { get; init; }
    public double? PowerDrawWatts { get; init; }
    public double? PowerLimitWatts { get; init; }
}
