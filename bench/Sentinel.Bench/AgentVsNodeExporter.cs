using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Sentinel.Json;

namespace Sentinel.Bench;

/// <summary>
/// `agent-vs-node-exporter`: the real `sentinel agent` sampling every second and sending to a local master,
/// beside Prometheus' node_exporter scraped every second by this process, all running at once. Both builds of
/// the agent run: the NativeAOT one that is deployed (published here, away from the source tree's obj/ folders)
/// and the regular one the tests run. CPU and RSS of each, from /proc, and each agent's ratio to node_exporter.
/// </summary>
internal static class AgentVsNodeExporter
{
    private const string Usage = "usage: agent-vs-node-exporter [--window S] [--warmup S] [--republish] [--no-aot] [--exporter PATH]\n" +
        "  60 s window after a 45 s warm-up (the regular build recompiles its hot methods, optimised, over its first ~40 samples)\n" +
        "  and a wait for the rest of the machine to be quiet; the NativeAOT build is kept under /tmp/sentinel-bench/aot and\n" +
        "  published again when the sources are newer, or with --republish; --no-aot measures the regular build only";
    private const string DefaultExporter = "/usr/bin/prometheus-node-exporter";

    public static void Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return;
        }
        double window = 60, warmup = 45;
        string exporter = DefaultExporter;
        bool republish = false, aot = true;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--window": window = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--warmup": warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--exporter": exporter = Next(); break;
                    case "--republish": republish = true; break;
                    case "--no-aot": aot = false; break;
                    default: throw new ArgumentException($"unknown argument {args[i]}");
                }
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return;
        }
        if (!File.Exists(exporter))
        {
            Console.Error.WriteLine($"agent-vs-node-exporter: no node_exporter at {exporter}. Install it (as root): apt-get update && apt-get install -y prometheus-node-exporter");
            Console.Error.WriteLine("(no service needs to run: the bench starts the binary itself, on 127.0.0.1)");
            return;
        }
        var jit = Procs.JitSentinel();
        if (!File.Exists(jit))
        {
            Console.Error.WriteLine($"agent-vs-node-exporter: no sentinel program at {jit}; build it first: dotnet build -c Release");
            return;
        }
        var agents = new List<(string Label, string Exe)>();
        if (aot)
        {
            if (PublishAot(republish) is { } published) agents.Add(("sentinel agent (AOT)", published));
            else return;
        }
        agents.Add(("sentinel agent (JIT)", jit));
        RunAsync(window, warmup, agents, jit, exporter).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The NativeAOT build, published once to a folder under /tmp with its own bin/obj (--artifacts-path), so
    /// publishing never touches the source tree's build output. Null if it failed (the reason is printed).
    /// </summary>
    private static string? PublishAot(bool again)
    {
        var root = Path.Combine(Path.GetTempPath(), "sentinel-bench", "aot");
        var exe = Path.Combine(root, "publish", "sentinel");
        if (!again && File.Exists(exe) && File.GetLastWriteTimeUtc(exe) > NewestSource()) return exe;
        Console.WriteLine($"publishing the NativeAOT sentinel to {Path.GetDirectoryName(exe)} (a minute or two) ...");
        Directory.CreateDirectory(root);
        var log = Path.Combine(root, "publish.log");
        File.Delete(log);
        int code = Procs.Run("dotnet", ["publish", Path.Combine(Procs.RepoRoot(), "src", "Sentinel.Cli"), "-c", "Release", "-r", "linux-x64",
            "--artifacts-path", Path.Combine(root, "build"), "-o", Path.GetDirectoryName(exe)!], log, TimeSpan.FromMinutes(15));
        if (code == 0 && File.Exists(exe)) return exe;
        Console.Error.WriteLine($"dotnet publish failed (exit {code}); see {log}:\n{Procs.Tail(log, 15)}");
        Console.Error.WriteLine("(--no-aot measures the regular build alone)");
        return null;
    }

    /// <summary>When the newest source file of the sentinel program (and the libraries it is built from) was written.</summary>
    private static DateTime NewestSource()
    {
        var src = Path.Combine(Procs.RepoRoot(), "src");
        return new[] { "Sentinel.Cli", "Sentinel.Core", "Sentinel.Master" }
            .SelectMany(p => Directory.EnumerateFiles(Path.Combine(src, p), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Select(File.GetLastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MinValue)
            .Max();
    }

    private static async Task RunAsync(double window, double warmup, List<(string Label, string Exe)> agentBuilds, string jit, string exporter)
    {
        var dir = Procs.TempDir("agent-vs-ne");
        int masterPort = Procs.FreePort(), exporterPort = Procs.FreePort();
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{masterPort}/"), Timeout = TimeSpan.FromSeconds(5) };
        using var scrapeClient = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{exporterPort}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        Process? master = null, ne = null;
        var agents = new List<(string Label, string Name, Process Process)>();
        using var scrapeStop = new CancellationTokenSource();
        Task<ScrapeStats>? scraper = null;
        try
        {
            // The master (the regular build) is only there to receive; its CPU is shown but not compared.
            master = Procs.Start(jit, ["master", "--listen", $"127.0.0.1:{masterPort}", "--data", Path.Combine(dir, "data")], Path.Combine(dir, "master.log"));
            if (!await WaitFor(async () => await StatusOf(api) is not null, master, TimeSpan.FromSeconds(20)))
            {
                Console.Error.WriteLine("the master did not start: " + Procs.Tail(Path.Combine(dir, "master.log")));
                return;
            }
            foreach (var (label, exe) in agentBuilds)
            {
                var name = "bench-" + (exe == jit ? "jit" : "aot");
                agents.Add((label, name, Procs.Start(exe, ["agent", "--master", $"http://127.0.0.1:{masterPort}", "--interval", "1s", "--name", name], Path.Combine(dir, name + ".log"))));
            }
            ne = Procs.Start(exporter, [$"--web.listen-address=127.0.0.1:{exporterPort}"], Path.Combine(dir, "node_exporter.log"));
            if (!await WaitFor(() => Get(scrapeClient, "metrics"), ne, TimeSpan.FromSeconds(15)))
            {
                Console.Error.WriteLine("node_exporter did not answer: " + Procs.Tail(Path.Combine(dir, "node_exporter.log")));
                return;
            }
            foreach (var (label, name, p) in agents)
            {
                if (!await WaitFor(async () => await LatestSampleBytes(api, name) > 0, p, TimeSpan.FromSeconds(20)))
                {
                    Console.Error.WriteLine($"{label}: no sample reached the master: " + Procs.Tail(Path.Combine(dir, name + ".log")));
                    return;
                }
            }

            // Prometheus' scrape loop, every second, from here on.
            scraper = ScrapeLoop(scrapeClient, scrapeStop.Token);
            await Task.Delay(TimeSpan.FromSeconds(warmup));
            // The machine is shared: start the window when the rest of it (the processes measured here included) is quiet.
            if (!await ProcStat.SettleAsync(10, 15, TimeSpan.FromMinutes(10)))
            {
                Console.WriteLine("(the rest of the machine did not go quiet within 10 minutes: measuring anyway)");
            }

            var procs = agents.Select(a => (a.Label, a.Process)).Append(("node_exporter", ne)).Append(("(master, not compared)", master)).ToList();
            var cpu0 = procs.Select(p => ProcStat.ReadCpu(p.Item2.Id)).ToArray();
            double busy0 = ProcStat.MachineBusySeconds();
            var rss = procs.Select(_ => new List<double>()).ToArray();
            var stored0 = (await StatusOf(api))?.SamplesStored ?? 0;
            long t0 = Stopwatch.GetTimestamp();
            long end = t0 + (long)(window * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                for (int i = 0; i < procs.Count; i++) rss[i].Add(ProcStat.RssMegabytes(procs[i].Item2.Id));
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp((end - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency, 0.01, 1)));
            }
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var cpu1 = procs.Select(p => ProcStat.ReadCpu(p.Item2.Id)).ToArray();
            double busy1 = ProcStat.MachineBusySeconds();
            var stored1 = (await StatusOf(api))?.SamplesStored ?? 0;
            scrapeStop.Cancel();
            var scrapes = await scraper;
            scraper = null;
            int sampleBytes = await LatestSampleBytes(api, agents[0].Name);

            Console.WriteLine($"agent-vs-node-exporter: {seconds:0} s window after {warmup:0} s warm-up, everything below running at once; " +
                              $"CPU = run time of each thread from /proc/PID/task/*/schedstat, checked against utime+stime; RSS from /proc/PID/status once a second");
            foreach (var (label, exe) in agentBuilds)
            {
                Console.WriteLine($"{label}: {exe} (built {File.GetLastWriteTime(exe):yyyy-MM-dd HH:mm}), --interval 1s, sending to a local master");
            }
            Console.WriteLine($"node_exporter: {exporter} {ExporterVersion(exporter)}, default collectors, scraped every 1 s by this process as Prometheus does (gzip)");
            Console.WriteLine();
            Console.WriteLine($"{"",-24} {"CPU s",7} {"CPU %",6} {"RSS MB mean",11} {"RSS MB max",10}");
            var cpuS = new double[procs.Count];
            var rssMean = new double[procs.Count];
            for (int i = 0; i < procs.Count; i++)
            {
                (cpuS[i], bool precise) = ProcStat.CpuBetween(cpu0[i], cpu1[i]);
                var valid = rss[i].Where(double.IsFinite).ToList();
                rssMean[i] = valid.Count > 0 ? valid.Average() : double.NaN;
                double rssMax = valid.Count > 0 ? valid.Max() : double.NaN;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{procs[i].Item1,-24} {cpuS[i],7:0.000} {100 * cpuS[i] / seconds,6:0.00} {rssMean[i],11:0.0} {rssMax,10:0.0}{(precise ? "" : "   (CPU from 10 ms ticks: a thread ended in the window)")}"));
            }
            double others = busy1 - busy0 - cpuS.Sum();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"(everything else)",-24} {others,7:0.000} {100 * others / seconds,6:0.00}   (this bench and its scrapes, and any other process: above a few %, rerun)"));
            int exporterRow = agents.Count;
            foreach (var i in Enumerable.Range(0, agents.Count))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(agents[i].Label.Replace("sentinel agent", "ratio") + " / exporter"),-24} {cpuS[i] / cpuS[exporterRow],6:0.00}x {"",6} {rssMean[i] / rssMean[exporterRow],10:0.00}x"));
            }
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"node_exporter /metrics: {scrapes.Count} scrapes, {scrapes.Failures} failed; last body {scrapes.BodyBytes:N0} bytes ({scrapes.WireBytes:N0} gzipped), {scrapes.Series:N0} series; scrape p50 {scrapes.P50:0.0} ms, max {scrapes.Max:0.0} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sentinel agents: {stored1 - stored0} samples stored by the master in the window ({(stored1 - stored0) / seconds:0.00}/s for {agents.Count} agents); one sample is {sampleBytes:N0} bytes of JSON, uncompressed as sent"));
        }
        finally
        {
            scrapeStop.Cancel();
            if (scraper is not null) await scraper;
            foreach (var a in agents) Procs.Stop(a.Process, TimeSpan.FromSeconds(10));
            Procs.Stop(ne, TimeSpan.FromSeconds(10));
            Procs.Stop(master, TimeSpan.FromSeconds(20));
            foreach (var a in agents) a.Process.Dispose();
            ne?.Dispose();
            master?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record ScrapeStats(int Count, int Failures, long BodyBytes, long WireBytes, int Series, double P50, double Max);

    /// <summary>GET /metrics once a second with Prometheus' headers, until cancelled.</summary>
    private static async Task<ScrapeStats> ScrapeLoop(HttpClient client, CancellationToken stop)
    {
        var times = new List<double>();
        int failures = 0, series = 0;
        long body = 0, wire = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
                request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1");
                request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
                request.Headers.TryAddWithoutValidation("X-Prometheus-Scrape-Timeout-Seconds", "1");
                long t = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(request, stop);
                    var bytes = await response.Content.ReadAsByteArrayAsync(stop);
                    times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    if (!response.IsSuccessStatusCode)
                    {
                        failures++;
                        continue;
                    }
                    wire = bytes.Length;
                    var text = response.Content.Headers.ContentEncoding.Contains("gzip") ? Gunzip(bytes) : bytes;
                    body = text.Length;
                    series = CountSeries(text);
                }
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !stop.IsCancellationRequested))
                {
                    failures++; // refused, or no answer within the client's timeout
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException)
        {
        }
        times.Sort();
        return new ScrapeStats(times.Count, failures, body, wire, series, Procs.Percentile(times, 50), times.Count > 0 ? times[^1] : double.NaN);
    }

    private static byte[] Gunzip(byte[] gz)
    {
        using var input = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static int CountSeries(byte[] text)
        => System.Text.Encoding.UTF8.GetString(text).Split('\n').Count(line => line.Length > 0 && line[0] != '#');

    private static async Task<bool> Get(HttpClient client, string path)
    {
        try
        {
            using var r = await client.GetAsync(path);
            return r.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<MasterStatus?> StatusOf(HttpClient api)
    {
        try
        {
            return JsonSerializer.Deserialize(await api.GetByteArrayAsync("api/status"), SentinelJsonContext.Default.MasterStatus);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Size of the machine's latest sample as JSON; 0 while the master has none.</summary>
    private static async Task<int> LatestSampleBytes(HttpClient api, string name)
    {
        try
        {
            var m = JsonSerializer.Deserialize(await api.GetByteArrayAsync($"api/machines/{name}"), SentinelJsonContext.Default.Machine);
            return m?.Latest is { } s ? JsonSerializer.SerializeToUtf8Bytes(s, SentinelJsonContext.Default.MachineSample).Length : 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return 0;
        }
    }

    private static async Task<bool> WaitFor(Func<Task<bool>> ready, Process process, TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < limit && !process.HasExited)
        {
            if (await ready()) return true;
            await Task.Delay(200);
        }
        return false;
    }

    private static string ExporterVersion(string exporter)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(exporter, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (p is null) return "";
            var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            if (!p.WaitForExit(5000)) p.Kill();
            // "node_exporter, version 1.5.0 (branch: ...)"
            var words = text.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(words, "version");
            return at >= 0 && at + 1 < words.Length ? words[at + 1] : "";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "";
        }
    }
}
