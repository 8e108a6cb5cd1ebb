using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Sentinel.Master.Storage;

namespace Sentinel.Bench;

/// <summary>
/// Disk per agent, measured by running the master's store: N machines send HOURS of 1 s samples (the fleet bench's
/// realistic sample) on a clock the bench moves, the store rolls them up to one-minute rows as it does in service,
/// and each table with its indexes is measured by VACUUMing the file with and without it. From that, disk per agent per day
/// and at each retention.
/// </summary>
internal static class StoreSize
{
    private sealed class Clock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    public static void Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        double hours = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        int seconds = (int)(hours * 3600);
        var dir = Directory.CreateTempSubdirectory("sentinel-bench-size-").FullName;
        try
        {
            var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
            var clock = new Clock(start);
            var template = new FleetSample();
            var watch = Stopwatch.StartNew();
            long samples = 0;
            var store = SampleStore.Open(dir, new StoreOptions { QueueCapacity = 1_000_000, MaintenanceInterval = TimeSpan.FromDays(1) }, clock);
            var regs = Enumerable.Range(0, n).Select(m => store.RegisterAsync($"node{m:D4}", "h" + m, "boot" + m, "bench", FleetSample.Hello($"node{m:D4}", "h" + m).Inventory, [], 1)
                .GetAwaiter().GetResult()).ToList();
            for (int s = 0; s < seconds; s++)
            {
                var t = start.AddSeconds(s);
                foreach (var reg in regs)
                {
                    while (!store.TryEnqueue(reg.MachineId, reg.BootRow, s + 1, template.Next(t, s), null)) Thread.Sleep(5);
                    samples++;
                }
                if (s % 600 == 599)
                {
                    // Maintenance as in service (once a minute there): roll up complete minutes, checkpoint the WAL.
                    clock.Now = t.AddSeconds(1);
                    store.MaintainAsync().GetAwaiter().GetResult();
                }
            }
            clock.Now = start.AddSeconds(seconds + 180);
            store.MaintainAsync().GetAwaiter().GetResult();
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"store-size: {n} machines x {hours:0.##} h of 1 s samples ({samples:N0} samples) written through the master's store in {watch.Elapsed.TotalSeconds:0} s; roll-ups as in service"));

            using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "sentinel.db") }.ToString());
            c.Open();
            long Scalar(string sql) { using var cmd = c.CreateCommand(); cmd.CommandText = sql; return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture); }
            long rows = Scalar("SELECT count(*) FROM samples"), rollups = Scalar("SELECT count(*) FROM rollup_1m");
            long Size()
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "VACUUM";
                cmd.ExecuteNonQuery();
                return Scalar("PRAGMA page_count") * Scalar("PRAGMA page_size");
            }
            // SQLite's dbstat is not compiled into this SQLite, so each table is measured by taking it away: the size
            // after VACUUM, then without the roll-ups, then without the raw samples too (tables and their indexes).
            long asLeft = new FileInfo(Path.Combine(dir, "sentinel.db")).Length;
            long full = Size();
            Console.WriteLine($"sentinel.db as the master left it: {asLeft:N0} bytes (free pages included); compacted: {full:N0}");
            Scalar("DELETE FROM rollup_1m");
            long withoutRollups = Size();
            Scalar("DELETE FROM samples");
            long empty = Size();
            long raw = withoutRollups - empty, roll = full - withoutRollups;
            Console.WriteLine($"database after VACUUM {full:N0} bytes: samples {rows:N0} rows and their indexes {raw:N0} bytes, rollup_1m {rollups:N0} rows {roll:N0} bytes, the rest {empty:N0} bytes");
            double perSample = (double)raw / rows, perRollup = (double)roll / rollups;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per raw sample (table and indexes): {perSample:0.0} bytes; per one-minute roll-up row: {perRollup:0.0} bytes"));
            double rawDay = perSample * 86400, rollDay = perRollup * 1440;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per agent at 1 s: raw {rawDay / 1e6:0.0} MB per day kept, roll-ups {rollDay / 1e6:0.00} MB per day kept"));
            Console.WriteLine();
            Console.WriteLine($"{"raw kept",9} {"roll-ups kept",14} {"disk per agent",15} {"1000 agents",12}");
            foreach (var (rawDays, rollDays) in new[] { (1.0, 35.0), (2.0, 35.0), (7.0, 35.0), (2.0, 90.0), (2.0, 365.0), (7.0, 365.0) })
            {
                double perAgent = rawDay * rawDays + rollDay * rollDays;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rawDays * 24,7:0} h {rollDays,12:0} d {perAgent / 1e6,12:0} MB {perAgent * 1000 / 1e9,9:0.0} GB"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }
}
