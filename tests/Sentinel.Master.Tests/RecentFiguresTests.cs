using Sentinel.Master.Storage;

namespace Sentinel.Master.Tests;

/// <summary>
/// GET /api/fleet/history from the in-memory ring of recent figures answers exactly what SQLite answers: same grid,
/// same means (partial seconds at the ends, two samples in a second, GPU figures only sometimes, replays), and
/// it steps aside (SQLite answers) where it cannot be exact: before the store opened, a slot taken by a newer
/// second, a step that is not whole seconds. On a clock the test moves.
/// </summary>
public class RecentFiguresTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static MachineSample Sample(DateTimeOffset t, double cpu, double? gpu) => new()
    {
        Timestamp = t,
        IntervalSeconds = 1,
        Cpu = new CpuSample { CpuPercent = cpu },
        Memory = new MemorySample { TotalBytes = 1000, UsedBytes = 500, UsedPercent = 50 + cpu / 10 },
        Network = [new NetworkInterfaceSample { Name = "eth0", ReceiveBytesPerSecond = cpu * 1000, TransmitBytesPerSecond = cpu * 7 }],
        Gpus = gpu is { } g ? [new GpuSample { Name = "gpu", UtilizationPercent = g }] : [],
    };

    /// <summary>Three machines over <paramref name="seconds"/> from <paramref name="from"/>: one at 1 s on odd milliseconds, one at 500 ms
    /// with a GPU figure every third sample, one at 1 s whose every sample is also sent twice (a replay).</summary>
    private static async Task<List<long>> Fill(SampleStore store, DateTimeOffset from, int seconds, string prefix)
    {
        var ids = new List<long>();
        var regs = new List<Registration>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var reg = await store.RegisterAsync(prefix + name, "host-" + name, prefix + "boot-" + name, "test", new Inventory { HostName = name }, [], 1);
            regs.Add(reg);
            ids.Add(reg.MachineId);
        }
        for (int s = 0; s < seconds; s++)
        {
            Assert.True(store.TryEnqueue(regs[0].MachineId, regs[0].BootRow, s + 1, Sample(from.AddMilliseconds(s * 1000 + 137), s % 97, null), null));
            for (int h = 0; h < 2; h++)
            {
                int seq = 2 * s + h + 1;
                Assert.True(store.TryEnqueue(regs[1].MachineId, regs[1].BootRow, seq, Sample(from.AddMilliseconds(s * 1000 + h * 500 + 3), (seq * 7) % 100, seq % 3 == 0 ? seq % 100 : null), null));
            }
            for (int replay = 0; replay < 2; replay++)
            {
                Assert.True(store.TryEnqueue(regs[2].MachineId, regs[2].BootRow, s + 1, Sample(from.AddMilliseconds(s * 1000 + 999), 100 - s % 100, 40), null));
            }
        }
        await store.FlushAsync();
        return ids;
    }

    private static void AssertSame(SampleStore store, List<long> ids, DateTimeOffset since, DateTimeOffset until, TimeSpan step, bool expectMemory)
    {
        long before = store.HistoryFromMemory;
        var memory = store.FleetHistory(ids, since, until, step);
        Assert.Equal(expectMemory ? before + 1 : before, store.HistoryFromMemory);
        var sql = store.FleetHistory(ids, since, until, step, fromMemory: false);
        Assert.Equal((sql.StartMs, sql.StepMs, sql.Buckets), (memory.StartMs, memory.StepMs, memory.Buckets));
        Assert.Equal(sql.ByMachine.Keys.Order(), memory.ByMachine.Keys.Order());
        Assert.NotEmpty(sql.ByMachine);
        foreach (var (id, arrays) in sql.ByMachine)
        {
            for (int k = 0; k < 5; k++)
            {
                for (int b = 0; b < sql.Buckets; b++)
                {
                    var (expected, actual) = (arrays[k][b], memory.ByMachine[id][k][b]);
                    Assert.True(expected.HasValue == actual.HasValue && (expected is null || Math.Abs(expected.Value - actual!.Value) <= 1e-9 * Math.Max(1, Math.Abs(expected.Value))),
                        $"machine {id}, figure {k}, bucket {b} of {since:O}..{until:O} step {step}: SQLite {expected}, memory {actual}");
                }
            }
        }
    }

    [Fact]
    public async Task The_ring_answers_what_sqlite_answers_over_whole_and_partial_seconds_and_steps_aside_where_it_cannot()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(T0);
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { RecentSeconds = 630 }, clock);
        var ids = await Fill(store, T0, 620, "");
        clock.Set(T0.AddSeconds(620));

        AssertSame(store, ids, T0.AddSeconds(20), T0.AddSeconds(620), TimeSpan.FromSeconds(2), expectMemory: true);           // the page: 10 min at 2 s
        AssertSame(store, ids, T0.AddMilliseconds(20_456), T0.AddMilliseconds(619_789), TimeSpan.FromSeconds(2), true);       // partial seconds at both ends
        AssertSame(store, ids, T0.AddMilliseconds(100_500), T0.AddMilliseconds(400_001), TimeSpan.FromSeconds(1), true);
        AssertSame(store, ids, T0.AddMilliseconds(33_999), T0.AddMilliseconds(300_000), TimeSpan.FromSeconds(7), true);
        AssertSame(store, ids, T0.AddMilliseconds(10_250), T0.AddMilliseconds(10_750), TimeSpan.FromSeconds(1), false);       // no whole second inside
        AssertSame(store, ids, T0.AddSeconds(20), T0.AddSeconds(620), TimeSpan.FromMilliseconds(1500), false);               // not whole seconds
        AssertSame(store, ids, T0.AddSeconds(-15), T0.AddSeconds(620), TimeSpan.FromSeconds(2), false);                      // longer than the ring

        // A sample far ahead (an agent whose clock runs fast) takes over a slot: ranges that need the old second go to SQLite.
        var reg = await store.RegisterAsync("a", "host-a", "boot-a", "test", new Inventory { HostName = "a" }, [], 1);
        Assert.True(store.TryEnqueue(reg.MachineId, reg.BootRow, 10_000, Sample(T0.AddSeconds(30 + 630), 1, null), null));
        await store.FlushAsync();
        AssertSame(store, ids, T0.AddSeconds(25), T0.AddSeconds(35), TimeSpan.FromSeconds(1), false);
        AssertSame(store, ids, T0.AddSeconds(40), T0.AddSeconds(620), TimeSpan.FromSeconds(2), true);
    }

    [Fact]
    public async Task After_a_restart_the_ring_answers_only_for_what_came_after_the_newest_sample_already_stored()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(T0);
        await using (var first = SampleStore.Open(dir.Path, new StoreOptions(), clock))
        {
            await Fill(first, T0, 100, "");
        }
        clock.Set(T0.AddSeconds(100));
        await using var again = SampleStore.Open(dir.Path, new StoreOptions(), clock);
        var ids = await Fill(again, T0.AddSeconds(100), 100, "later-");
        var all = ids.Concat((await Task.WhenAll(new[] { "a", "b", "c" }.Select(n => again.RegisterAsync(n, "host-" + n, "boot-" + n, "test", new Inventory { HostName = n }, [], 1))))
            .Select(r => r.MachineId)).ToList();
        clock.Set(T0.AddSeconds(200));
        AssertSame(again, all, T0.AddSeconds(50), T0.AddSeconds(200), TimeSpan.FromSeconds(2), expectMemory: false); // reaches into the first store's samples
        AssertSame(again, all, T0.AddSeconds(101), T0.AddSeconds(200), TimeSpan.FromSeconds(2), expectMemory: true);
    }

    [Fact]
    public async Task The_ring_of_a_machine_silent_longer_than_the_ring_is_dropped_and_sqlite_answers_for_its_time()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        clock.Set(T0);
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { RecentSeconds = 630 }, clock);
        var ids = await Fill(store, T0, 100, "");                 // a, b and c, then silent (their job ended)
        Assert.Equal(3, store.RecentMachines);
        clock.Set(T0.AddSeconds(800));
        var later = await store.RegisterAsync("d", "host-d", "boot-d", "test", new Inventory { HostName = "d" }, [], 1);
        for (int s = 0; s < 100; s++)
        {
            Assert.True(store.TryEnqueue(later.MachineId, later.BootRow, s + 1, Sample(T0.AddSeconds(800 + s), s, null), null));
        }
        await store.FlushAsync();
        Assert.Equal(1, store.RecentMachines);                    // a, b and c's rings are gone; d's is there
        var all = ids.Append(later.MachineId).ToList();
        clock.Set(T0.AddSeconds(900));
        AssertSame(store, all, T0.AddSeconds(50), T0.AddSeconds(600), TimeSpan.FromSeconds(2), expectMemory: false); // their time: SQLite
        AssertSame(store, all, T0.AddSeconds(300), T0.AddSeconds(900), TimeSpan.FromSeconds(2), expectMemory: true);  // after it: the ring
    }
}
