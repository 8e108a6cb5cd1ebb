using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sentinel.Bench;

/// <summary>CPU and memory of a process, read from /proc, so a child's figures are its own.</summary>
internal static partial class ProcStat
{
    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    private const int ScClkTck = 2;

    /// <summary>Clock ticks per second of utime/stime (getconf CLK_TCK, 100 on Linux).</summary>
    public static readonly double TicksPerSecond = ReadTicks();

    private static double ReadTicks()
    {
        try
        {
            long t = SysConf(ScClkTck);
            return t > 0 ? t : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    /// <summary>utime + stime of <paramref name="pid"/> (all its threads), in seconds; NaN if it is gone.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    /// <summary>A process's CPU time both ways: ticks of /proc/PID/stat, and nanoseconds per live thread.</summary>
    public sealed record CpuReading(double TickSeconds, Dictionary<int, long> ThreadNanoseconds);

    /// <summary>Reads <paramref name="pid"/>'s CPU time (see <see cref="CpuBetween"/>).</summary>
    public static CpuReading ReadCpu(int pid)
    {
        var threads = new Dictionary<int, long>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    // "run-time-ns wait-time-ns timeslices"
                    var first = File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ')[0];
                    threads[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = long.Parse(first, CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or FormatException)
                {
                    // A thread that ended between listing and reading.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return new CpuReading(CpuSeconds(pid), threads);
    }

    /// <summary>
    /// CPU seconds between two readings. The per-thread nanoseconds are used when they add up to what the ticks say
    /// (within the two 10 ms ticks that utime and stime are each truncated to): a thread that ended in between is
    /// missing from them, and then the ticks are all there is. Precise says which was used.
    /// </summary>
    public static (double Seconds, bool Precise) CpuBetween(CpuReading start, CpuReading end)
    {
        double ticks = end.TickSeconds - start.TickSeconds;
        long ns = end.ThreadNanoseconds.Sum(t => t.Value - start.ThreadNanoseconds.GetValueOrDefault(t.Key));
        bool allStayed = start.ThreadNanoseconds.Keys.All(end.ThreadNanoseconds.ContainsKey);
        double precise = ns / 1e9;
        return allStayed && Math.Abs(precise - ticks) <= 2.5 / TicksPerSecond ? (precise, true) : (ticks, false);
    }

    /// <summary>CPU seconds the whole machine has been busy (every core: /proc/stat user..steal, less idle and iowait).</summary>
    public static double MachineBusySeconds()
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        foreach (int i in new[] { 1, 2, 3, 6, 7, 8 }) busy += long.Parse(f[i], CultureInfo.InvariantCulture);
        return busy / TicksPerSecond;
    }

    /// <summary>
    /// Waits until every process but this one has used under <paramref name="limitPercent"/> of a core for
    /// <paramref name="seconds"/> seconds in a row (the machine is shared: builds and tests come and go).
    /// False if that did not happen within <paramref name="patience"/>.
    /// </summary>
    public static async Task<bool> SettleAsync(double limitPercent, int seconds, TimeSpan patience)
    {
        long start = Stopwatch.GetTimestamp();
        int quiet = 0;
        double busy = MachineBusySeconds(), self = CpuSeconds(Environment.ProcessId);
        long last = Stopwatch.GetTimestamp();
        while (quiet < seconds)
        {
            if (Stopwatch.GetElapsedTime(start) > patience) return false;
            await Task.Delay(1000);
            double b = MachineBusySeconds(), s = CpuSeconds(Environment.ProcessId);
            double others = 100 * ((b - busy) - (s - self)) / Stopwatch.GetElapsedTime(last).TotalSeconds;
            quiet = others < limitPercent ? quiet + 1 : 0;
            (busy, self, last) = (b, s, Stopwatch.GetTimestamp());
        }
        return true;
    }

    /// <summary>VmRSS of <paramref name="pid"/> in MB (MiB); NaN if it is gone.</summary>
    public static double RssMegabytes(int pid) => StatusKilobytes(pid, "VmRSS:") / 1024.0;

    /// <summary>A "kB" line of /proc/PID/status.</summary>
    private static double StatusKilobytes(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return double.Parse(parts[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return double.NaN;
    }

    /// <summary>The "Max open files" soft limit of <paramref name="pid"/>, as /proc/PID/limits shows it.</summary>
    public static string OpenFilesLimit(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    return line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return "?";
    }

    /// <summary>CPU seconds per thread name (comm) of <paramref name="pid"/>, for a rough "where does it go".</summary>
    public static Dictionary<string, double> CpuByThreadName(int pid)
    {
        var byName = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var text = File.ReadAllText(Path.Combine(dir, "stat"));
                    int open = text.IndexOf('('), close = text.LastIndexOf(')');
                    var name = text[(open + 1)..close];
                    // Thread-pool workers and the like are numbered or share a name: group them.
                    name = name.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', '#');
                    var fields = text[(close + 2)..].Split(' ');
                    double s = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                    byName[name] = byName.GetValueOrDefault(name) + s;
                }
                catch (Exception e) when (e is IOException or FormatException or ArgumentOutOfRangeException)
                {
                    // A thread that ended between listing and reading.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return byName;
    }
}

/// <summary>Starting and stopping the processes a benchmark measures (never anything it did not start).</summary>
internal static partial class Procs
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current, Max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    private const int RLimitNoFile = 7;
    private const int SigTerm = 15;

    /// <summary>Raises this process's open-file limit (only this process's), returning the soft limit in force.</summary>
    public static ulong RaiseOpenFiles(ulong wanted)
    {
        if (GetRLimit(RLimitNoFile, out var l) != 0) return 0;
        if (l.Current >= wanted) return l.Current;
        var target = new RLimit { Current = wanted, Max = Math.Max(wanted, l.Max) };
        if (SetRLimit(RLimitNoFile, target) != 0)
        {
            // Not root: the hard limit is as far as it goes.
            target = new RLimit { Current = l.Max, Max = l.Max };
            SetRLimit(RLimitNoFile, target);
        }
        GetRLimit(RLimitNoFile, out l);
        return l.Current;
    }

    /// <summary>The repository root (the folder with Sentinel.sln), found from the bench's own location or the working directory.</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Sentinel.sln"))) return d.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Sentinel.sln) from " + AppContext.BaseDirectory);
    }

    /// <summary>The regular (JIT) build of the CLI, as `dotnet build -c Release` leaves it.</summary>
    public static string JitSentinel() => Path.Combine(RepoRoot(), "src", "Sentinel.Cli", "bin", "Release", "net10.0", "sentinel");

    /// <summary>A TCP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts <paramref name="exe"/> with its output to <paramref name="log"/>, through bash so the open-file limit
    /// can be raised for it alone (exec: the process id is the program's own).
    /// </summary>
    public static Process Start(string exe, IEnumerable<string> args, string log, int openFiles = 0)
    {
        var psi = new ProcessStartInfo("/bin/bash") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        // As high as asked, else as high as the hard limit lets an unprivileged (or capability-less) process go.
        psi.ArgumentList.Add((openFiles > 0 ? $"{{ ulimit -n {openFiles} 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; }} 2>>\"$BENCH_LOG\"; " : "")
            + "exec \"$0\" \"$@\" >>\"$BENCH_LOG\" 2>&1");
        psi.ArgumentList.Add(exe);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["BENCH_LOG"] = log;
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + exe);
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>. Only for processes this bench started.</summary>
    public static void Stop(Process? p, TimeSpan grace)
    {
        if (p is null) return;
        try
        {
            if (p.HasExited) return;
            Kill(p.Id, SigTerm);
            if (!p.WaitForExit(grace))
            {
                p.Kill();
                p.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Runs a command to its end (bounded), returning its exit code; output goes to <paramref name="log"/>.</summary>
    public static int Run(string exe, IEnumerable<string> args, string log, TimeSpan limit)
    {
        using var p = Start(exe, args, log);
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(TimeSpan.FromSeconds(10));
            return -1;
        }
        return p.ExitCode;
    }

    /// <summary>Last lines of a log, to show why a child failed.</summary>
    public static string Tail(string log, int lines = 8)
    {
        try
        {
            var all = File.ReadAllLines(log);
            return string.Join("\n", all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public static string TempDir(string prefix)
    {
        var root = Path.Combine(Path.GetTempPath(), "sentinel-bench");
        Directory.CreateDirectory(root);
        var dir = Path.Combine(root, $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Percentile of a sorted list (nearest rank).</summary>
    public static double Percentile(List<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        int i = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Count - 1)];
    }
}
