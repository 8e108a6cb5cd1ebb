using System.Diagnostics;
using System.Globalization;

namespace Sentinel.Collectors.Gpu;

/// <summary>
/// GPUs through <c>nvidia-smi --query-gpu</c>. No nvidia-smi on the machine means no GPUs, not an
/// error; a driver that does not report a figure ([N/A], [Not Supported]) gives null for it.
/// </summary>
public sealed class NvidiaSmi
{
    /// <summary>The fields asked for, in the order the parser reads them.</summary>
    public const string QueryFields =
        "index,name,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,power.limit,driver_version";

    private readonly string? _executable;
    private readonly TimeSpan _timeout;

    /// <param name="executable">Path to nvidia-smi; null searches PATH.</param>
    /// <param name="timeout">How long one query may take before it is abandoned (a hung driver must not stall sampling).</param>
    public NvidiaSmi(string? executable = null, TimeSpan? timeout = null)
    {
        _executable = executable ?? FindOnPath("nvidia-smi");
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>True when an nvidia-smi executable was found.</summary>
    public bool Available => _executable is not null;

    /// <summary>Queries every GPU. Returns an empty list when there is no nvidia-smi or it fails.</summary>
    public IReadOnlyList<GpuReading> Query()
    {
        if (_executable is null)
        {
            return [];
        }
        var output = Run(_executable, ["--query-gpu=" + QueryFields, "--format=csv,noheader,nounits"], _timeout);
        return output is null ? [] : Parse(output);
    }

    /// <summary>Parses <c>--format=csv,noheader,nounits</c> output for <see cref="QueryFields"/>.</summary>
    public static IReadOnlyList<GpuReading> Parse(string csv)
    {
        var list = new List<GpuReading>();
        foreach (var raw in csv.Split('\n'))
        {
            var line = raw.Trim('\r', ' ');
            if (line.Length == 0)
            {
                continue;
            }
            var f = SplitCsv(line);
            if (f.Count < 2 || !int.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
            {
                continue; // an error line such as "NVIDIA-SMI has failed because ..."
            }
            list.Add(new GpuReading(
                Index: index,
                Name: f[1],
                Uuid: Text(f, 2),
                UtilizationPercent: Number(f, 3),
                MemoryUsedBytes: MiB(f, 4),
                MemoryTotalBytes: MiB(f, 5),
                TemperatureCelsius: Number(f, 6),
                PowerDrawWatts: Number(f, 7),
                PowerLimitWatts: Number(f, 8),
                DriverVersion: Text(f, 9)));
        }
        return list;
    }

    private static string? Text(List<string> f, int i) => i < f.Count && !IsMissing(f[i]) ? f[i] : null;

    private static double? Number(List<string> f, int i)
        => i < f.Count && !IsMissing(f[i]) && double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static long? MiB(List<string> f, int i) => Number(f, i) is { } v ? (long)(v * 1024 * 1024) : null;

    // nvidia-smi marks what it cannot report with a bracketed word: [N/A], [Not Supported], [Unknown Error], [Insufficient Permissions].
    private static bool IsMissing(string s) => s.Length == 0 || s[0] == '[' || s == "N/A";

    /// <summary>nvidia-smi separates fields with ", " and quotes nothing (GPU names carry no commas).</summary>
    private static List<string> SplitCsv(string line)
        => line.Split(',').Select(f => f.Trim()).ToList();

    internal static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in OperatingSystem.IsWindows() ? new[] { name + ".exe" } : new[] { name })
            {
                var full = Path.Combine(dir, candidate);
                if (File.Exists(full))
                {
                    return full;
                }
            }
        }
        return null;
    }

    private static string? Run(string exe, string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return null;
            }
            return p.ExitCode == 0 ? stdout.GetAwaiter().GetResult() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>One GPU as nvidia-smi reported it.</summary>
public sealed record GpuReading(
    int Index, string Name, string? Uuid, double? UtilizationPercent, long? MemoryUsedBytes, long? MemoryTotalBytes,
    double? TemperatureCelsius, double? PowerDrawWatts, double? PowerLimitWatts, string? DriverVersion)
{
    public GpuSample ToSample() => new()
    {
        Index = Index, Name = Name, Uuid = Uuid, UtilizationPercent = UtilizationPercent,
        MemoryUsedBytes = MemoryUsedBytes, MemoryTotalBytes = MemoryTotalBytes,
        TemperatureCelsius = TemperatureCelsius, PowerDrawWatts = PowerDrawWatts, PowerLimitWatts = PowerLimitWatts,
    };

    public GpuInfo ToInfo() => new() { Index = Index, Name = Name, Uuid = Uuid, MemoryTotalBytes = MemoryTotalBytes, DriverVersion = DriverVersion };
}
