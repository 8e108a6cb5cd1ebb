using Sentinel.Master.Storage;

namespace Sentinel.Master.Tests;

/// <summary>A moved-by-hand clock for the store's times (its maintenance timer is real but runs only every minute).</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    public override DateTimeOffset GetUtcNow() => _now;
    public void Set(DateTimeOffset t) => _now = t;
}

public class StoreTests
{
    private sealed class AckLog : IStoreAck
    {
        public List<(long Boot, long Seq)> Acks { get; } = [];
        public List<(long Boot, string Reason)> Failures { get; } = [];
        public void Stored(long bootRow, long seq) { lock (Acks) Acks.Add((bootRow, seq)); }
        public void Failed(long bootRow, string reason) { lock (Failures) Failures.Add((bootRow, reason)); }
    }

    private static MachineSample Sample(DateTimeOffset t, double cpu) => new()
    {
        Timestamp = t,
        IntervalSeconds = 1,
        Cpu = new CpuSample { CpuPercent = cpu },
        Memory = new MemorySample { TotalBytes = 100, UsedBytes = 40, UsedPercent = 40 },
    };

    [Fact]
    public async Task Samples_are_acked_after_commit_and_a_duplicate_is_stored_once()
    {
        using var dir = new TempDir();
        await using var store = SampleStore.Open(dir.Path);
        var reg = await store.RegisterAsync("n1", "h", "boot-1", "t", new Inventory { HostName = "n1" }, [], 1);
        Assert.Equal(0, reg.AckedSeq);
        var acks = new AckLog();
        var t = DateTimeOffset.UtcNow;
        for (long s = 1; s <= 5; s++) Assert.True(store.TryEnqueue(reg.MachineId, reg.BootRow, s, Sample(t.AddSeconds(s), s), acks));
        for (long s = 3; s <= 7; s++) store.TryEnqueue(reg.MachineId, reg.BootRow, s, Sample(t.AddSeconds(s), s), acks); // a replay overlapping
        await store.FlushAsync();
        Assert.Equal(7, store.CountSamples(reg.MachineId));
        Assert.Equal(7, acks.Acks.Max(a => a.Seq));
        Assert.All(acks.Acks, a => Assert.Equal(reg.BootRow, a.Boot));
        Assert.Equal(3, store.Stats.Duplicates);
    }

    [Fact]
    public async Task A_failed_commit_acks_nothing_tells_the_sender_and_refuses_its_later_samples_until_it_registers_again()
    {
        using var dir = new TempDir();
        bool failing = false;
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { FailCommits = () => Volatile.Read(ref failing) });
        var reg = await store.RegisterAsync("n1", "h", "boot-1", "t", new Inventory { HostName = "n1" }, [], 1);
        var acks = new AckLog();
        var t = DateTimeOffset.UtcNow;
        Volatile.Write(ref failing, true);
        for (long s = 1; s <= 5; s++) store.TryEnqueue(reg.MachineId, reg.BootRow, s, Sample(t.AddSeconds(s), s), acks);
        await store.FlushAsync();
        Volatile.Write(ref failing, false);
        Assert.Empty(acks.Acks);
        // One report per failed batch: the writer may have taken the five samples in one batch or in several.
        Assert.NotEmpty(acks.Failures);
        Assert.All(acks.Failures, f => Assert.Equal(reg.BootRow, f.Boot));
        Assert.Contains("injected", acks.Failures[0].Reason);
        Assert.Equal(0, store.CountSamples(reg.MachineId));
        Assert.Equal(0, store.Stats.SamplesWritten); // rolled back: not counted as stored

        // A sample after the lost ones must not be stored: its ack would claim 1..5 too.
        store.TryEnqueue(reg.MachineId, reg.BootRow, 6, Sample(t.AddSeconds(6), 6), acks);
        await store.FlushAsync();
        Assert.Equal(0, store.CountSamples(reg.MachineId));
        Assert.Empty(acks.Acks);

        // The agent says hello again and resends from what is on disk.
        var again = await store.RegisterAsync("n1", "h", "boot-1", "t", new Inventory { HostName = "n1" }, [], 1);
        Assert.Equal(reg.BootRow, again.BootRow);
        Assert.Equal(0, again.AckedSeq);
        for (long s = 1; s <= 6; s++) store.TryEnqueue(again.MachineId, again.BootRow, s, Sample(t.AddSeconds(s), s), acks);
        await store.FlushAsync();
        Assert.Equal(6, store.CountSamples(reg.MachineId));
        Assert.Equal(6, acks.Acks.Max(a => a.Seq));
        Assert.True(store.Stats.FailedCommits >= 1);
    }

    [Fact]
    public async Task A_failed_commit_keeps_connection_events_for_the_next_one()
    {
        using var dir = new TempDir();
        bool failing = false;
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { FailCommits = () => Volatile.Read(ref failing) });
        var reg = await store.RegisterAsync("n1", "h", "boot-1", "t", new Inventory { HostName = "n1" }, [], 1);
        var t = DateTimeOffset.UtcNow;
        Volatile.Write(ref failing, true);
        store.RecordConnection(reg.MachineId, t, "connected", "10.0.0.7:5000", null);
        await store.FlushAsync();
        Assert.True(store.Stats.FailedCommits >= 1);
        Volatile.Write(ref failing, false);
        await Wait.Until(() => store.LoadConnections(reg.MachineId, "n1", t.AddMinutes(-1), t.AddMinutes(1)).Events.Count == 1,
            TimeSpan.FromSeconds(10), "the connection event is committed once the store can write again");
    }

    [Fact]
    public async Task After_a_restart_the_boot_remembers_what_is_on_disk()
    {
        using var dir = new TempDir();
        long machine;
        await using (var store = SampleStore.Open(dir.Path))
        {
            var reg = await store.RegisterAsync("n1", "h", "boot-1", "t", new Inventory { HostName = "n1", CpuModel = "X" }, new() { ["rack"] = "b7" }, 2);
            machine = reg.MachineId;
            for (long s = 1; s <= 42; s++) store.TryEnqueue(reg.MachineId, reg.BootRow, s, Sample(DateTimeOffset.UtcNow, 1), null);
            await store.FlushAsync();
        }
        await using (var store = SampleStore.Open(dir.Path))
        {
            var m = Assert.Single(store.LoadMachines());
            Assert.Equal("n1", m.Name);
            Assert.Equal("X", m.Inventory.CpuModel);
            Assert.Equal("b7", m.Tags["rack"]);
            Assert.Equal(2, m.IntervalSeconds);
            Assert.NotNull(m.Latest); // written on close
            Assert.Equal(42, (await store.RegisterAsync("n1", "h", "boot-1", "t", m.Inventory, m.Tags, 2)).AckedSeq);
            var other = await store.RegisterAsync("n1", "h", "boot-2", "t", m.Inventory, m.Tags, 2);
            Assert.Equal(0, other.AckedSeq); // a new agent run starts its own sequence
            Assert.Equal(machine, other.MachineId);
        }
    }

    [Fact]
    public async Task History_comes_raw_at_fine_steps_and_from_minute_rollups_at_coarse_ones()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var start = new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { RawRetention = TimeSpan.FromHours(24) }, clock);
        var reg = await store.RegisterAsync("n1", "h", "b", "t", new Inventory { HostName = "n1" }, [], 1);
        // Ten minutes of 1 s samples; CPU = the minute number * 10, plus 0..59 over the minute.
        long seq = 0;
        for (int minute = 0; minute < 10; minute++)
            for (int s = 0; s < 60; s++)
                store.TryEnqueue(reg.MachineId, reg.BootRow, ++seq, Sample(start.AddMinutes(minute).AddSeconds(s), minute * 10 + s / 59.0), null);
        clock.Set(start.AddMinutes(30));
        await store.MaintainAsync();

        var raw = store.Query(reg.MachineId, "n1", start, start.AddMinutes(1), TimeSpan.FromSeconds(10));
        Assert.Equal(6, raw.Points.Count);
        Assert.All(raw.Points, p => Assert.Equal(10, p.Samples));

        var coarse = store.Query(reg.MachineId, "n1", start, start.AddMinutes(10), TimeSpan.FromMinutes(5));
        Assert.Equal(2, coarse.Points.Count);
        Assert.Equal(300, coarse.Points[0].Samples);
        Assert.Equal((0 + 10 + 20 + 30 + 40) / 5.0 + 0.5, coarse.Points[0].CpuPercent!.Value, 6);
        Assert.Equal(41, coarse.Points[0].CpuPercentMax!.Value, 6);
        Assert.Equal(40, coarse.Points[0].MemoryUsedPercent!.Value, 6);
    }

    [Fact]
    public async Task Retention_drops_raw_samples_but_keeps_their_rollups()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { RawRetention = TimeSpan.FromHours(1), RollupRetention = TimeSpan.FromDays(30) }, clock);
        var reg = await store.RegisterAsync("n1", "h", "b", "t", new Inventory { HostName = "n1" }, [], 1);
        for (int s = 0; s < 120; s++) store.TryEnqueue(reg.MachineId, reg.BootRow, s + 1, Sample(start.AddSeconds(s), 50), null);
        clock.Set(start.AddMinutes(10));
        await store.MaintainAsync(); // rolls the two minutes up
        clock.Set(start.AddHours(3));
        await store.MaintainAsync(); // raw is now older than an hour
        Assert.Equal(0, store.CountSamples());
        var history = store.Query(reg.MachineId, "n1", start, start.AddMinutes(2), TimeSpan.FromMinutes(1));
        Assert.Equal(2, history.Points.Count);
        Assert.All(history.Points, p => { Assert.Equal(60, p.Samples); Assert.Equal(50, p.CpuPercent); });
    }

    [Fact]
    public async Task A_late_replay_older_than_the_rollups_is_rolled_up_again()
    {
        using var dir = new TempDir();
        var clock = new ManualClock();
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        await using var store = SampleStore.Open(dir.Path, null, clock);
        var reg = await store.RegisterAsync("n1", "h", "b", "t", new Inventory { HostName = "n1" }, [], 1);
        for (int s = 0; s < 30; s++) store.TryEnqueue(reg.MachineId, reg.BootRow, s + 1, Sample(start.AddSeconds(s), 10), null);
        clock.Set(start.AddMinutes(10));
        await store.MaintainAsync();
        // The other half of minute 0 arrives after a partition heals.
        for (int s = 30; s < 60; s++) store.TryEnqueue(reg.MachineId, reg.BootRow, s + 1, Sample(start.AddSeconds(s), 30), null);
        await store.MaintainAsync();
        var p = Assert.Single(store.Query(reg.MachineId, "n1", start, start.AddMinutes(1), TimeSpan.FromMinutes(1)).Points);
        Assert.Equal(60, p.Samples);
        Assert.Equal(20, p.CpuPercent!.Value, 6);
    }

    [Fact]
    public async Task Not_a_number_is_stored_as_missing_not_as_an_error()
    {
        using var dir = new TempDir();
        await using var store = SampleStore.Open(dir.Path);
        var reg = await store.RegisterAsync("n1", "h", "b", "t", new Inventory { HostName = "n1" }, [], 1);
        var t = DateTimeOffset.UtcNow;
        store.TryEnqueue(reg.MachineId, reg.BootRow, 1, Sample(t, double.NaN), null);
        await store.FlushAsync();
        Assert.Equal(1, store.CountSamples());
        Assert.True(store.Stats.Healthy);
    }
}
