using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sentinel.Collectors;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Bench;

/// <summary>
/// `fleet`: the built `sentinel master` in its own process on 127.0.0.1, N simulated agents at 1 sample/s
/// (<see cref="SimulatedFleet"/>) and one viewer on /ws. Per N: samples stored per second, the master's CPU and
/// RSS (its own, from /proc), send -> viewer latency, and whether anything was lost (rows in the master's
/// database after it stopped, against samples sent). Ratios: against the first N run (the reference), and
/// against what one agent spends to take and serialise a sample of this machine, measured first in this process.
/// </summary>
internal static class FleetLoad
{
    private sealed record Options
    {
        public List<int> Counts { get; init; } = [100, 1000, 2000];
        /// <summary>After the listed counts, step up by this much while every run holds (0: no stepping).</summary>
        public int Step { get; init; } = 2000;
        public int Cap { get; init; } = 10000;
        public double WindowSeconds { get; init; } = 30;
        public double WarmupSeconds { get; init; } = 10;
        public int ConnectRate { get; init; } = 250;
        public bool Viewer { get; init; } = true;
        public double P99LimitMs { get; init; } = 250;
        public bool Threads { get; init; }
        public string Exe { get; init; } = "";
        /// <summary>More options for `sentinel master` (e.g. --recent-history 0, to see what the ring of recent figures costs).</summary>
        public List<string> MasterArgs { get; init; } = [];
        /// <summary>Wait for the rest of the machine to be quiet before each run.</summary>
        public bool Settle { get; init; } = true;
        /// <summary>Runs of one N, while other processes used more than <see cref="NoisyPercent"/> of a core in the window.</summary>
        public int Attempts { get; init; } = 3;
        public double NoisyPercent { get; init; } = 15;
    }

    private const string Usage = "usage: fleet [N,N,...] [--step N] [--cap N] [--window S] [--warmup S] [--rate AGENTS_PER_S] [--p99 MS] [--no-viewer]\n" +
        "             [--attempts K] [--no-settle] [--threads] [--master-exe PATH] [--master-arg ARG ...]\n" +
        "  default: N = 100,1000,2000, then +2000 while every run holds, up to 10000 (listing N turns stepping off unless --step is given);\n" +
        "  30 s window after 10 s warm-up; before each run, waits (up to 10 min) for the rest of the machine to use < 10% of a core for 15 s,\n" +
        "  and runs an N again (up to --attempts 3 in all) while other processes used > 15% of a core in its window, keeping the quietest;\n" +
        "  --threads adds the master's CPU by thread; --master-exe runs another build of sentinel;\n" +
        "  --master-arg passes one more argument to sentinel master (repeat it: --master-arg --recent-history --master-arg 0)";

    public static void Run(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return;
        }
        Options o;
        try
        {
            o = Parse(args);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return;
        }
        if (!File.Exists(o.Exe))
        {
            Console.Error.WriteLine($"fleet: no sentinel program at {o.Exe}; build it first: dotnet build -c Release");
            return;
        }
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
        ulong openFiles = Procs.RaiseOpenFiles(65536);
        if (o.Settle) ProcStat.SettleAsync(10, 15, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
        var agentCost = AgentSampleCost();

        Console.WriteLine($"fleet: {o.Exe} master in its own process on 127.0.0.1; {(o.Viewer ? "1 viewer on /ws" : "no viewer")}; " +
                          $"agents connect at {o.ConnectRate}/s and send 1 sample/s each, spread over the second; {o.WarmupSeconds:0} s warm-up, {o.WindowSeconds:0} s window");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, shared by the master and this load generator; this process's open-file limit {openFiles}; load average (uptime) {LoadAverage()} at {DateTimeOffset.UtcNow:HH:mm} UTC");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reference: one agent's own sample of this machine (Sampler.Next + serialise the frame) costs {agentCost:0.0} us CPU, measured first in this process"));
        Console.WriteLine("CPU% is of one core (200% = the whole machine); others% = every other process on the machine in the window: above a few %, rerun");
        Console.WriteLine($"holds = every agent connected and stayed, p99 send->viewer < {o.P99LimitMs:0} ms, lost = 0 (sent - rows in the master's database after it stopped; acked and missing is checked too)");
        Console.WriteLine();
        Console.WriteLine($"{"N",6} {"sent/s",8} {"stored/s",8} {"master CPU%",11} {"us/sample",9} {"RSS MB",7} {"bench CPU%",10} {"others%",7} {"p50 ms",7} {"p99 ms",7} {"max ms",7} {"in db",8} {"lost",5}  holds");

        var results = new List<Result>();
        var queue = new Queue<int>(o.Counts);
        int last = 0;
        while (true)
        {
            int n;
            if (queue.Count > 0) n = queue.Dequeue();
            else if (o.Step > 0 && last + o.Step <= o.Cap && results.All(r => r.Broke is null)) n = last + o.Step;
            else break;
            last = n;
            var r = RunQuietest(n, o);
            results.Add(r);
            Console.WriteLine(r.Line());
            foreach (var d in r.Details) Console.WriteLine("       " + d);
            if (r.Broke is not null) Console.WriteLine("       did not hold: " + r.Broke);
        }

        var reference = results.FirstOrDefault(r => r.StoredPerSecond > 0);
        if (reference is not null)
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ratios: master CPU per stored sample against the N={reference.N} run and against one agent's own sample ({agentCost:0.0} us); master RSS against the N={reference.N} run"));
            Console.WriteLine($"{"N",6} {"us/sample",9} {"vs N=" + reference.N,9} {"vs agent",9} {"RSS vs N=" + reference.N,12}");
            foreach (var r in results.Where(r => r.StoredPerSecond > 0))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.N,6} {r.MasterMicrosPerSample,9:0.0} {r.MasterMicrosPerSample / reference.MasterMicrosPerSample,8:0.00}x {r.MasterMicrosPerSample / agentCost,8:0.00}x {r.MasterRssMb / reference.MasterRssMb,11:0.00}x"));
            }
        }
        Console.WriteLine();
        var held = results.Where(r => r.Broke is null).Select(r => r.N).DefaultIfEmpty().Max();
        var broke = results.FirstOrDefault(r => r.Broke is not null);
        Console.WriteLine(broke is null
            ? $"held at every N run (largest {held})"
            : $"largest N that held: {(held > 0 ? held.ToString(CultureInfo.InvariantCulture) : "none")}; first that did not: N = {broke.N}: {broke.Broke}");
    }

    /// <summary>Runs N until other processes stay out of its window (or attempts run out); the quietest run.</summary>
    private static Result RunQuietest(int n, Options o)
    {
        Result? best = null;
        for (int attempt = 1; attempt <= o.Attempts; attempt++)
        {
            if (o.Settle && !ProcStat.SettleAsync(10, 15, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult())
            {
                Console.WriteLine("       (the rest of the machine did not go quiet within 10 minutes: running anyway)");
            }
            var r = RunOne(n, o).GetAwaiter().GetResult();
            if (best is null || r.OthersCpuPercent < best.OthersCpuPercent)
            {
                best?.Discard();
                best = r;
            }
            else
            {
                r.Discard();
            }
            if (r.OthersCpuPercent <= o.NoisyPercent) break;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,6}  (other processes used {r.OthersCpuPercent:0}% of a core in that window{(r.Broke is null ? "" : "; it did not hold")}{(attempt < o.Attempts ? ": again" : "")})"));
        }
        return best!;
    }

    private static Options Parse(string[] args)
    {
        var o = new Options { Exe = Procs.JitSentinel() };
        bool listed = false, stepGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--window": o = o with { WindowSeconds = Number() }; break;
                case "--warmup": o = o with { WarmupSeconds = Number() }; break;
                case "--step": o = o with { Step = (int)Number() }; stepGiven = true; break;
                case "--cap": o = o with { Cap = (int)Number() }; break;
                case "--rate": o = o with { ConnectRate = (int)Number() }; break;
                case "--p99": o = o with { P99LimitMs = Number() }; break;
                case "--no-viewer": o = o with { Viewer = false }; break;
                case "--threads": o = o with { Threads = true }; break;
                case "--attempts": o = o with { Attempts = Math.Max(1, (int)Number()) }; break;
                case "--no-settle": o = o with { Settle = false }; break;
                case "--master-exe": o = o with { Exe = Path.GetFullPath(Next()) }; break;
                case "--master-arg": o = o with { MasterArgs = [.. o.MasterArgs, Next()] }; break;
                default:
                    if (args[i].StartsWith('-')) throw new ArgumentException($"unknown option {args[i]}");
                    o = o with { Counts = args[i].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList() };
                    listed = true;
                    break;
            }
        }
        if (listed && !stepGiven) o = o with { Step = 0 };
        if (o.Counts.Count == 0 || o.Counts.Any(n => n <= 0)) throw new ArgumentException("agent counts must be positive");
        if (o.ConnectRate <= 0 || o.WindowSeconds <= 0) throw new ArgumentException("--rate and --window must be positive");
        return o;
    }

    /// <summary>CPU (on this thread) of one sample of this machine plus serialising it as a samples frame: the agent's own cost per sample.</summary>
    private static double AgentSampleCost()
    {
        using var sampler = Sampler.ForThisMachine();
        _ = sampler.Inventory;
        long seq = 0;
        void One()
        {
            if (sampler.Next() is { } s)
            {
                var batch = new SampleBatch { Samples = [new SequencedSample { Seq = ++seq, Sample = s }] };
                _ = Frames.Write(MessageTypes.Samples, batch, SentinelJsonContext.Default.SampleBatch);
            }
        }
        for (int i = 0; i < 200; i++) One();
        const int n = 1000;
        double t0 = ThreadCpu.Microseconds();
        for (int i = 0; i < n; i++) One();
        return (ThreadCpu.Microseconds() - t0) / n;
    }

    private sealed class Result
    {
        public int N;
        public double SentPerSecond, StoredPerSecond, MasterCpuPercent, MasterRssMb, BenchCpuPercent, OthersCpuPercent, P50, P99, Max;
        public long RowsInDatabase = -1, Lost;
        public string? Broke;
        public List<string> Details { get; } = [];
        /// <summary>The master's data folder, kept when the run did not hold.</summary>
        public string? KeptDirectory;

        public void Discard()
        {
            if (KeptDirectory is null) return;
            try { Directory.Delete(KeptDirectory, recursive: true); } catch (IOException) { }
        }

        public double MasterMicrosPerSample => MasterCpuPercent / 100 * 1e6 / StoredPerSecond;

        private static string Ms(double v) => double.IsNaN(v) ? "-" : v.ToString("0.0", CultureInfo.InvariantCulture);

        public string Line() => string.Create(CultureInfo.InvariantCulture,
            $"{N,6} {SentPerSecond,8:0.0} {StoredPerSecond,8:0.0} {MasterCpuPercent,11:0.0} {(StoredPerSecond > 0 ? MasterMicrosPerSample : double.NaN),9:0.0} {MasterRssMb,7:0.0} {BenchCpuPercent,10:0.0} {OthersCpuPercent,7:0} " +
            $"{Ms(P50),7} {Ms(P99),7} {Ms(Max),7} {(RowsInDatabase >= 0 ? RowsInDatabase.ToString(CultureInfo.InvariantCulture) : "?"),8} {Lost,5}  {(Broke is null ? "yes" : "NO")}");
    }

    private static async Task<Result> RunOne(int n, Options o)
    {
        var result = new Result { N = n };
        int port = Procs.FreePort();
        var dir = Procs.TempDir($"fleet-{n}");
        var log = Path.Combine(dir, "master.log");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
        Process? master = null;
        var fleet = new SimulatedFleet(n, new Uri($"ws://127.0.0.1:{port}/ws/agent"), new Uri($"ws://127.0.0.1:{port}/ws"));
        var broke = new List<string>();
        try
        {
            master = Procs.Start(o.Exe, ["master", "--listen", $"127.0.0.1:{port}", "--data", dir, .. o.MasterArgs], log, openFiles: 65536);
            if (await WaitForStatus(http, master, TimeSpan.FromSeconds(20)) is null)
            {
                result.Broke = "the master did not start: " + Procs.Tail(log, 3).ReplaceLineEndings(" | ");
                return result;
            }
            result.Details.Add($"master pid {master.Id}, open-file limit {ProcStat.OpenFilesLimit(master.Id)}");
            if (o.Viewer) await fleet.ConnectViewerAsync();
            fleet.StartSending();
            await fleet.ConnectAgentsAsync(o.ConnectRate);
            await Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds));

            // The measured window.
            var status0 = await Status(http);
            long sent0 = fleet.Sent;
            double masterCpu0 = ProcStat.CpuSeconds(master.Id), benchCpu0 = ProcStat.CpuSeconds(Environment.ProcessId), busy0 = ProcStat.MachineBusySeconds();
            var threads0 = o.Threads ? ProcStat.CpuByThreadName(master.Id) : null;
            long t0 = Stopwatch.GetTimestamp();
            fleet.Recording = true;
            double rssMax = 0, commitMax = 0;
            int queueMax = 0;
            long end = t0 + (long)(o.WindowSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp((end - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency, 0.01, 1)));
                rssMax = Math.Max(rssMax, ProcStat.RssMegabytes(master.Id));
                if (await TryStatus(http) is { } s)
                {
                    queueMax = Math.Max(queueMax, s.StoreQueueDepth);
                    commitMax = Math.Max(commitMax, s.StoreCommitMilliseconds);
                }
            }
            fleet.Recording = false;
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            long sent1 = fleet.Sent;
            double masterCpu1 = ProcStat.CpuSeconds(master.Id), benchCpu1 = ProcStat.CpuSeconds(Environment.ProcessId), busy1 = ProcStat.MachineBusySeconds();
            var threads1 = o.Threads ? ProcStat.CpuByThreadName(master.Id) : null;
            var status1 = await Status(http);
            int liveAtEnd = fleet.Live;
            // What the live page's first load and a Prometheus scrape cost at this N, under this load (once each, after the window).
            result.Details.Add(await Timed(http, "api/fleet/history", "GET /api/fleet/history (the page's first load, 10 min at 2 s)") + "; " +
                               await Timed(http, "metrics", "GET /metrics") + "; " + await Timed(http, "metrics", "gzipped as Prometheus asks", gzip: true));
            result.Details.Add("load average (uptime) at the end of the window: " + LoadAverage());

            // Stop sending, and give the master time to store and ack what it has (at least 3 s, at most 20 s).
            fleet.StopSending();
            long sentTotal = fleet.Sent;
            long flushStart = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(flushStart) < TimeSpan.FromSeconds(3)
                   || (fleet.Unacked() > 0 && Stopwatch.GetElapsedTime(flushStart) < TimeSpan.FromSeconds(20)))
            {
                await Task.Delay(250);
            }
            var final = await Status(http);
            long unacked = fleet.Unacked();

            var lat = fleet.ViewerLatencies();
            var ackLat = fleet.AckLatencies();
            result.SentPerSecond = (sent1 - sent0) / seconds;
            result.StoredPerSecond = (status1.SamplesStored - status0.SamplesStored) / seconds;
            result.MasterCpuPercent = 100 * (masterCpu1 - masterCpu0) / seconds;
            result.MasterRssMb = rssMax;
            result.BenchCpuPercent = 100 * (benchCpu1 - benchCpu0) / seconds;
            result.OthersCpuPercent = Math.Max(0, 100 * (busy1 - busy0) / seconds - result.MasterCpuPercent - result.BenchCpuPercent);
            result.P50 = Procs.Percentile(lat, 50);
            result.P99 = Procs.Percentile(lat, 99);
            result.Max = lat.Count > 0 ? lat[^1] : double.NaN;

            double sentInWindow = sent1 - sent0;
            result.Details.Add(string.Create(CultureInfo.InvariantCulture,
                $"master says stored {final.SamplesStored} of {sentTotal} sent, refused {final.SamplesRefused}, duplicates {final.SamplesDuplicate}, frames rejected {final.FramesRejected}; " +
                $"unacked after the flush {unacked}; store queue max {queueMax}, commit max {commitMax:0.0} ms"));
            result.Details.Add(string.Create(CultureInfo.InvariantCulture,
                $"agents: {fleet.Welcomed} of {n} connected, {liveAtEnd} still at the end of the window; connect failures {fleet.ConnectFailures}, send errors {fleet.SendErrors}, " +
                $"error frames {fleet.ErrorFrames}, late sends (load generator behind) {fleet.LateSends}"));
            if (o.Viewer)
            {
                result.Details.Add(string.Create(CultureInfo.InvariantCulture,
                    $"viewer: {lat.Count} samples seen ({(sentInWindow > 0 ? 100.0 * lat.Count / sentInWindow : 0):0.0}% of those sent in the window) in {fleet.ViewerUpdates} updates " +
                    $"and {fleet.ViewerSnapshots} snapshots, {fleet.ViewerBytes / seconds / 1e6:0.0} MB/s{(fleet.ViewerEnd is { } ve ? "; its connection ended: " + ve : "")}"));
            }
            if (ackLat.Count > 0)
            {
                result.Details.Add(string.Create(CultureInfo.InvariantCulture,
                    $"send -> ack (committed to SQLite): p50 {Procs.Percentile(ackLat, 50):0.0} ms, p99 {Procs.Percentile(ackLat, 99):0.0} ms, max {ackLat[^1]:0.0} ms"));
            }
            if (fleet.FirstError is { } fe) result.Details.Add("first error: " + fe);
            if (threads0 is not null && threads1 is not null)
            {
                var parts = threads1.Select(kv => (kv.Key, Cpu: 100 * (kv.Value - threads0.GetValueOrDefault(kv.Key)) / seconds))
                    .Where(x => x.Cpu >= 0.5).OrderByDescending(x => x.Cpu).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Key} {x.Cpu:0.0}%"));
                result.Details.Add("master CPU by thread: " + string.Join(", ", parts));
            }

            if (fleet.Welcomed < n) broke.Add($"{n - fleet.Welcomed} of {n} agents could not connect ({fleet.FirstError ?? "?"})");
            else if (liveAtEnd < n) broke.Add($"{n - liveAtEnd} agents were disconnected ({fleet.FirstError ?? "?"})");
            if (o.Viewer && !(result.P99 < o.P99LimitMs)) broke.Add(lat.Count == 0 ? "the viewer saw no samples" : $"p99 latency {result.P99:0} ms >= {o.P99LimitMs:0} ms");
            if (fleet.LateSends > 0) broke.Add($"the load generator fell behind ({fleet.LateSends} sends over a second late)");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            broke.Add($"the master stopped answering /api/status ({e.Message}){(master?.HasExited == true ? $", exit {master.ExitCode}" : "")}: " + Procs.Tail(log, 3).ReplaceLineEndings(" | "));
        }
        finally
        {
            await fleet.DisposeAsync();
            Procs.Stop(master, TimeSpan.FromSeconds(30));
            master?.Dispose();
        }

        // Counted in the database itself, after the master stopped: what it said it stored is not taken on trust.
        try
        {
            (result.RowsInDatabase, long ackedMissing) = CountSamples(Path.Combine(dir, "sentinel.db"), fleet.AckedByAgent());
            result.Lost = fleet.Sent - result.RowsInDatabase;
            if (result.Lost != 0 || ackedMissing != 0)
            {
                // An agent keeps what was not acked and sends it again (these simulated ones do not): only an acked sample missing is lost for good.
                broke.Add($"{result.Lost} samples sent are not in the database (sent {fleet.Sent}, rows {result.RowsInDatabase}); " +
                          (ackedMissing == 0 ? "none of them was acked" : $"{ackedMissing} of them WERE ACKED (a master bug)"));
            }
        }
        catch (SqliteException e)
        {
            broke.Add("could not count the samples in the database: " + e.Message);
        }
        result.Broke = broke.Count > 0 ? string.Join("; ", broke) : null;
        if (result.Broke is null)
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        else
        {
            result.KeptDirectory = dir;
            result.Details.Add($"kept {dir} (master.log, sentinel.db) to look into");
        }
        return result;
    }

    /// <summary>Rows in the samples table, and how many acked samples are not among them (each agent has one boot id in a run).</summary>
    private static (long Rows, long AckedMissing) CountSamples(string database, IEnumerable<(string Name, long Acked)> acked)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        using var all = c.CreateCommand();
        all.CommandText = "SELECT count(*) FROM samples";
        long rows = (long)all.ExecuteScalar()!;
        using var upTo = c.CreateCommand();
        upTo.CommandText = "SELECT count(*) FROM samples WHERE machine_id = (SELECT id FROM machines WHERE name = @name) AND seq <= @acked";
        var name = upTo.Parameters.Add("@name", SqliteType.Text);
        var seq = upTo.Parameters.Add("@acked", SqliteType.Integer);
        long missing = 0;
        foreach (var (agent, ack) in acked.Where(a => a.Acked > 0))
        {
            name.Value = agent;
            seq.Value = ack;
            missing += ack - (long)upTo.ExecuteScalar()!;
        }
        return (rows, missing);
    }

    private static async Task<MasterStatus?> WaitForStatus(HttpClient http, Process master, TimeSpan limit)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < limit && !master.HasExited)
        {
            if (await TryStatus(http) is { } s) return s;
            await Task.Delay(100);
        }
        return null;
    }

    private static async Task<MasterStatus?> TryStatus(HttpClient http)
    {
        try
        {
            return await Status(http);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>One GET, timed from send to the last byte: "WHAT 12.3 ms, 4.5 MB".</summary>
    private static async Task<string> Timed(HttpClient http, string path, string what, bool gzip = false)
    {
        long t = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (gzip) request.Headers.AcceptEncoding.ParseAdd("gzip");
            using var response = await http.SendAsync(request);
            var body = await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
            return string.Create(CultureInfo.InvariantCulture, $"{what} {Stopwatch.GetElapsedTime(t).TotalMilliseconds:0.0} ms, {body.Length / 1e6:0.00} MB");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"{what} failed after {Stopwatch.GetElapsedTime(t).TotalMilliseconds:0} ms: {e.Message}";
        }
    }

    /// <summary>/proc/loadavg's three averages, as uptime prints them.</summary>
    internal static string LoadAverage()
    {
        var f = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{f[0]}, {f[1]}, {f[2]}";
    }

    private static async Task<MasterStatus> Status(HttpClient http)
        => JsonSerializer.Deserialize(await http.GetByteArrayAsync("api/status"), SentinelJsonContext.Default.MasterStatus)
           ?? throw new JsonException("null status");
}
