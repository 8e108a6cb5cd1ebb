using System.Diagnostics;
using System.Globalization;
using Sentinel.Benchmarks;
using Sentinel.Collectors;

namespace Sentinel.Bench;

/// <summary>
/// MemoryBandwidth's triad and MemoryLatency's largest size against C references (bench/c/stream_triad.c, a
/// STREAM-style OpenMP program, and bench/c/pointer_chase.c, the same chain) compiled here with
/// gcc -O3 -march=native [-fopenmp], with identical sizes and threads, run alternately so drift and neighbours hit
/// both sides alike. Prints every round, then best-of-rounds figures and the ratios C# / C.
/// </summary>
internal static class MemoryVsC
{
    private const string Usage =
        "memory-vs-c [--rounds N] [--threads N] [--array-bytes SIZE] [--repetitions N] [--latency-bytes SIZE] [--seconds S] [--only bandwidth|latency]";

    public static void Run(string[] args)
    {
        int rounds = 5, repetitions = 10;
        int? threads = null;
        long? arrayBytes = null, latencyBytes = null;
        double seconds = 1.0;
        string only = "";
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--array-bytes": arrayBytes = Bytes(Next()); break;
                case "--repetitions": repetitions = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--latency-bytes": latencyBytes = Bytes(Next()); break;
                case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--only": only = Next(); break;
                case "--help" or "-h": Console.WriteLine(Usage); return;
                default: throw new ArgumentException($"unknown option {args[i]}; {Usage}");
            }
        }

        using var sampler = Sampler.ForThisMachine();
        var inventory = sampler.Inventory;
        var source = FindSources();
        var work = Directory.CreateTempSubdirectory("sentinel-memory-vs-c-");
        try
        {
            Console.WriteLine($"machine: {inventory.CpuModel}, {inventory.Threads} threads, LLC {Units.Bytes(inventory.LastLevelCacheBytes)}, {Environment.OSVersion}, .NET {Environment.Version}");
            Console.WriteLine($"gcc: {Capture("gcc", "--version").Split('\n')[0]}; load average before: {LoadAverage()}");
            string stream = Compile(source, work.FullName, "stream_triad", "-fopenmp");
            string chase = Compile(source, work.FullName, "pointer_chase", "");
            if (only is "" or "bandwidth") Bandwidth(stream, inventory, rounds, threads, arrayBytes, repetitions);
            if (only is "" or "latency") Latency(chase, inventory, rounds, latencyBytes, seconds);
            Console.WriteLine($"load average after: {LoadAverage()}");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static readonly string[] Keys = ["copyGBs", "scaleGBs", "addGBs", "triadGBs", "readGBs"];

    private static void Bandwidth(string exe, Inventory inventory, int rounds, int? threads, long? arrayBytes, int repetitions)
    {
        var bench = new MemoryBandwidthBenchmark();
        // A first C# run at the defaults: warms the JIT and says which sizes, threads and stores the defaults pick.
        var first = RunCs(bench, inventory, new Dictionary<string, string>
        {
            ["repetitions"] = "2",
            ["threads"] = threads?.ToString(CultureInfo.InvariantCulture) ?? "",
            ["arrayBytes"] = arrayBytes?.ToString(CultureInfo.InvariantCulture) ?? "",
        });
        string bytes = first.Parameters["arrayBytes"], n = first.Parameters["threads"];
        bool canNt = first.Parameters["nonTemporal"] == "true";
        Console.WriteLine();
        Console.WriteLine($"MemoryBandwidth: 3 arrays of {Units.Bytes(long.Parse(bytes, CultureInfo.InvariantCulture))}, {n} threads, {repetitions} timed repetitions (+1 warm-up), vector={first.Parameters["vector"]}, best of each side's repetitions; {rounds} rounds, C then C#");
        foreach (bool nt in canNt ? new[] { true, false } : [false])
        {
            string label = nt ? "non-temporal stores (C#'s default; C with _mm256_stream_pd)" : "plain stores (C: STREAM's loops as gcc vectorises them)";
            Console.WriteLine($"-- {label}");
            var c = new List<double[]>();
            var cs = new List<double[]>();
            for (int r = 0; r < rounds; r++)
            {
                var line = Capture(exe, $"{bytes} {n} {repetitions} {(nt ? 1 : 0)}");
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                c.Add([.. Enumerable.Range(0, 5).Select(k => double.Parse(f[2 * k + 1], CultureInfo.InvariantCulture))]);
                var result = RunCs(bench, inventory, new Dictionary<string, string>
                {
                    ["arrayBytes"] = bytes,
                    ["threads"] = n,
                    ["repetitions"] = repetitions.ToString(CultureInfo.InvariantCulture),
                    ["nonTemporal"] = nt ? "true" : "false",
                });
                cs.Add([.. Keys.Select(k => result.Values[k])]);
                Console.WriteLine($"  round {r + 1}: C  {Row(c[^1])}");
                Console.WriteLine($"           C# {Row(cs[^1])}   triad C#/C {cs[^1][3] / c[^1][3]:0.000}");
            }
            var bestC = Enumerable.Range(0, 5).Select(k => c.Max(x => x[k])).ToArray();
            var bestCs = Enumerable.Range(0, 5).Select(k => cs.Max(x => x[k])).ToArray();
            Console.WriteLine($"  best    C  {Row(bestC)}");
            Console.WriteLine($"  best    C# {Row(bestCs)}");
            Console.WriteLine($"  C# / C     {string.Join("  ", Enumerable.Range(0, 5).Select(k => $"{Keys[k][..^3],5} {bestCs[k] / bestC[k]:0.000}"))}");
            double ratio = bestCs[3] / bestC[3];
            double medianRatio = Median(cs.Select((x, i) => x[3] / c[i][3]).ToList());
            Console.WriteLine($"  triad: C# {bestCs[3]:0.00} GB/s, C {bestC[3]:0.00} GB/s, ratio {ratio:0.000} (median of the rounds' ratios {medianRatio:0.000}); target C# >= 0.95 x C: {(ratio >= 0.95 ? "met" : "NOT met")}");
        }
    }

    private static void Latency(string exe, Inventory inventory, int rounds, long? size, double seconds)
    {
        var bench = new MemoryLatencyBenchmark();
        long llc = inventory.LastLevelCacheBytes;
        long bytes = size ?? Math.Max(4 * llc, 256L << 20); // MemoryLatency's default largest size
        var parameters = new Dictionary<string, string>
        {
            ["minBytes"] = bytes.ToString(CultureInfo.InvariantCulture),
            ["maxBytes"] = bytes.ToString(CultureInfo.InvariantCulture),
            ["secondsPerSize"] = seconds.ToString(CultureInfo.InvariantCulture),
        };
        RunCs(bench, inventory, new Dictionary<string, string>(parameters) { ["secondsPerSize"] = "0.05" }); // JIT warm-up
        Console.WriteLine();
        Console.WriteLine($"MemoryLatency: one random chain over {Units.Bytes(bytes)} (same seed and construction both sides), huge pages asked, {seconds} s timed per run, median batch; {rounds} rounds, C then C#");
        var c = new List<double>();
        var cs = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var f = Capture(exe, $"{bytes} {seconds.ToString(CultureInfo.InvariantCulture)} random 1").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            c.Add(double.Parse(f[1], CultureInfo.InvariantCulture));
            cs.Add(RunCs(bench, inventory, parameters).Values["latencyNs"]);
            Console.WriteLine($"  round {r + 1}: C {c[^1],8:0.00} ns   C# {cs[^1],8:0.00} ns   C#/C {cs[^1] / c[^1]:0.000}");
        }
        double bestC = c.Min(), bestCs = cs.Min();
        double ratio = bestCs / bestC;
        double medianRatio = Median(cs.Select((x, i) => x / c[i]).ToList());
        Console.WriteLine($"  latency: C# {bestCs:0.00} ns, C {bestC:0.00} ns (best of the rounds), ratio {ratio:0.000} (median of the rounds' ratios {medianRatio:0.000}); target C# within 5% of C: {(Math.Abs(ratio - 1) <= 0.05 ? "met" : "NOT met")}");
    }

    private static BenchmarkResult RunCs(IBenchmark bench, Inventory inventory, Dictionary<string, string> parameters)
    {
        var given = parameters.Where(kv => kv.Value != "").ToDictionary(kv => kv.Key, kv => kv.Value);
        var context = new BenchmarkContext { Inventory = inventory, Parameters = new BenchmarkParameters(given) };
        return bench.RunAsync(context, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static string Row(double[] gbs) => string.Join("  ", Enumerable.Range(0, 5).Select(k => $"{Keys[k][..^3],5} {gbs[k],7:0.00}")) + "  GB/s";

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    }

    private static long Bytes(string text) => Units.TryParseBytes(text, out var b) ? b : throw new ArgumentException($"not a size: {text}");

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string FindSources()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "c");
            if (File.Exists(Path.Combine(candidate, "stream_triad.c"))) return candidate;
        }
        throw new FileNotFoundException("bench/c/stream_triad.c not found above " + AppContext.BaseDirectory);
    }

    private static string Compile(string source, string into, string name, string extra)
    {
        string exe = Path.Combine(into, name);
        Capture("gcc", $"-O3 -march=native {extra} -o {exe} {Path.Combine(source, name + ".c")}".Replace("  ", " ", StringComparison.Ordinal));
        return exe;
    }

    private static string Capture(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited with {p.ExitCode}: {stderr.Result}");
        return output.Trim();
    }
}
