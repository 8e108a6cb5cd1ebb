namespace Sentinel;

/// <summary>
/// Memory as <c>free</c> reports it: used = total - available, where available is the kernel's
/// MemAvailable estimate. Inside a container with a cgroup memory limit, the limit is the total
/// and used is the cgroup's usage less inactive file cache (the figure the OOM killer works against).
/// </summary>
public sealed class MemorySample
{
    public long TotalBytes { get; init; }
    public long AvailableBytes { get; init; }
    public long UsedBytes { get; init; }
    public double UsedPercent { get; init; }
    public long SwapTotalBytes { get; init; }
    public long SwapUsedBytes { get; init; }
    /// <summary>True when a cgroup limit, not the host's RAM, set these figures.</summary>
    public bool CgroupLimited { get; init; }
}
