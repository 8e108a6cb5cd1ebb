namespace Sentinel;

/// <summary>CPU time shares over the sample's interval, as top and mpstat split them.</summary>
public class CpuTimesPercent
{
    /// <summary>Busy time: 100 - idle - iowait.</summary>
    public double CpuPercent { get; init; }
    /// <summary>User and nice time (guest time is counted in user by the kernel).</summary>
    public double UserPercent { get; init; }
    /// <summary>Kernel time, including hard and soft interrupts.</summary>
    public double SystemPercent { get; init; }
    /// <summary>Idle while waiting for I/O.</summary>
    public double IowaitPercent { get; init; }
    /// <summary>Time the hypervisor gave to someone else.</summary>
    public double StealPercent { get; init; }
    public double IdlePercent { get; init; }
}

/// <summary>All cores together, each core, and the load averages.</summary>
public sealed class CpuSample : CpuTimesPercent
{
    public IReadOnlyList<CoreSample> Cores { get; init; } = [];
    /// <summary>Load averages over 1, 5 and 15 minutes (null where the OS has none).</summary>
    public double? LoadAverage1 { get; init; }
    public double? LoadAverage5 { get; init; }
    public double? LoadAverage15 { get; init; }
}

/// <summary>One logical CPU.</summary>
public sealed class CoreSample : CpuTimesPercent
{
    /// <summary>The kernel's CPU number (cpuN).</summary>
    public int Core { get; init; }
}
