using System.Diagnostics;
using Sentinel.Master.Alerts;
using Sentinel.Master.Storage;

namespace Sentinel.Bench;

/// <summary>
/// What judging alert rules costs the master's tick: the shipped five rules over N machines whose figures all changed
/// (the worst tick: at 1 Hz and 10 ticks a second a tick normally sees a tenth of them), plus a rule that fires at once, with a
/// tenth of the machines firing and resolving as their CPU swings (each change queued to the store as JSON). Prints the time per pass and per machine, and the allocation per pass.
/// </summary>
internal static class AlertCost
{
    public static void Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
        var dir = Directory.CreateTempSubdirectory("sentinel-alert-bench-").FullName;
        try
        {
            var store = SampleStore.Open(dir);
            try
            {
            var engine = new AlertEngine(TimeProvider.System, TimeSpan.Zero, store, false, (_, _, _) => { });
            // The shipped CPU rule waits 10 s, longer than the whole run: this one fires at once, so alerts do fire and resolve.
            engine.AddRule(new AlertRule { Id = "cpu-now", Name = "CPU above 90% now", Metric = AlertMetric.Cpu, Threshold = 90, ClearThreshold = 80 });
            var tags = new Dictionary<string, string> { ["rack"] = "a1" };
            MachineFacts[] Pass(int round) => Enumerable.Range(0, n).Select(i => new MachineFacts("node" + i, tags, true, new MachineSample
            {
                Timestamp = DateTimeOffset.UtcNow,
                IntervalSeconds = 1,
                Cpu = new CpuSample { CpuPercent = i % 10 == 0 ? (round % 40 < 20 ? 99 : 10) : 40 + i % 30, LoadAverage1 = 3 },
                Memory = new MemorySample { TotalBytes = 100, UsedBytes = 50, UsedPercent = 50 },
                FileSystems = [new FileSystemSample { MountPoint = "/", Device = "/dev/sda1", Type = "ext4", TotalBytes = 100, UsedBytes = 30, UsedPercent = 30 }],
                Gpus = [new GpuSample { Name = "gpu", TemperatureCelsius = 60 }],
            })).ToArray();
            var rounds = Enumerable.Range(0, 40).Select(Pass).ToArray();
            for (int r = 0; r < 40; r++) engine.Evaluate(rounds[r], () => rounds[r]); // warm up
            engine.TakeChanges();
            const int Passes = 200;
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (int r = 0; r < Passes; r++)
            {
                var facts = rounds[r % rounds.Length];
                engine.Evaluate(facts, () => facts);
                engine.TakeChanges();
            }
            watch.Stop();
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            double perPass = watch.Elapsed.TotalMilliseconds / Passes;
            Console.WriteLine($"alerts: {n} machines x {engine.Rules().Count} rules, every machine changed each pass, a tenth of them firing, then resolving, every 20 passes");
            Console.WriteLine($"  {perPass:0.000} ms per pass, {perPass * 1000 / n:0.00} us per machine, {allocated / Passes / 1024.0:0.0} KiB allocated per pass");
            // 1 Hz agents, 10 ticks a second: each tick judges a tenth of the fleet, so a second costs one full pass.
            Console.WriteLine($"  1 Hz agents: {perPass / 1000 * 100:0.00}% of one core");
            }
            finally
            {
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
