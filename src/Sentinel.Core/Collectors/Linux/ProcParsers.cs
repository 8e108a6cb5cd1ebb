using System.Buffers.Text;
using System.Text;

namespace Sentinel.Collectors.Linux;

/// <summary>Memory figures from /proc/meminfo, in bytes.</summary>
internal struct MemInfo
{
    public long Total, Free, Available, Buffers, Cached, SwapTotal, SwapFree;
    public bool HasAvailable;
}

/// <summary>One line of /proc/self/mountinfo.</summary>
internal sealed record MountEntry(int Major, int Minor, string Root, string MountPoint, string FsType, string Source);

/// <summary>
/// Parsers for the kernel's text files. Each takes the file's bytes and fills caller-owned
/// storage, so they are pure functions that tests drive with captured files.
/// </summary>
internal static class ProcParsers
{
    /// <summary>/proc/stat: the all-CPU line and one line per online CPU.</summary>
    public static bool ParseStat(ReadOnlySpan<byte> text, ref CpuTimes total, List<CpuTimes> cores)
    {
        bool found = false;
        while (Ascii.NextLine(ref text, out var line))
        {
            if (!line.StartsWith("cpu"u8))
            {
                if (found)
                {
                    break; // the cpu lines come first; nothing after them is needed
                }
                continue;
            }
            Ascii.NextField(ref line, out var label);
            var times = new CpuTimes
            {
                User = Ascii.NextUInt64(ref line),
                Nice = Ascii.NextUInt64(ref line),
                System = Ascii.NextUInt64(ref line),
                Idle = Ascii.NextUInt64(ref line),
                Iowait = Ascii.NextUInt64(ref line),
                Irq = Ascii.NextUInt64(ref line),
                SoftIrq = Ascii.NextUInt64(ref line),
                Steal = Ascii.NextUInt64(ref line),
            };
            if (label.Length == 3)
            {
                times.Id = -1;
                total = times;
                found = true;
            }
            else if (Utf8Parser.TryParse(label[3..], out int id, out _))
            {
                times.Id = id;
                cores.Add(times);
            }
        }
        return found;
    }

    /// <summary>/proc/meminfo (values in kB).</summary>
    public static MemInfo ParseMemInfo(ReadOnlySpan<byte> text)
    {
        var m = new MemInfo();
        while (Ascii.NextLine(ref text, out var line))
        {
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                continue;
            }
            var key = line[..colon];
            var rest = line[(colon + 1)..];
            long bytes = (long)Ascii.NextUInt64(ref rest) * 1024;
            if (key.SequenceEqual("MemTotal"u8)) m.Total = bytes;
            else if (key.SequenceEqual("MemFree"u8)) m.Free = bytes;
            else if (key.SequenceEqual("MemAvailable"u8)) { m.Available = bytes; m.HasAvailable = true; }
            else if (key.SequenceEqual("Buffers"u8)) m.Buffers = bytes;
            else if (key.SequenceEqual("Cached"u8)) m.Cached = bytes;
            else if (key.SequenceEqual("SwapTotal"u8)) m.SwapTotal = bytes;
            else if (key.SequenceEqual("SwapFree"u8)) m.SwapFree = bytes;
        }
        if (!m.HasAvailable)
        {
            // Kernels before 3.14 have no MemAvailable: the old free(1) estimate.
            m.Available = m.Free + m.Buffers + m.Cached;
        }
        return m;
    }

    /// <summary>/proc/loadavg: "0.52 0.58 0.59 2/345 6789".</summary>
    public static (double? One, double? Five, double? Fifteen) ParseLoadAvg(ReadOnlySpan<byte> text)
        => (Ascii.NextDouble(ref text), Ascii.NextDouble(ref text), Ascii.NextDouble(ref text));

    /// <summary>/proc/uptime: seconds since boot, then idle seconds.</summary>
    public static double ParseUptime(ReadOnlySpan<byte> text) => Ascii.NextDouble(ref text) ?? 0;

    /// <summary>/proc/diskstats, keeping the devices <paramref name="include"/> accepts.</summary>
    public static void ParseDiskStats(ReadOnlySpan<byte> text, NameCache names, Func<string, bool> include, List<DiskCounters> into)
    {
        while (Ascii.NextLine(ref text, out var line))
        {
            Ascii.NextField(ref line, out _); // major
            Ascii.NextField(ref line, out _); // minor
            if (!Ascii.NextField(ref line, out var nameBytes))
            {
                continue;
            }
            var name = names.Get(nameBytes);
            if (!include(name))
            {
                continue;
            }
            var d = new DiskCounters { Name = name };
            d.Reads = Ascii.NextUInt64(ref line);
            Ascii.NextField(ref line, out _); // reads merged
            d.ReadSectors = Ascii.NextUInt64(ref line);
            Ascii.NextField(ref line, out _); // ms reading
            d.Writes = Ascii.NextUInt64(ref line);
            Ascii.NextField(ref line, out _); // writes merged
            d.WriteSectors = Ascii.NextUInt64(ref line);
            into.Add(d);
        }
    }

    /// <summary>/proc/net/dev: two header lines, then "iface: rx(8 fields) tx(8 fields)".</summary>
    public static void ParseNetDev(ReadOnlySpan<byte> text, NameCache names, List<NetCounters> into)
    {
        while (Ascii.NextLine(ref text, out var line))
        {
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                continue; // header lines
            }
            var nameBytes = line[..colon].Trim((byte)' ');
            var rest = line[(colon + 1)..];
            var n = new NetCounters { Name = names.Get(nameBytes) };
            n.IsLoopback = nameBytes.SequenceEqual("lo"u8);
            n.RxBytes = Ascii.NextUInt64(ref rest);
            n.RxPackets = Ascii.NextUInt64(ref rest);
            n.RxErrors = Ascii.NextUInt64(ref rest);
            n.RxDrops = Ascii.NextUInt64(ref rest);
            for (int i = 0; i < 4; i++) Ascii.NextField(ref rest, out _); // fifo frame compressed multicast
            n.TxBytes = Ascii.NextUInt64(ref rest);
            n.TxPackets = Ascii.NextUInt64(ref rest);
            n.TxErrors = Ascii.NextUInt64(ref rest);
            n.TxDrops = Ascii.NextUInt64(ref rest);
            into.Add(n);
        }
    }

    /// <summary>/proc/self/mountinfo.</summary>
    public static List<MountEntry> ParseMountInfo(ReadOnlySpan<byte> text)
    {
        var list = new List<MountEntry>();
        while (Ascii.NextLine(ref text, out var line))
        {
            Ascii.NextField(ref line, out _); // mount id
            Ascii.NextField(ref line, out _); // parent id
            if (!Ascii.NextField(ref line, out var majMin))
            {
                continue;
            }
            Ascii.NextField(ref line, out var root);
            Ascii.NextField(ref line, out var mountPoint);
            // optional fields run until a lone "-"
            while (Ascii.NextField(ref line, out var optional) && !optional.SequenceEqual("-"u8))
            {
            }
            Ascii.NextField(ref line, out var fsType);
            Ascii.NextField(ref line, out var source);
            int colon = majMin.IndexOf((byte)':');
            if (colon < 0
                || !Utf8Parser.TryParse(majMin[..colon], out int major, out _)
                || !Utf8Parser.TryParse(majMin[(colon + 1)..], out int minor, out _))
            {
                continue;
            }
            list.Add(new MountEntry(major, minor, Unescape(root), Unescape(mountPoint),
                Encoding.UTF8.GetString(fsType), Unescape(source)));
        }
        return list;
    }

    // File systems that hold no user data: kernel interfaces, memory-backed, read-only images.
    private static readonly HashSet<string> PseudoTypes = new(StringComparer.Ordinal)
    {
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs",
        "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nsfs", "proc", "procfs", "pstore", "ramfs",
        "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs", "erofs",
        "iso9660", "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal", "nfsd", "overlay",
    };

    /// <summary>
    /// The mounts worth reporting: real file systems, each device once (the shortest mount point wins,
    /// so bind mounts and container file mounts do not repeat it). An overlay is kept only as the root
    /// of a container, where it is the only disk there is.
    /// </summary>
    public static List<MountEntry> SelectRealMounts(IEnumerable<MountEntry> mounts)
    {
        var byDevice = new Dictionary<(int, int), MountEntry>();
        foreach (var m in mounts)
        {
            bool containerRoot = m.FsType == "overlay" && m.MountPoint == "/";
            if (!containerRoot && PseudoTypes.Contains(m.FsType))
            {
                continue;
            }
            if (m.MountPoint.StartsWith("/proc/", StringComparison.Ordinal) || m.MountPoint.StartsWith("/sys/", StringComparison.Ordinal)
                || m.MountPoint.StartsWith("/dev/", StringComparison.Ordinal))
            {
                continue;
            }
            // Container runtimes bind single files into /etc (hosts, hostname, resolv.conf): not disks of this machine.
            if (m.Root != "/" && m.MountPoint.StartsWith("/etc/", StringComparison.Ordinal))
            {
                continue;
            }
            var key = (m.Major, m.Minor);
            if (!byDevice.TryGetValue(key, out var existing) || Better(m, existing))
            {
                byDevice[key] = m;
            }
        }
        return byDevice.Values.OrderBy(m => m.MountPoint, StringComparer.Ordinal).ToList();

        static bool Better(MountEntry candidate, MountEntry existing)
        {
            // A mount of the file system's own root beats a bind mount of a subfolder or file.
            bool cRoot = candidate.Root == "/", eRoot = existing.Root == "/";
            if (cRoot != eRoot)
            {
                return cRoot;
            }
            return candidate.MountPoint.Length < existing.MountPoint.Length;
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal (\040).</summary>
    private static string Unescape(ReadOnlySpan<byte> s)
    {
        if (s.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(s);
        }
        var bytes = new List<byte>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == (byte)'\\' && i + 3 < s.Length
                && IsOctal(s[i + 1]) && IsOctal(s[i + 2]) && IsOctal(s[i + 3]))
            {
                bytes.Add((byte)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(s[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());

        static bool IsOctal(byte b) => b >= (byte)'0' && b <= (byte)'7';
    }

    /// <summary>Sizes as sysfs writes them: "48K", "1024K", "32M", or plain bytes.</summary>
    public static long ParseSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }
        text = text.Trim();
        long multiplier = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 1024L,
            'M' => 1024L * 1024,
            'G' => 1024L * 1024 * 1024,
            _ => 1,
        };
        var digits = multiplier == 1 ? text : text[..^1];
        return long.TryParse(digits, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v * multiplier : 0;
    }

    /// <summary>CPU lists as sysfs writes them: "0-3,8-11,16".</summary>
    public static List<int> ParseCpuList(string? text)
    {
        var list = new List<int>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return list;
        }
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-');
            if (dash < 0)
            {
                if (int.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out var one)) list.Add(one);
            }
            else if (int.TryParse(part[..dash], System.Globalization.CultureInfo.InvariantCulture, out var from)
                     && int.TryParse(part[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var to))
            {
                for (int i = from; i <= to; i++) list.Add(i);
            }
        }
        return list;
    }
}
