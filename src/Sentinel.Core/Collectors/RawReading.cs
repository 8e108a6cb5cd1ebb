namespace Sentinel.Collectors;

/// <summary>Cumulative CPU time counters for one CPU, in clock ticks.</summary>
internal struct CpuTimes
{
    public int Id; // -1 for the all-CPU line
    public ulong User, Nice, System, Idle, Iowait, Irq, SoftIrq, Steal;
    public readonly ulong Total => User + Nice + System + Idle + Iowait + Irq + SoftIrq + Steal;
}

/// <summary>Cumulative counters for one block device.</summary>
internal struct DiskCounters
{
    public string Name;
    public ulong Reads, ReadSectors, Writes, WriteSectors;
}

/// <summary>Cumulative counters for one network interface.</summary>
internal struct NetCounters
{
    public string Name;
    public bool IsLoopback;
    public ulong RxBytes, RxPackets, RxErrors, RxDrops, TxBytes, TxPackets, TxErrors, TxDrops;
}

/// <summary>
/// Everything read from the OS at one instant. Counters are cumulative; a <see cref="MachineSample"/>
/// is built from two of these, so no figure is ever a rate over an unknown span.
/// </summary>
internal sealed class RawReading
{
    /// <summary>Monotonic timestamp from the sampler's <see cref="TimeProvider"/>.</summary>
    public long Timestamp;
    public DateTimeOffset WallClock;
    public CpuTimes Total;
    public CpuTimes[] Cores = [];
    public bool HasCpu;
    public double? Load1, Load5, Load15;
    public MemorySample Memory = new();
    public FileSystemSample[] FileSystems = [];
    public DiskCounters[] Disks = [];
    public NetCounters[] Nets = [];
    public GpuSample[] Gpus = [];
    public double UptimeSeconds;
    public int ProcessCount;
}

/// <summary>Reads one OS's counters. Implementations are not thread-safe; the sampler serialises calls.</summary>
internal interface IMachineReader : IDisposable
{
    Inventory ReadInventory();
    void Read(RawReading into);
}
