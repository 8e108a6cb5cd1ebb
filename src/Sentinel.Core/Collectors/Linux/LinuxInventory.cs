using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sentinel.Collectors.Gpu;

namespace Sentinel.Collectors.Linux;

/// <summary>Hardware and OS facts from sysfs, /proc/cpuinfo and /etc/os-release.</summary>
internal static class LinuxInventory
{
    public static Inventory Read(string root, ProcFile file, NvidiaSmi gpu, long memoryTotal)
    {
        var cpuRoot = Path.Combine(root, "sys/devices/system/cpu");
        var cpus = ListCpus(root, file, cpuRoot);

        var packages = new HashSet<string>();
        var cores = new HashSet<(string, string)>();
        foreach (var cpu in cpus)
        {
            var topo = Path.Combine(cpuRoot, "cpu" + cpu, "topology");
            var pkg = file.ReadLine(Path.Combine(topo, "physical_package_id")) ?? "0";
            var core = file.ReadLine(Path.Combine(topo, "core_id")) ?? cpu.ToString(System.Globalization.CultureInfo.InvariantCulture);
            packages.Add(pkg);
            cores.Add((pkg, core));
        }

        var caches = ReadCaches(file, cpuRoot, cpus);
        long llc = 0;
        if (caches.Count > 0)
        {
            int top = caches.Max(c => c.Level);
            llc = caches.Where(c => c.Level == top && c.Type != "Instruction").Sum(c => c.SizeBytes * c.Instances);
        }

        var numa = 0;
        var nodeDir = Path.Combine(root, "sys/devices/system/node");
        if (Directory.Exists(nodeDir))
        {
            numa = Directory.EnumerateDirectories(nodeDir, "node*")
                .Count(d => Path.GetFileName(d).Length > 4 && Path.GetFileName(d)[4..].All(char.IsAsciiDigit));
        }

        var gpus = gpu.Available ? gpu.Query().Select(g => g.ToInfo()).ToList() : [];

        return new Inventory
        {
            HostName = file.ReadLine(Path.Combine(root, "proc/sys/kernel/hostname")) ?? Environment.MachineName,
            OperatingSystem = OsRelease(root) ?? RuntimeInformation.OSDescription,
            KernelVersion = file.ReadLine(Path.Combine(root, "proc/sys/kernel/osrelease")) ?? "",
            Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            Addresses = root == "/" ? Addresses() : [],
            CpuModel = CpuModel(file, root),
            Sockets = Math.Max(1, packages.Count),
            Cores = Math.Max(1, cores.Count),
            Threads = cpus.Count > 0 ? cpus.Count : Environment.ProcessorCount,
            NumaNodes = Math.Max(1, numa),
            Caches = caches,
            LastLevelCacheBytes = llc,
            MemoryTotalBytes = memoryTotal,
            Gpus = gpus,
        };
    }

    private static List<int> ListCpus(string root, ProcFile file, string cpuRoot)
    {
        var online = ProcParsers.ParseCpuList(file.ReadLine(Path.Combine(cpuRoot, "online")));
        if (online.Count > 0)
        {
            return online;
        }
        // No sysfs: count the processors /proc/cpuinfo lists.
        var text = file.Read(Path.Combine(root, "proc/cpuinfo"));
        var list = new List<int>();
        while (Ascii.NextLine(ref text, out var line))
        {
            if (line.StartsWith("processor"u8))
            {
                list.Add(list.Count);
            }
        }
        return list;
    }

    private static List<CacheInfo> ReadCaches(ProcFile file, string cpuRoot, List<int> cpus)
    {
        // Each cache instance is shared by a set of CPUs; count distinct (level, type, sharers).
        var seen = new Dictionary<(int Level, string Type), (long Size, HashSet<string> Instances)>();
        foreach (var cpu in cpus)
        {
            var cacheDir = Path.Combine(cpuRoot, "cpu" + cpu, "cache");
            if (!Directory.Exists(cacheDir))
            {
                continue;
            }
            foreach (var index in Directory.EnumerateDirectories(cacheDir, "index*"))
            {
                if (!int.TryParse(file.ReadLine(Path.Combine(index, "level")), out var level))
                {
                    continue;
                }
                var type = file.ReadLine(Path.Combine(index, "type")) ?? "Unified";
                var size = ProcParsers.ParseSize(file.ReadLine(Path.Combine(index, "size")));
                var shared = file.ReadLine(Path.Combine(index, "shared_cpu_list")) ?? ("cpu" + cpu);
                if (!seen.TryGetValue((level, type), out var entry))
                {
                    entry = (size, new HashSet<string>());
                    seen[(level, type)] = entry;
                }
                entry.Instances.Add(shared);
            }
        }
        return seen
            .OrderBy(kv => kv.Key.Level).ThenBy(kv => kv.Key.Type, StringComparer.Ordinal)
            .Select(kv => new CacheInfo { Level = kv.Key.Level, Type = kv.Key.Type, SizeBytes = kv.Value.Size, Instances = kv.Value.Instances.Count })
            .ToList();
    }

    private static string CpuModel(ProcFile file, string root)
    {
        var text = file.Read(Path.Combine(root, "proc/cpuinfo"));
        // x86: "model name"; POWER: "cpu"; many ARM kernels: "Model" or "Hardware" (the board).
        string? fallback = null;
        while (Ascii.NextLine(ref text, out var line))
        {
            int colon = line.IndexOf((byte)':');
            if (colon < 0) continue;
            var key = line[..colon].Trim((byte)' ').Trim((byte)'\t');
            var value = System.Text.Encoding.UTF8.GetString(line[(colon + 1)..]).Trim();
            if (key.SequenceEqual("model name"u8)) return value;
            if (fallback is null && (key.SequenceEqual("Model"u8) || key.SequenceEqual("Hardware"u8) || key.SequenceEqual("cpu model"u8)))
            {
                fallback = value;
            }
        }
        return fallback ?? "";
    }

    private static string? OsRelease(string root)
    {
        foreach (var path in new[] { "etc/os-release", "usr/lib/os-release" })
        {
            var full = Path.Combine(root, path);
            if (!File.Exists(full)) continue;
            foreach (var line in File.ReadLines(full))
            {
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                {
                    return line["PRETTY_NAME=".Length..].Trim('"');
                }
            }
        }
        return null;
    }

    internal static List<string> Addresses()
    {
        var list = new List<string>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || nic.OperationalStatus != OperationalStatus.Up)
                {
                    continue;
                }
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                {
                    var ip = a.Address;
                    if (ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.IsIPv6LinkLocal)
                    {
                        continue;
                    }
                    list.Add(ip.ToString());
                }
            }
        }
        catch (NetworkInformationException)
        {
        }
        return list;
    }
}
