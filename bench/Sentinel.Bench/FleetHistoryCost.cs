using System.Diagnostics;
using System.Globalization;
using Sentinel.Master.Storage;

namespace Sentinel.Bench;

/// <summary>
/// What the live page's first chart load costs the master: GET /api/fleet/history's one query over every
/// machine, against the reference of one metrics query per machine (what the page would need without it),
/// on the same SQLite file in the same process. N machines with 10 minutes of 1 s samples each.
/// </summary>
internal static class FleetHistoryCost
{
    public static void Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 600;
        var dir = Directory.CreateTempSubdirectory("sentinel-bench-history-").FullName;
        try
        {
            var store = SampleStore.Open(dir, new StoreOptions { QueueCapacity = 1_000_000 });
            var now = DateTimeOffset.UtcNow;
            var start = now - TimeSpan.FromSeconds(seconds);
            var machines = new List<(long Id, string Name)>();
            var fill = Stopwatch.StartNew();
            for (int m = 0; m < n; m++)
            {
                var name = $"node{m:D4}";
                var reg = store.RegisterAsync(name, "h" + m, "boot", "bench", new Inventory { HostName = name }, [], 1, CancellationToken.None).GetAwaiter().GetResult();
                machines.Add((reg.MachineId, name));
                var rng = new Random(m); // readings as real ones are: no round numbers
                for (int s = 0; s < seconds; s++)
                {
                    var sample = new MachineSample
                    {
                        Timestamp = start + TimeSpan.FromSeconds(s), IntervalSeconds = 1,
                        Cpu = new CpuSample { CpuPercent = rng.NextDouble() * 100 },
                        Memory = new MemorySample { TotalBytes = 1L << 34, UsedBytes = 1L << 33, UsedPercent = 40 + rng.NextDouble() * 20 },
                        Network = [new NetworkInterfaceSample { Name = "eth0", ReceiveBytesPerSecond = rng.NextDouble() * 1e6, TransmitBytesPerSecond = rng.NextDouble() * 1e5 }],
                    };
                    while (!store.TryEnqueue(reg.MachineId, reg.BootRow, s + 1, sample, null)) Thread.Sleep(10);
                }
            }
            store.FlushAsync().GetAwaiter().GetResult();
            Console.WriteLine($"store: {n} machines x {seconds} samples written in {fill.Elapsed.TotalSeconds:0.0} s");

            var since = start;
            var ids = machines.Select(x => x.Id).ToList();
            var step = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(seconds / 300.0)));
            // Warm up both paths (page cache, statement preparation), then take the best of three.
            store.FleetHistory(ids, since, now, step, fromMemory: false);
            foreach (var (id, name) in machines.Take(10)) store.Query(id, name, since, now, step);
            long fromMemory0 = store.HistoryFromMemory;
            var ringAnswer = store.FleetHistory(ids, since, now, step);
            bool ringUsed = store.HistoryFromMemory > fromMemory0;
            var sqlAnswer = store.FleetHistory(ids, since, now, step, fromMemory: false);
            double ring = Best(() => store.FleetHistory(ids, since, now, step));
            double one = Best(() => store.FleetHistory(ids, since, now, step, fromMemory: false));
            double each = Best(() => { foreach (var (id, name) in machines) store.Query(id, name, since, now, step); });
            Console.WriteLine($"fleet history     {one,8:0.0} ms  one query, {n} machines x {seconds / step.TotalSeconds:0} steps of {step.TotalSeconds:0} s, from SQLite (before: every request)");
            Console.WriteLine($"  from memory     {ring,8:0.0} ms  the same answer from the ring of recent figures ({(ringUsed ? "used" : "NOT USED")}, same answer: {(Same(ringAnswer.ByMachine, sqlAnswer.ByMachine) ? "yes" : "NO")}), partial seconds at the ends from SQLite");
            Console.WriteLine($"per-machine ref   {each,8:0.0} ms  {n} metrics queries (GET /api/machines/NAME/metrics each)");
            Console.WriteLine($"ratio             {one / each,8:0.00}x time (fleet history from SQLite / per-machine queries)");
            Console.WriteLine($"ratio             {ring / one,8:0.0000}x time (from memory / from SQLite): {one / ring:0}x faster");
            Console.WriteLine($"ring memory       {RecentFigures.BytesPerMachine(new StoreOptions().RecentSeconds) / 1024.0,8:0.0} KiB per machine ({new StoreOptions().RecentSeconds} one-second slots), {RecentFigures.BytesPerMachine(new StoreOptions().RecentSeconds) * (double)n / 1e6:0.0} MB for {n}");
            // The answer's size: every digit of each double (as before) against the rounded view the master sends now.
            var names = machines.Select(x => (x.Name, x.Id)).ToList();
            var full = new Sentinel.FleetHistory
            {
                Since = since, Until = now, StepSeconds = sqlAnswer.StepMs / 1000.0, Start = DateTimeOffset.FromUnixTimeMilliseconds(sqlAnswer.StartMs), Buckets = sqlAnswer.Buckets,
                Machines = names.Where(x => sqlAnswer.ByMachine.ContainsKey(x.Id)).Select(x => sqlAnswer.ByMachine[x.Id]).Zip(names.Where(x => sqlAnswer.ByMachine.ContainsKey(x.Id)))
                    .Select(p => new Sentinel.FleetHistoryMachine
                    {
                        Name = p.Second.Name, CpuPercent = p.First[0], MemoryUsedPercent = p.First[1], GpuUtilizationPercent = p.First[2],
                        NetworkReceiveBytesPerSecond = p.First[3], NetworkTransmitBytesPerSecond = p.First[4],
                    }).ToList(),
            };
            var compact = Sentinel.Master.Api.HistoryView(names, since, now, sqlAnswer.StartMs, sqlAnswer.StepMs, sqlAnswer.Buckets, sqlAnswer.ByMachine);
            double fullBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(full, Sentinel.Json.SentinelJsonContext.Default.FleetHistory).Length;
            var compactJson = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(compact, Sentinel.Json.SentinelJsonContext.Default.FleetHistory);
            double compactBytes = compactJson.Length;
            var zipped = new MemoryStream();
            using (var gz = new System.IO.Compression.GZipStream(zipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(compactJson);
            double gzipBytes = zipped.Length;
            Console.WriteLine($"answer size       {fullBytes / 1e6,8:0.0} MB  every digit of each figure (before), {fullBytes / n / 1024:0.0} KiB per machine");
            Console.WriteLine($"  rounded         {compactBytes / 1e6,8:0.0} MB  percentages to 0.01, rates to 1 B/s (sent now), {compactBytes / n / 1024:0.0} KiB per machine");
            Console.WriteLine($"  gzipped         {gzipBytes / 1e6,8:0.0} MB  rounded and gzipped, as a browser gets it, {gzipBytes / n / 1024:0.0} KiB per machine");
            Console.WriteLine($"ratio             {compactBytes / fullBytes,8:0.00}x size (rounded / every digit)");
            Console.WriteLine($"ratio             {gzipBytes / fullBytes,8:0.00}x size (rounded and gzipped / every digit)");
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static bool Same(Dictionary<long, double?[][]> a, Dictionary<long, double?[][]> b)
        => a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.Zip(other).All(p => p.First.Zip(p.Second).All(
            v => v.First.HasValue == v.Second.HasValue && (v.First is null || Math.Abs(v.First.Value - v.Second!.Value) <= 1e-9 * Math.Max(1, Math.Abs(v.First.Value))))));

    private static double Best(Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var w = Stopwatch.StartNew();
            action();
            best = Math.Min(best, w.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
