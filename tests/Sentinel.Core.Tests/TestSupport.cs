using System.Diagnostics;
using System.Text.RegularExpressions;

// These tests read this machine's procfs and sysfs: the engine's Linux collectors are what they check.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Sentinel.Tests;

/// <summary>A clock the test moves by hand, so rate maths is exact and nothing sleeps.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks = 1_000_000;
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => _ticks;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by)
    {
        _ticks += by.Ticks;
        _now += by;
    }
}

/// <summary>A folder laid out like / (proc/, sys/), for feeding the Linux reader captured files.</summary>
internal sealed class FakeRoot : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sentinel-root-").FullName;

    public FakeRoot Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return this;
    }

    public FakeRoot Dir(string relative)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(Path, relative));
        return this;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class TestData
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Data", name);
    public static string Text(string name) => File.ReadAllText(Path(name));
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));
}

/// <summary>Independent readings of the kernel's files, written plainly (regex and split), to check the fast parsers against.</summary>
internal static class Independent
{
    public static (ulong Busy, ulong Total) CpuTicks()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(ulong.Parse).ToArray();
        ulong total = f.Aggregate(0UL, (a, b) => a + b);
        return (total - f[3] - f[4], total);
    }

    public static long MemInfoKb(string key)
    {
        var m = Regex.Match(File.ReadAllText("/proc/meminfo"), $@"^{key}:\s+(\d+) kB", RegexOptions.Multiline);
        return long.Parse(m.Groups[1].Value);
    }

    public static ulong NetRxBytes(string iface)
    {
        var line = File.ReadLines("/proc/net/dev").First(l => l.TrimStart().StartsWith(iface + ":", StringComparison.Ordinal));
        return ulong.Parse(line.Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
    }

    /// <summary>Sectors written, summed over the devices in /sys/block (whole disks).</summary>
    public static ulong DiskWrittenSectors()
    {
        ulong sum = 0;
        foreach (var line in File.ReadLines("/proc/diskstats"))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (Directory.Exists("/sys/block/" + f[2]) && !f[2].StartsWith("loop") && !f[2].StartsWith("zram") && !f[2].StartsWith("ram"))
            {
                sum += ulong.Parse(f[9]);
            }
        }
        return sum;
    }

    /// <summary>Runs a program and returns its standard output.</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
