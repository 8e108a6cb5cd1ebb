using Microsoft.Data.Sqlite;
using Sentinel.Master.Storage;

namespace Sentinel.Master.Tests;

/// <summary>A reader that holds a transaction open pins SQLite's WAL; the store must not let it grow without bound.</summary>
public class WalBoundTests
{
    private sealed class AckLog : IStoreAck
    {
        public long MaxAcked;
        public int Failures;
        public void Stored(long bootRow, long seq) { lock (this) MaxAcked = Math.Max(MaxAcked, seq); }
        public void Failed(long bootRow, string reason) => Interlocked.Increment(ref Failures);
    }

    private static MachineSample Sample(DateTimeOffset t, double cpu) => new()
    {
        Timestamp = t, IntervalSeconds = 1,
        Cpu = new CpuSample { CpuPercent = cpu },
        Memory = new MemorySample { TotalBytes = 100, UsedBytes = 40, UsedPercent = cpu },
    };

    private static long WalBytes(string db) => File.Exists(db + "-wal") ? new FileInfo(db + "-wal").Length : 0;

    [Fact]
    public async Task A_reader_held_open_stops_writes_at_the_wal_limit_and_writing_resumes_when_it_lets_go()
    {
        using var dir = new TempDir();
        const long limit = 8L << 20;
        var log = new List<string>();
        await using var store = SampleStore.Open(dir.Path, new StoreOptions { MaxWalBytes = limit, MaxBatch = 2000 }, log: l => { lock (log) log.Add(l); });
        var acks = new AckLog();
        var t0 = DateTimeOffset.UtcNow;
        long seq = 0;
        var reg = await store.RegisterAsync("m", "h", "boot-1", "t", new Inventory { HostName = "m" }, [], 1);

        async Task Write(int n)
        {
            for (int i = 0; i < n; i++)
            {
                seq++;
                while (!store.TryEnqueue(reg.MachineId, reg.BootRow, seq, Sample(t0.AddMilliseconds(seq), seq % 100), acks)) await Task.Delay(5);
            }
            await store.FlushAsync();
        }

        // Someone opens the database in another program and leaves a read transaction open.
        using var reader = new SqliteConnection($"Data Source={store.DatabasePath}");
        reader.Open();
        using (var begin = reader.CreateCommand()) { begin.CommandText = "BEGIN; SELECT count(*) FROM samples;"; begin.ExecuteScalar(); }

        long maxWal = 0;
        long acceptedBefore = 0;
        for (int round = 0; round < 40; round++)
        {
            await Write(5000);
            maxWal = Math.Max(maxWal, WalBytes(store.DatabasePath));
            if (store.Stats.FailedCommits > 0) break;
            acceptedBefore = acks.MaxAcked;
        }
        Assert.True(store.Stats.FailedCommits > 0, $"writes never stopped; the WAL reached {maxWal / 1048576.0:0.0} MiB");
        // Keep offering samples: the WAL does not grow past the limit plus the one batch that crossed it.
        long ackedAtStop = acks.MaxAcked;
        for (int round = 0; round < 5; round++)
        {
            await Write(5000);
            maxWal = Math.Max(maxWal, WalBytes(store.DatabasePath));
        }
        Assert.InRange(maxWal, limit, limit + (4L << 20));
        Assert.Equal(ackedAtStop, acks.MaxAcked);      // nothing acked while stopped: the agents keep their samples
        Assert.True(acks.Failures > 0);                 // the senders were told (the master closes them with 1013)
        Assert.False(store.Stats.Healthy);
        Assert.Contains("another program holds a read transaction open", store.Stats.LastError);
        lock (log) Assert.True(log.Count(l => l.Contains("commit of")) < 5, "a repeated failure is logged once, not per batch: " + string.Join(" | ", log));

        // The reader lets go; the agent says hello again and resends from its ack. Everything is stored once, the WAL is reset.
        using (var end = reader.CreateCommand()) { end.CommandText = "COMMIT"; end.ExecuteNonQuery(); }
        reader.Close();
        var again = await store.RegisterAsync("m", "h", "boot-1", "t", new Inventory { HostName = "m" }, [], 1);
        Assert.Equal(ackedAtStop, again.AckedSeq);
        long last = seq;
        for (long s = again.AckedSeq + 1; s <= last; s++)
        {
            while (!store.TryEnqueue(again.MachineId, again.BootRow, s, Sample(t0.AddMilliseconds(s), s % 100), acks)) await Task.Delay(5);
        }
        await store.FlushAsync();
        Assert.True(store.Stats.Healthy, store.Stats.LastError);
        Assert.Equal(last, acks.MaxAcked);
        Assert.Equal(last, store.CountSamples(reg.MachineId));
        await store.MaintainAsync();
        Assert.True(WalBytes(store.DatabasePath) < limit, $"the WAL is {WalBytes(store.DatabasePath)} bytes after the reader let go");
        lock (log) Assert.Contains(log, l => l.Contains("writing again"));
    }
}
