namespace Sentinel;

/// <summary>
/// One reading of a machine. Rates (per second) are computed from two raw readings taken
/// <see cref="IntervalSeconds"/> apart; levels (percentages, bytes) are those of the later reading.
/// </summary>
public sealed class MachineSample
{
    /// <summary>When the later of the two readings was taken (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The span, in seconds, over which rates and CPU percentages were measured.</summary>
    public double IntervalSeconds { get; init; }

    public required CpuSample Cpu { get; init; }
    public required MemorySample Memory { get; init; }
    public IReadOnlyList<FileSystemSample> FileSystems { get; init; } = [];
    public IReadOnlyList<DiskDeviceSample> Disks { get; init; } = [];
    public IReadOnlyList<NetworkInterfaceSample> Network { get; init; } = [];
    public IReadOnlyList<GpuSample> Gpus { get; init; } = [];

    /// <summary>Seconds since the machine booted.</summary>
    public double UptimeSeconds { get; init; }

    /// <summary>Processes running on the machine (not threads).</summary>
    public int ProcessCount { get; init; }

    // Headline figures, so tables and alert rules need not dig into the nested objects.

    /// <summary>Busy CPU across all cores (100 - idle - iowait), 0..100.</summary>
    public double CpuPercent => Cpu.CpuPercent;

    /// <summary>Memory in use as a share of the total (cgroup limit inside a container).</summary>
    public double MemoryUsedPercent => Memory.UsedPercent;

    /// <summary>The fullest file system's used share, or null when there is none.</summary>
    public double? DiskUsedPercentMax => FileSystems.Count == 0 ? null : FileSystems.Max(f => f.UsedPercent);

    /// <summary>Bytes received per second over all interfaces but loopback.</summary>
    public double NetworkReceiveBytesPerSecond => Network.Where(n => !n.IsLoopback).Sum(n => n.ReceiveBytesPerSecond);

    /// <summary>Bytes sent per second over all interfaces but loopback.</summary>
    public double NetworkTransmitBytesPerSecond => Network.Where(n => !n.IsLoopback).Sum(n => n.TransmitBytesPerSecond);

    /// <summary>Mean GPU utilisation over the GPUs that report it, or null without GPUs.</summary>
    public double? GpuUtilizationPercent
    {
        get
        {
            var values = Gpus.Where(g => g.UtilizationPercent.HasValue).Select(g => g.UtilizationPercent!.Value).ToList();
            return values.Count == 0 ? null : values.Average();
        }
    }
}
