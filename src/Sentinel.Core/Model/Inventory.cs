namespace Sentinel;

/// <summary>What a machine is: hardware and operating system, read once when the sampler starts.</summary>
public sealed class Inventory
{
    public required string HostName { get; init; }
    public string OperatingSystem { get; init; } = "";
    public string KernelVersion { get; init; } = "";
    /// <summary>x64, arm64, …</summary>
    public string Architecture { get; init; } = "";
    public IReadOnlyList<string> Addresses { get; init; } = [];

    public string CpuModel { get; init; } = "";
    public int Sockets { get; init; }
    /// <summary>Physical cores over all sockets.</summary>
    public int Cores { get; init; }
    /// <summary>Logical CPUs (hardware threads) online.</summary>
    public int Threads { get; init; }
    public int NumaNodes { get; init; }
    public IReadOnlyList<CacheInfo> Caches { get; init; } = [];
    /// <summary>The largest cache level's total size across all its instances, in bytes (0 when unknown).</summary>
    public long LastLevelCacheBytes { get; init; }

    public long MemoryTotalBytes { get; init; }
    public IReadOnlyList<GpuInfo> Gpus { get; init; } = [];
}

/// <summary>One level and type of CPU cache.</summary>
public sealed class CacheInfo
{
    public int Level { get; init; }
    /// <summary>Data, Instruction or Unified.</summary>
    public required string Type { get; init; }
    /// <summary>Size of one instance, in bytes.</summary>
    public long SizeBytes { get; init; }
    /// <summary>How many separate instances of this cache the machine has (one per core for L1, usually).</summary>
    public int Instances { get; init; }
}

/// <summary>One GPU, as the driver names it.</summary>
public sealed class GpuInfo
{
    public int Index { get; init; }
    public required string Name { get; init; }
    public string? Uuid { get; init; }
    public long? MemoryTotalBytes { get; init; }
    public string? DriverVersion { get; init; }
}
