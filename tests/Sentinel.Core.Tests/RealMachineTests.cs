using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sentinel.Collectors;

namespace Sentinel.Tests;

/// <summary>
/// This machine, read by Sentinel and independently by the test (plain regex over /proc, df, lscpu),
/// while a real load runs. Tolerances are stated in each assertion.
/// </summary>
public class RealMachineTests
{
    [Fact]
    public async Task Cpu_under_load_matches_an_independent_reading_of_proc_stat_within_10_points()
    {
        using var sampler = Sampler.ForThisMachine();
        using var stop = new CancellationTokenSource();
        var burners = Enumerable.Range(0, Environment.ProcessorCount)
            .Select(_ => Task.Factory.StartNew(() => { while (!stop.IsCancellationRequested) { } }, TaskCreationOptions.LongRunning))
            .ToArray();
        Thread.Sleep(200);

        var before = Independent.CpuTicks();
        sampler.Next();
        Thread.Sleep(1500);
        var sample = sampler.Next()!;
        var after = Independent.CpuTicks();
        stop.Cancel();
        await Task.WhenAll(burners);

        double independent = 100.0 * (after.Busy - before.Busy) / (after.Total - before.Total);
        Assert.True(sample.CpuPercent > 60, $"load was running on every core but CPU read {sample.CpuPercent}%");
        Assert.InRange(sample.CpuPercent, independent - 10, independent + 10);
        Assert.Equal(Environment.ProcessorCount, sample.Cpu.Cores.Count);
        Assert.All(sample.Cpu.Cores, c => Assert.InRange(c.CpuPercent, 0, 100));
        var parts = sample.Cpu.UserPercent + sample.Cpu.SystemPercent + sample.Cpu.IowaitPercent + sample.Cpu.StealPercent + sample.Cpu.IdlePercent;
        Assert.InRange(parts, 99.9, 100.1);
        Assert.InRange(sample.IntervalSeconds, 1.4, 5);
    }

    [Fact]
    public void Memory_matches_proc_meminfo_and_sees_a_gigabyte_allocated()
    {
        using var sampler = Sampler.ForThisMachine();
        sampler.Next();
        var s1 = sampler.Next()!;
        long total = Independent.MemInfoKb("MemTotal") * 1024;
        long available = Independent.MemInfoKb("MemAvailable") * 1024;
        if (!s1.Memory.CgroupLimited)
        {
            Assert.Equal(total, s1.Memory.TotalBytes);
            // Memory moves between the two reads: 2% of RAM is the tolerance.
            Assert.InRange(s1.Memory.AvailableBytes, available - total / 50, available + total / 50);
            Assert.Equal(s1.Memory.TotalBytes - s1.Memory.AvailableBytes, s1.Memory.UsedBytes);
        }
        else
        {
            Assert.True(s1.Memory.TotalBytes < total);
        }

        var block = GC.AllocateUninitializedArray<byte>(1 << 30, pinned: true);
        for (int i = 0; i < block.Length; i += 4096) block[i] = 1; // touch every page
        var s2 = sampler.Next()!;
        GC.KeepAlive(block);
        Assert.True(s2.Memory.UsedBytes - s1.Memory.UsedBytes > 800L << 20,
            $"used grew by {(s2.Memory.UsedBytes - s1.Memory.UsedBytes) >> 20} MiB after touching 1024 MiB");
    }

    [Fact]
    public async Task Loopback_traffic_is_counted_at_least_as_sent_and_at_most_what_proc_net_dev_saw()
    {
        using var sampler = Sampler.ForThisMachine();
        const int bytes = 64 << 20;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        ulong before = Independent.NetRxBytes("lo");
        sampler.Next();
        var receive = Task.Run(() =>
        {
            using var server = listener.AcceptTcpClient();
            using var stream = server.GetStream();
            var buffer = new byte[1 << 16];
            long got = 0;
            int n;
            while ((n = stream.Read(buffer)) > 0) got += n;
            return got;
        });
        using (var client = new TcpClient())
        {
            client.Connect(IPAddress.Loopback, port);
            using var stream = client.GetStream();
            var chunk = new byte[1 << 20];
            for (int i = 0; i < bytes / chunk.Length; i++) stream.Write(chunk);
        }
        Assert.Equal(bytes, await receive);
        var sample = sampler.Next()!;
        ulong after = Independent.NetRxBytes("lo");

        var lo = sample.Network.Single(n => n.IsLoopback);
        double counted = lo.ReceiveBytesPerSecond * sample.IntervalSeconds;
        Assert.InRange(counted, bytes, (double)(after - before) + 1);
    }

    [Fact]
    public void A_synced_write_shows_as_disk_writes_bounded_by_proc_diskstats()
    {
        using var sampler = Sampler.ForThisMachine();
        const int bytes = 64 << 20;
        var path = Path.Combine(AppContext.BaseDirectory, $"disk-test-{Guid.NewGuid():N}.bin");
        try
        {
            ulong before = Independent.DiskWrittenSectors();
            sampler.Next();
            using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.WriteThrough))
            {
                var chunk = new byte[1 << 20];
                Random.Shared.NextBytes(chunk);
                for (int i = 0; i < bytes / chunk.Length; i++) f.Write(chunk);
                f.Flush(flushToDisk: true);
            }
            var sample = sampler.Next()!;
            ulong after = Independent.DiskWrittenSectors();

            double counted = sample.Disks.Sum(d => d.WriteBytesPerSecond) * sample.IntervalSeconds;
            Assert.InRange(counted, bytes * 0.9, (after - before) * 512.0 + 1);
            Assert.True(sample.Disks.Sum(d => d.WritesPerSecond) > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Root_file_system_matches_df_within_one_percent()
    {
        using var sampler = Sampler.ForThisMachine();
        sampler.Next();
        var root = sampler.Next()!.FileSystems.Single(f => f.MountPoint == "/");
        var df = Independent.Run("df", "-P", "-B1", "/").Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long size = long.Parse(df[1]), used = long.Parse(df[2]), avail = long.Parse(df[3]);
        Assert.Equal(size, root.TotalBytes);
        Assert.InRange(root.UsedBytes, used - size / 100, used + size / 100);
        Assert.InRange(root.AvailableBytes, avail - size / 100, avail + size / 100);
        Assert.InRange(root.UsedPercent, int.Parse(df[4].TrimEnd('%')) - 1.5, int.Parse(df[4].TrimEnd('%')) + 1.5);
    }

    [Fact]
    public void Process_count_and_uptime_match_proc()
    {
        using var sampler = Sampler.ForThisMachine();
        sampler.Next();
        var s = sampler.Next()!;
        int independent = Directory.GetDirectories("/proc").Count(d => Path.GetFileName(d).All(char.IsAsciiDigit));
        Assert.InRange(s.ProcessCount, independent - 20, independent + 20);
        double uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(s.UptimeSeconds, uptime - 5, uptime + 1);
    }

    [Fact]
    public void Inventory_matches_cpuinfo_meminfo_and_lscpu()
    {
        using var sampler = Sampler.ForThisMachine();
        var inv = sampler.Inventory;
        var cpuinfo = File.ReadAllText("/proc/cpuinfo");
        Assert.Equal(Regex.Matches(cpuinfo, @"^processor\s*:", RegexOptions.Multiline).Count, inv.Threads);
        var model = Regex.Match(cpuinfo, @"^model name\s*:\s*(.+)$", RegexOptions.Multiline);
        if (model.Success)
        {
            Assert.Equal(model.Groups[1].Value.Trim(), inv.CpuModel);
        }
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), inv.HostName);
        Assert.InRange(inv.Cores, 1, inv.Threads);

        // lscpu's ALL-SIZE of the last level is the last-level cache in bytes.
        var lscpu = Independent.Run("lscpu", "-B", "--caches=NAME,ALL-SIZE").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (lscpu.Count > 0)
        {
            var top = lscpu.Where(f => f[0].StartsWith('L')).OrderBy(f => f[0]).Last();
            Assert.Equal(long.Parse(top[1]), inv.LastLevelCacheBytes);
        }
    }
}
