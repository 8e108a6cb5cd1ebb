using Sentinel.Collectors.Linux;

namespace Sentinel.Bench;

/// <summary>Where one sample's CPU goes: each kernel file read alone, the process count, statvfs.</summary>
internal static class SampleBreakdown
{
    public static void Run(string[] args)
    {
        const int n = 2000;
        using var file = new ProcFile();
        foreach (var path in new[] { "/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/uptime", "/proc/diskstats", "/proc/net/dev", "/proc/self/mountinfo" })
        {
            Report($"read {path}", n, () => file.Read(path, keepOpen: true));
        }
        Report("count processes (/proc entries)", n, () => Directory.EnumerateDirectories("/proc").Count());
        Report("statvfs / (DriveInfo)", n, () => _ = new DriveInfo("/").TotalSize + new DriveInfo("/").TotalFreeSpace + new DriveInfo("/").AvailableFreeSpace);
    }

    private static void Report(string what, int n, Action action)
    {
        for (int i = 0; i < 100; i++) action();
        double t0 = ThreadCpu.Microseconds();
        for (int i = 0; i < n; i++) action();
        Console.WriteLine($"{what,-40} {(ThreadCpu.Microseconds() - t0) / n,8:0.0} us CPU");
    }
}
