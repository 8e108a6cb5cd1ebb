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
                for (int s = 0; s < seconds; s++)
                {
                    var sample = new MachineSample
                    {
                        Timestamp = start + TimeSpan.FromSeconds(s), IntervalSeconds = 1,
                        Cpu = new CpuSample { CpuPercent = (m + s) % 100 },
                        Memory = new MemorySample { TotalBytes = 1L << 34, UsedBytes = 1L << 33, UsedPercent = 50 },
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
            store.FleetHistory(ids, since, now, step);
            foreach (var (id, name) in machines.Take(10)) store.Query(id, name, since, now, step);
            double one = Best(() => store.FleetHistory(ids, since, now, step));
            double each = Best(() => { foreach (var (id, name) in machines) store.Query(id, name, since, now, step); });
            Console.WriteLine($"fleet history     {one,8:0.0} ms  one query, {n} machines x {seconds / step.TotalSeconds:0} steps of {step.TotalSeconds:0} s");
            Console.WriteLine($"per-machine ref   {each,8:0.0} ms  {n} metrics queries (GET /api/machines/NAME/metrics each)");
            Console.WriteLine($"ratio             {one / each,8:0.00}x time (fleet history / per-machine queries)");
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

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
