using System.Buffers.Text;

namespace Sentinel.Collectors.Linux;

/// <summary>
/// The memory limit of the cgroup this process runs in, v2 (unified) or v1. Inside a container the
/// limit, not the host's RAM, is what the workload can use, so it wins when it is the smaller.
/// </summary>
internal sealed class CgroupMemory
{
    private readonly bool _v2;
    private readonly string[] _dirs; // leaf first, then ancestors up to the mount root
    private readonly string _currentPath, _statPath;

    private CgroupMemory(bool v2, string[] dirs)
    {
        _v2 = v2;
        _dirs = dirs;
        _currentPath = Path.Combine(dirs[0], v2 ? "memory.current" : "memory.usage_in_bytes");
        _statPath = Path.Combine(dirs[0], "memory.stat");
    }

    /// <summary>Finds this process's memory cgroup under <paramref name="root"/>, or null.</summary>
    public static CgroupMemory? Detect(string root, ProcFile file)
    {
        var text = file.Read(Path.Combine(root, "proc/self/cgroup"));
        string? v2Path = null, v1Path = null;
        while (Ascii.NextLine(ref text, out var line))
        {
            // hierarchy-id:controller-list:path
            int a = line.IndexOf((byte)':');
            if (a < 0) continue;
            int b = line[(a + 1)..].IndexOf((byte)':');
            if (b < 0) continue;
            var controllers = line.Slice(a + 1, b);
            var path = System.Text.Encoding.UTF8.GetString(line[(a + b + 2)..]);
            if (line[..a].SequenceEqual("0"u8) && controllers.IsEmpty)
            {
                v2Path = path;
            }
            else if (ContainsController(controllers, "memory"u8))
            {
                v1Path = path;
            }
        }

        string cgroupFs = Path.Combine(root, "sys/fs/cgroup");
        if (v1Path is not null && Directory.Exists(Path.Combine(cgroupFs, "memory")))
        {
            return new CgroupMemory(false, Chain(Path.Combine(cgroupFs, "memory"), v1Path));
        }
        if (v2Path is not null && File.Exists(Path.Combine(cgroupFs, "cgroup.controllers")))
        {
            return new CgroupMemory(true, Chain(cgroupFs, v2Path));
        }
        return null;
    }

    private static bool ContainsController(ReadOnlySpan<byte> list, ReadOnlySpan<byte> name)
    {
        while (!list.IsEmpty)
        {
            int comma = list.IndexOf((byte)',');
            var item = comma < 0 ? list : list[..comma];
            if (item.SequenceEqual(name)) return true;
            list = comma < 0 ? default : list[(comma + 1)..];
        }
        return false;
    }

    /// <summary>The cgroup's directory and its ancestors. In a cgroup namespace the path may not exist
    /// under the mount (the mount root is already our cgroup); then the mount root alone is used.</summary>
    private static string[] Chain(string mountRoot, string cgroupPath)
    {
        var leaf = Path.Combine(mountRoot, cgroupPath.TrimStart('/'));
        if (!Directory.Exists(leaf))
        {
            return [mountRoot];
        }
        var dirs = new List<string>();
        var full = Path.GetFullPath(mountRoot);
        for (var d = Path.GetFullPath(leaf); d.Length >= full.Length; d = Path.GetDirectoryName(d)!)
        {
            dirs.Add(d);
            if (d.Length == full.Length) break;
        }
        return dirs.ToArray();
    }

    /// <summary>The tightest limit on the chain and the usage that counts against it.</summary>
    public bool TryRead(ProcFile file, out long limit, out long used)
    {
        limit = long.MaxValue;
        foreach (var dir in _dirs)
        {
            var value = ReadNumber(file, Path.Combine(dir, _v2 ? "memory.max" : "memory.limit_in_bytes"));
            // v1 writes "unlimited" as a page-rounded 2^63; v2 writes "max".
            if (value is > 0 and < (1L << 60) && value < limit)
            {
                limit = value.Value;
            }
        }
        used = 0;
        if (limit == long.MaxValue)
        {
            return false;
        }
        long usage = ReadNumber(file, _currentPath) ?? 0;
        long inactiveFile = 0;
        var stat = file.Read(_statPath);
        var key = _v2 ? "inactive_file"u8 : "total_inactive_file"u8;
        while (Ascii.NextLine(ref stat, out var line))
        {
            Ascii.NextField(ref line, out var k);
            if (k.SequenceEqual(key))
            {
                inactiveFile = (long)Ascii.NextUInt64(ref line);
                break;
            }
        }
        used = Math.Max(0, usage - inactiveFile);
        return true;
    }

    private static long? ReadNumber(ProcFile file, string path)
    {
        var text = file.Read(path);
        return Ascii.NextField(ref text, out var f) && Utf8Parser.TryParse(f, out long v, out _) ? v : null;
    }
}
