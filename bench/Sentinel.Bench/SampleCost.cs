using System.Globalization;
using Sentinel.Collectors;

namespace Sentinel.Bench;

/// <summary>
/// What one full sample of this machine costs: CPU time on the sampling thread and bytes allocated,
/// against a reference that reads the same kernel files the way a typical script does
/// (File.ReadAllText and string.Split), in the same process.
/// </summary>
internal static class SampleCost
{
    private static readonly string[] Files =
        ["/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/uptime", "/proc/diskstats", "/proc/net/dev", "/proc/self/mountinfo"];

    public static void Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        using var sampler = Sampler.ForThisMachine();
        _ = sampler.Inventory;

        for (int i = 0; i < 200; i++) sampler.Next(); // warm up: JIT, caches, name tables
        var (cpu, bytes) = Measure(n, () => sampler.Next());

        for (int i = 0; i < 200; i++) Naive();
        var (refCpu, refBytes) = Measure(n, Naive);

        Console.WriteLine($"machine: {sampler.Inventory.CpuModel}, {sampler.Inventory.Threads} threads, {Environment.OSVersion}");
        Console.WriteLine($"sentinel sample   {cpu,8:0.0} us CPU  {bytes / 1024.0,8:0.00} KiB allocated  per sample ({n} samples)");
        Console.WriteLine($"reference read    {refCpu,8:0.0} us CPU  {refBytes / 1024.0,8:0.00} KiB allocated  per read of the same files (ReadAllText + Split)");
        Console.WriteLine($"ratio             {cpu / refCpu,8:0.00}x CPU   {bytes / refBytes,8:0.00}x allocation (sentinel / reference)");
        Console.WriteLine($"target            < 1000 us CPU per sample: {(cpu < 1000 ? "met" : "NOT met")}");
    }

    private static (double CpuMicros, double Bytes) Measure(int n, Action action)
    {
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        double cpu0 = ThreadCpu.Microseconds();
        for (int i = 0; i < n; i++) action();
        double cpu = ThreadCpu.Microseconds() - cpu0;
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        return (cpu / n, (double)alloc / n);
    }

    private static int s_sink;

    private static void Naive()
    {
        foreach (var f in Files)
        {
            foreach (var line in File.ReadAllText(f).Split('\n'))
            {
                s_sink += line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            }
        }
        foreach (var d in DriveInfo.GetDrives()) s_sink += d.Name.Length;
    }
}
