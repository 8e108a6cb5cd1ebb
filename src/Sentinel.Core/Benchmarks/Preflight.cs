using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Sentinel.Collectors;
using Sentinel.Collectors.Linux;

namespace Sentinel.Benchmarks;

/// <summary>
/// What the machine is doing before a run, and what of it could spoil the figures: the CPU frequency
/// governor, other load (load average and a short busy-time sample), transparent and reserved huge pages,
/// swap in use, a CPU limit on this process's cgroup, and whether it runs in a virtual machine or container.
/// Best effort: anything that cannot be read is recorded as "unavailable", never an error.
/// </summary>
public static class Preflight
{
    /// <summary>Other work above this share of the machine (percent) earns a warning.</summary>
    internal const double BusyWarnPercent = 10;
    /// <summary>A 1-minute load average above this share of the threads earns a warning.</summary>
    internal const double LoadWarnPerThread = 0.25;
    /// <summary>Swap in use above this earns a warning.</summary>
    internal const long SwapWarnBytes = 64L << 20;

    /// <summary>What was found before a run (name → value) and what of it could spoil the figures.</summary>
    public static (Dictionary<string, string> Conditions, List<string> Warnings) Check(Inventory inventory)
    {
        if (OperatingSystem.IsLinux())
        {
            return CheckLinux(inventory, "/", TimeSpan.FromMilliseconds(200), wait: null, subtractOwnCpu: true);
        }
        var conditions = new Dictionary<string, string>
        {
            ["threads"] = Threads(inventory).ToString(CultureInfo.InvariantCulture),
            ["governor"] = "unavailable",
            ["os"] = RuntimeInformation.OSDescription,
        };
        return (conditions, []);
    }

    /// <param name="inventory">The machine (its thread count).</param>
    /// <param name="root">Folder holding proc/ and sys/ ("/" on a real machine, a captured tree in tests).</param>
    /// <param name="window">How long to watch /proc/stat for other work.</param>
    /// <param name="wait">Waits out <paramref name="window"/>; tests replace it to swap the stat file.</param>
    /// <param name="subtractOwnCpu">Leave this process's own CPU time out of "other work".</param>
    internal static (Dictionary<string, string> Conditions, List<string> Warnings) CheckLinux(
        Inventory inventory, string root, TimeSpan window, Action<TimeSpan>? wait, bool subtractOwnCpu)
    {
        var c = new Dictionary<string, string>();
        var w = new List<string>();
        int threads = Threads(inventory);
        c["threads"] = threads.ToString(CultureInfo.InvariantCulture);

        Governor(root, c, w);
        Load(root, threads, c, w);
        Busy(root, window, wait ?? Thread.Sleep, subtractOwnCpu, threads, c, w);
        HugePages(root, c);
        Swap(root, c, w);
        CpuLimit(root, threads, c, w);
        Virtualization(root, c);
        return (c, w);
    }

    private static int Threads(Inventory inventory) => inventory.Threads > 0 ? inventory.Threads : Environment.ProcessorCount;

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

    private static void Governor(string root, Dictionary<string, string> c, List<string> w)
    {
        var cpuDir = Path.Combine(root, "sys/devices/system/cpu");
        var governors = new List<string>();
        if (Directory.Exists(cpuDir))
        {
            foreach (var dir in Directory.EnumerateDirectories(cpuDir, "cpu*"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length <= 3 || !name[3..].All(char.IsAsciiDigit)) continue;
                var g = ReadText(Path.Combine(dir, "cpufreq/scaling_governor"))?.Trim();
                if (!string.IsNullOrEmpty(g)) governors.Add(g);
            }
        }
        if (governors.Count == 0)
        {
            // No cpufreq (most virtual machines): the host decides clock speeds, nothing to check here.
            c["governor"] = "unavailable";
            return;
        }
        var distinct = governors.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        c["governor"] = string.Join(", ", distinct);
        int notPerformance = governors.Count(g => g != "performance");
        if (notPerformance > 0)
        {
            var others = string.Join("', '", distinct.Where(g => g != "performance"));
            w.Add($"CPU frequency governor is '{others}' on {notPerformance} of {governors.Count} CPUs, not 'performance': clock speeds may change during the run.");
        }
    }

    private static void Load(string root, int threads, Dictionary<string, string> c, List<string> w)
    {
        var text = ReadText(Path.Combine(root, "proc/loadavg"));
        var first = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is null || !double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load1))
        {
            c["load1"] = "unavailable";
            return;
        }
        c["load1"] = F(load1, "0.00");
        if (load1 > LoadWarnPerThread * threads)
        {
            w.Add($"1-minute load average is {F(load1, "0.00")} on {threads} threads: other work has been running and may still compete with the run.");
        }
    }

    private static bool TryStat(string path, out CpuTimes total)
    {
        total = default;
        try
        {
            return File.Exists(path) && ProcParsers.ParseStat(File.ReadAllBytes(path), ref total, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Busy(string root, TimeSpan window, Action<TimeSpan> wait, bool subtractOwnCpu, int threads, Dictionary<string, string> c, List<string> w)
    {
        var stat = Path.Combine(root, "proc/stat");
        if (!TryStat(stat, out var before))
        {
            c["busyPercent"] = "unavailable";
            return;
        }
        var ownBefore = subtractOwnCpu ? Process.GetCurrentProcess().TotalProcessorTime : TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        wait(window);
        var elapsed = clock.Elapsed;
        var ownAfter = subtractOwnCpu ? Process.GetCurrentProcess().TotalProcessorTime : TimeSpan.Zero;
        if (!TryStat(stat, out var after) || after.Total <= before.Total)
        {
            c["busyPercent"] = "unavailable";
            return;
        }
        double total = after.Total - before.Total;
        double busy = (after.User - before.User) + (after.Nice - before.Nice) + (after.System - before.System)
                      + (after.Irq - before.Irq) + (after.SoftIrq - before.SoftIrq);
        double steal = after.Steal - before.Steal;
        double busyPercent = 100 * busy / total;
        if (subtractOwnCpu && elapsed > TimeSpan.Zero)
        {
            // Our own threads (the agent's sampler, the runner) are not "other work".
            double own = 100 * (ownAfter - ownBefore).TotalSeconds / (elapsed.TotalSeconds * threads);
            busyPercent = Math.Max(0, busyPercent - own);
        }
        double stealPercent = 100 * steal / total;
        c["busyPercent"] = F(busyPercent);
        c["stealPercent"] = F(stealPercent);
        if (busyPercent > BusyWarnPercent)
        {
            w.Add($"Other work used {F(busyPercent, "0")}% of the machine's CPU time just before the run: the figures may be low.");
        }
        if (stealPercent > BusyWarnPercent)
        {
            w.Add($"The hypervisor gave {F(stealPercent, "0")}% of this machine's CPU time to others (steal) just before the run: the figures may be low and vary.");
        }
    }

    private static Dictionary<string, long> MemInfo(string root)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        var text = ReadText(Path.Combine(root, "proc/meminfo"));
        if (text is null) return result;
        foreach (var line in text.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim();
            bool kb = value.EndsWith(" kB", StringComparison.Ordinal);
            if (kb) value = value[..^3].Trim();
            if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                result[line[..colon]] = kb ? n * 1024 : n;
            }
        }
        return result;
    }

    private static void HugePages(string root, Dictionary<string, string> c)
    {
        // "always [madvise] never": the bracketed word is the mode in force.
        var thp = ReadText(Path.Combine(root, "sys/kernel/mm/transparent_hugepage/enabled"));
        int open = thp?.IndexOf('[') ?? -1;
        int close = open >= 0 ? thp!.IndexOf(']', open) : -1;
        c["transparentHugePages"] = close > open + 1 ? thp![(open + 1)..close] : "unavailable";

        var m = MemInfo(root);
        c["hugePagesTotal"] = m.TryGetValue("HugePages_Total", out var t) ? t.ToString(CultureInfo.InvariantCulture) : "unavailable";
        c["hugePagesFree"] = m.TryGetValue("HugePages_Free", out var f) ? f.ToString(CultureInfo.InvariantCulture) : "unavailable";
        if (m.TryGetValue("Hugepagesize", out var size))
        {
            c["hugePageBytes"] = size.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static void Swap(string root, Dictionary<string, string> c, List<string> w)
    {
        var m = MemInfo(root);
        if (!m.TryGetValue("SwapTotal", out var total) || !m.TryGetValue("SwapFree", out var free))
        {
            c["swapUsedBytes"] = "unavailable";
            return;
        }
        long used = Math.Max(0, total - free);
        c["swapTotalBytes"] = total.ToString(CultureInfo.InvariantCulture);
        c["swapUsedBytes"] = used.ToString(CultureInfo.InvariantCulture);
        if (used > SwapWarnBytes)
        {
            w.Add($"{Units.Bytes(used)} of swap is in use: memory has been short, and a memory-hungry run may page.");
        }
    }

    private static void CpuLimit(string root, int threads, Dictionary<string, string> c, List<string> w)
    {
        // cgroup v2: "0::/path" in /proc/self/cgroup, then "quota period" (or "max period") in cpu.max there.
        var cgroup = ReadText(Path.Combine(root, "proc/self/cgroup"));
        var v2 = cgroup?.Split('\n').FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal));
        if (v2 is null) return;
        var dir = Path.Combine(root, "sys/fs/cgroup", v2[3..].Trim().TrimStart('/'));
        var max = ReadText(Path.Combine(dir, "cpu.max"))?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (max is not { Length: 2 }) return;
        if (max[0] == "max")
        {
            c["cpuLimit"] = "none";
            return;
        }
        if (!double.TryParse(max[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var quota)
            || !double.TryParse(max[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var period) || period <= 0)
        {
            return;
        }
        double cpus = quota / period;
        c["cpuLimit"] = F(cpus, "0.##");
        if (cpus < threads)
        {
            w.Add($"This process's cgroup may use {F(cpus, "0.##")} CPUs of the {threads} threads: all-thread figures will be capped.");
        }
    }

    private static void Virtualization(string root, Dictionary<string, string> c)
    {
        // Container: the runtimes' marker files, or a telling cgroup path.
        string container = "no";
        if (File.Exists(Path.Combine(root, ".dockerenv"))) container = "docker";
        else if (File.Exists(Path.Combine(root, "run/.containerenv"))) container = "podman";
        else
        {
            var cg = ReadText(Path.Combine(root, "proc/1/cgroup")) ?? "";
            if (cg.Contains("kubepods", StringComparison.Ordinal)) container = "kubernetes";
            else if (cg.Contains("docker", StringComparison.Ordinal)) container = "docker";
            else if (cg.Contains("lxc", StringComparison.Ordinal)) container = "lxc";
            else if (root == "/" && Environment.GetEnvironmentVariable("container") is { Length: > 0 } env) container = env;
        }
        c["container"] = container;

        // Virtual machine: the CPU's hypervisor flag, named by DMI when there is one.
        var cpuinfo = ReadText(Path.Combine(root, "proc/cpuinfo")) ?? "";
        bool flag = cpuinfo.Split('\n').Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Split(' ', '\t').Contains("hypervisor"));
        var vendor = ReadText(Path.Combine(root, "sys/class/dmi/id/sys_vendor"))?.Trim();
        var product = ReadText(Path.Combine(root, "sys/class/dmi/id/product_name"))?.Trim();
        var xen = ReadText(Path.Combine(root, "sys/hypervisor/type"))?.Trim();
        string? named = (vendor, product) switch
        {
            (_, { } p) when p.Contains("KVM", StringComparison.Ordinal) => "KVM",
            ({ } v, _) when v.StartsWith("QEMU", StringComparison.Ordinal) => "QEMU",
            ({ } v, _) when v.StartsWith("VMware", StringComparison.Ordinal) => "VMware",
            ({ } v, { } p) when v.StartsWith("Microsoft", StringComparison.Ordinal) && p.Contains("Virtual", StringComparison.Ordinal) => "Hyper-V",
            ({ } v, _) when v.StartsWith("Amazon EC2", StringComparison.Ordinal) => "Amazon EC2",
            ({ } v, _) when v.StartsWith("Google", StringComparison.Ordinal) => "Google Compute Engine",
            ({ } v, _) when v.Contains("innotek", StringComparison.Ordinal) => "VirtualBox",
            _ when xen == "xen" => "Xen",
            _ => null,
        };
        c["virtualMachine"] = named is not null ? $"yes ({named})" : flag ? "yes" : "no";
    }
}
