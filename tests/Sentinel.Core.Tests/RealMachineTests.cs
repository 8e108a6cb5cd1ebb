using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sentinel.Collectors;
using Sentinel;

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
    public void Memory_tracks_proc_meminfo_across_a_gigabyte_allocation()
    {
        // Used memory is system-wide and other processes move it: each of our readings is bracketed by two
        // independent reads of MemAvailable, and must lie between them (64 MiB slack for what moves in between).
        using var sampler = Sampler.ForThisMachine();
        sampler.Next();
        const long slack = 64L << 20;
        (long Low, long High, MemorySample Ours) Read()
        {
            long a = Independent.MemInfoKb("MemAvailable") * 1024;
            var ours = sampler.Next()!.Memory;
            long b = Independent.MemInfoKb("MemAvailable") * 1024;
            return (Math.Min(a, b), Math.Max(a, b), ours);
        }
        var r1 = Read();
        long total = Independent.MemInfoKb("MemTotal") * 1024;
        if (r1.Ours.CgroupLimited)
        {
            Assert.True(r1.Ours.TotalBytes < total);
            return; // inside a limited cgroup, available is the cgroup's, not MemAvailable
        }
        Assert.Equal(total, r1.Ours.TotalBytes);
        Assert.Equal(r1.Ours.TotalBytes - r1.Ours.AvailableBytes, r1.Ours.UsedBytes);
        Assert.InRange(r1.Ours.AvailableBytes, r1.Low - slack, r1.High + slack);

        var block = GC.AllocateUninitializedArray<byte>(1 << 30, pinned: true);
        for (int i = 0; i < block.Length; i += 4096) block[i] = 1; // touch every page
        var r2 = Read();
        GC.KeepAlive(block);
        Assert.InRange(r2.Ours.AvailableBytes, r2.Low - slack, r2.High + slack);
        // Our change follows the independent change (which includes the gigabyte, whatever else moved).
        long ours = r1.Ours.AvailableBytes - r2.Ours.AvailableBytes;
        long independent = (r1.Low + r1.High) / 2 - (r2.Low + r2.High) / 2;
        Assert.InRange(ours, independent - 2 * slack, independent + 2 * slack);
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
