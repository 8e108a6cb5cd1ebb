using Sentinel.Protocol;

namespace Sentinel.Bench;

/// <summary>
/// What a simulated agent says: a realistic hello (8 cores, 2 file systems, 3 interfaces, a disk) and one
/// sample built from a shared template, with the timestamp set to now and a few figures moved per send.
/// </summary>
internal sealed class FleetSample
{
    private readonly IReadOnlyList<CoreSample> _cores;
    private readonly IReadOnlyList<FileSystemSample> _fileSystems;
    private readonly IReadOnlyList<DiskDeviceSample> _disks;
    private readonly IReadOnlyList<NetworkInterfaceSample> _network;
    private readonly Random _random = new(42);

    public FleetSample()
    {
        _cores = Enumerable.Range(0, 8).Select(i => new CoreSample
        {
            Core = i, CpuPercent = 37.5 + i, UserPercent = 30.25 + i, SystemPercent = 6.25, IowaitPercent = 0.5, StealPercent = 0.0, IdlePercent = 62.0 - i,
        }).ToList();
        _fileSystems =
        [
            new FileSystemSample { MountPoint = "/", Device = "/dev/nvme0n1p2", Type = "ext4", TotalBytes = 502_468_108_288, UsedBytes = 187_339_202_560, AvailableBytes = 289_537_671_168, UsedPercent = 39.28 },
            new FileSystemSample { MountPoint = "/scratch", Device = "/dev/nvme1n1", Type = "xfs", TotalBytes = 3_840_755_982_336, UsedBytes = 1_920_377_991_168, AvailableBytes = 1_920_377_991_168, UsedPercent = 50.0 },
        ];
        _disks =
        [
            new DiskDeviceSample { Device = "nvme0n1", ReadBytesPerSecond = 1_048_576, WriteBytesPerSecond = 4_194_304, ReadsPerSecond = 64, WritesPerSecond = 256 },
        ];
        _network =
        [
            new NetworkInterfaceSample { Name = "lo", IsLoopback = true, ReceiveBytesPerSecond = 20480, TransmitBytesPerSecond = 20480, ReceivePacketsPerSecond = 40, TransmitPacketsPerSecond = 40 },
            new NetworkInterfaceSample { Name = "eth0", ReceiveBytesPerSecond = 1_250_000, TransmitBytesPerSecond = 312_500, ReceivePacketsPerSecond = 1100, TransmitPacketsPerSecond = 900, ReceiveDropsPerSecond = 0.2 },
            new NetworkInterfaceSample { Name = "ib0", ReceiveBytesPerSecond = 125_000_000, TransmitBytesPerSecond = 98_000_000, ReceivePacketsPerSecond = 30500, TransmitPacketsPerSecond = 24000 },
        ];
    }

    public static Hello Hello(string name, string hostId) => new()
    {
        Name = name,
        BootId = Guid.NewGuid().ToString("N"),
        HostId = hostId,
        AgentVersion = "0.0.0-bench",
        IntervalSeconds = 1,
        Inventory = new Inventory
        {
            HostName = name,
            OperatingSystem = "Debian GNU/Linux 12 (bookworm)",
            KernelVersion = "6.1.0-26-amd64",
            Architecture = "x64",
            Addresses = ["192.0.2.10", "198.51.100.10"],
            CpuModel = "AMD EPYC 7763 64-Core Processor",
            Sockets = 1,
            Cores = 8,
            Threads = 8,
            NumaNodes = 1,
            Caches =
            [
                new CacheInfo { Level = 1, Type = "Data", SizeBytes = 32768, Instances = 8 },
                new CacheInfo { Level = 1, Type = "Instruction", SizeBytes = 32768, Instances = 8 },
                new CacheInfo { Level = 2, Type = "Unified", SizeBytes = 524288, Instances = 8 },
                new CacheInfo { Level = 3, Type = "Unified", SizeBytes = 33554432, Instances = 1 },
            ],
            LastLevelCacheBytes = 33554432,
            MemoryTotalBytes = 34_359_738_368,
        },
        Tags = new Dictionary<string, string>(StringComparer.Ordinal) { ["rack"] = "b7", ["bench"] = "fleet" },
    };

    /// <summary>A new sample from the template, taken now. Not thread-safe (one sender thread).</summary>
    public MachineSample Next(long seq) => Next(DateTimeOffset.UtcNow, seq);

    /// <summary>A new sample from the template, taken at <paramref name="at"/>.</summary>
    public MachineSample Next(DateTimeOffset at, long seq = 0)
    {
        double busy = 20 + _random.NextDouble() * 60;
        long used = 12_000_000_000 + _random.Next(0, 4_000_000) * 1000L;
        return new MachineSample
        {
            Timestamp = at,
            IntervalSeconds = 1,
            Cpu = new CpuSample
            {
                CpuPercent = busy, UserPercent = busy * 0.8, SystemPercent = busy * 0.2, IowaitPercent = 0.4, StealPercent = 0,
                IdlePercent = 100 - busy - 0.4, Cores = _cores, LoadAverage1 = busy / 12.5, LoadAverage5 = 4.1, LoadAverage15 = 3.9,
            },
            Memory = new MemorySample
            {
                TotalBytes = 34_359_738_368, UsedBytes = used, AvailableBytes = 34_359_738_368 - used,
                UsedPercent = 100.0 * used / 34_359_738_368, SwapTotalBytes = 8_589_934_592, SwapUsedBytes = 0,
            },
            FileSystems = _fileSystems,
            Disks = _disks,
            Network = _network,
            UptimeSeconds = 864_000 + seq,
            ProcessCount = 412 + (int)(seq % 7),
        };
    }
}
