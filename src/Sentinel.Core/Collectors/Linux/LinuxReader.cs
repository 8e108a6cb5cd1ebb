using Sentinel.Collectors.Gpu;

namespace Sentinel.Collectors.Linux;

/// <summary>
/// Reads Linux counters from procfs, sysfs and cgroupfs under a root folder ("/" on a real machine,
/// a captured tree in tests).
/// </summary>
internal sealed class LinuxReader : IMachineReader
{
    private readonly string _root;
    private readonly ProcFile _file = new();
    private readonly NameCache _names = new();
    private readonly string _stat, _meminfo, _loadavg, _uptime, _diskstats, _netdev, _mountinfo, _proc, _sysBlock;
    private readonly CgroupMemory? _cgroup;
    private readonly NvidiaSmi _gpu;
    private readonly Func<string, (long Total, long Free, long Available)?> _space;
    private readonly Dictionary<string, bool> _wholeDisk = new(StringComparer.Ordinal);
    private readonly Func<string, bool> _includeDisk;
    private readonly List<CpuTimes> _cores = [];
    private readonly List<DiskCounters> _disks = [];
    private readonly List<NetCounters> _nets = [];
    private byte[] _mountInfoLast = [];
    private FileSystemSample[] _mountTemplate = [];

    /// <param name="root">Folder that holds proc/ and sys/.</param>
    /// <param name="gpu">GPU source; defaults to nvidia-smi on PATH.</param>
    /// <param name="space">File-system space for a mount point; defaults to statvfs through DriveInfo.</param>
    public LinuxReader(string root = "/", NvidiaSmi? gpu = null, Func<string, (long, long, long)?>? space = null)
    {
        _root = root;
        _stat = Path.Combine(root, "proc/stat");
        _meminfo = Path.Combine(root, "proc/meminfo");
        _loadavg = Path.Combine(root, "proc/loadavg");
        _uptime = Path.Combine(root, "proc/uptime");
        _diskstats = Path.Combine(root, "proc/diskstats");
        _netdev = Path.Combine(root, "proc/net/dev");
        _mountinfo = Path.Combine(root, "proc/self/mountinfo");
        _proc = Path.Combine(root, "proc");
        _sysBlock = Path.Combine(root, "sys/block");
        _cgroup = CgroupMemory.Detect(root, _file);
        _gpu = gpu ?? new NvidiaSmi();
        _space = space ?? StatFs;
        _includeDisk = IsWholeDisk;
    }

    public Inventory ReadInventory() => LinuxInventory.Read(_root, _file, _gpu, ReadMemory().TotalBytes);

    public void Read(RawReading r)
    {
        _cores.Clear();
        r.HasCpu = ProcParsers.ParseStat(_file.Read(_stat, keepOpen: true), ref r.Total, _cores);
        r.Cores = _cores.ToArray();

        (r.Load1, r.Load5, r.Load15) = ProcParsers.ParseLoadAvg(_file.Read(_loadavg, keepOpen: true));
        r.UptimeSeconds = ProcParsers.ParseUptime(_file.Read(_uptime, keepOpen: true));
        r.Memory = ReadMemory();
        r.FileSystems = ReadFileSystems();

        _disks.Clear();
        ProcParsers.ParseDiskStats(_file.Read(_diskstats, keepOpen: true), _names, _includeDisk, _disks);
        r.Disks = _disks.ToArray();

        _nets.Clear();
        ProcParsers.ParseNetDev(_file.Read(_netdev, keepOpen: true), _names, _nets);
        r.Nets = _nets.ToArray();

        r.ProcessCount = CountProcesses();
        r.Gpus = _gpu.Available ? _gpu.Query().Select(g => g.ToSample()).ToArray() : [];
    }

    private MemorySample ReadMemory()
    {
        var m = ProcParsers.ParseMemInfo(_file.Read(_meminfo, keepOpen: true));
        long total = m.Total, available = m.Available;
        bool limited = false;
        if (_cgroup is not null && _cgroup.TryRead(_file, out var limit, out var cgUsed) && limit < m.Total)
        {
            total = limit;
            available = Math.Max(0, limit - cgUsed);
            limited = true;
        }
        long used = Math.Max(0, total - available);
        return new MemorySample
        {
            TotalBytes = total,
            AvailableBytes = available,
            UsedBytes = used,
            UsedPercent = total > 0 ? 100.0 * used / total : 0,
            SwapTotalBytes = m.SwapTotal,
            SwapUsedBytes = Math.Max(0, m.SwapTotal - m.SwapFree),
            CgroupLimited = limited,
        };
    }

    private FileSystemSample[] ReadFileSystems()
    {
        // mountinfo rarely changes: re-select mounts only when its text does.
        var text = _file.Read(_mountinfo, keepOpen: true);
        if (!text.SequenceEqual(_mountInfoLast))
        {
            _mountInfoLast = text.ToArray();
            _mountTemplate = ProcParsers.SelectRealMounts(ProcParsers.ParseMountInfo(text))
                .Select(m => new FileSystemSample { MountPoint = m.MountPoint, Device = m.Source, Type = m.FsType })
                .ToArray();
        }
        var list = new List<FileSystemSample>(_mountTemplate.Length);
        foreach (var t in _mountTemplate)
        {
            if (_space(t.MountPoint) is not var (total, free, available) || total <= 0)
            {
                continue;
            }
            long used = Math.Max(0, total - free);
            list.Add(new FileSystemSample
            {
                MountPoint = t.MountPoint,
                Device = t.Device,
                Type = t.Type,
                TotalBytes = total,
                UsedBytes = used,
                AvailableBytes = available,
                UsedPercent = used + available > 0 ? 100.0 * used / (used + available) : 0,
            });
        }
        return list.ToArray();
    }

    private static (long, long, long)? StatFs(string mountPoint)
    {
        try
        {
            var d = new DriveInfo(mountPoint);
            return (d.TotalSize, d.TotalFreeSpace, d.AvailableFreeSpace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whole disks only (partitions would count the same I/O twice); no loop or RAM devices.</summary>
    private bool IsWholeDisk(string name)
    {
        if (!_wholeDisk.TryGetValue(name, out var whole))
        {
            whole = !name.StartsWith("loop", StringComparison.Ordinal)
                    && !name.StartsWith("ram", StringComparison.Ordinal)
                    && !name.StartsWith("zram", StringComparison.Ordinal)
                    && Directory.Exists(Path.Combine(_sysBlock, name));
            _wholeDisk[name] = whole;
        }
        return whole;
    }

    private int CountProcesses()
    {
        // Count the numeric entries of /proc without allocating a string per process.
        var e = new System.IO.Enumeration.FileSystemEnumerable<byte>(
            _proc,
            static (ref System.IO.Enumeration.FileSystemEntry _) => 0,
            new EnumerationOptions { IgnoreInaccessible = true, RecurseSubdirectories = false })
        {
            ShouldIncludePredicate = static (ref System.IO.Enumeration.FileSystemEntry entry) =>
            {
                var n = entry.FileName;
                if (n.Length == 0) return false;
                foreach (var c in n)
                {
                    if (c < '0' || c > '9') return false;
                }
                return true;
            },
        };
        int count = 0;
        try
        {
            foreach (var _ in e) count++;
        }
        catch (DirectoryNotFoundException)
        {
        }
        return count;
    }

    public void Dispose() => _file.Dispose();
}
