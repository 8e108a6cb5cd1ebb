using Sentinel.Collectors;
using Sentinel.Collectors.Gpu;
using Sentinel.Collectors.Linux;

namespace Sentinel.Tests;

/// <summary>The whole Linux pipeline (files → reader → sampler → sample) over a fake root and a hand-moved clock.</summary>
public class SamplerTests
{
    private static FakeRoot Machine(string stat, string netdev, string diskstats)
        => new FakeRoot()
            .Write("proc/stat", stat)
            .Write("proc/meminfo", "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    4000000 kB\nSwapTotal:       2000000 kB\nSwapFree:        1500000 kB\n")
            .Write("proc/loadavg", "1.50 0.75 0.25 3/400 12345\n")
            .Write("proc/uptime", "3600.50 7000.00\n")
            .Write("proc/net/dev", netdev)
            .Write("proc/diskstats", diskstats)
            .Write("proc/self/mountinfo", "28 1 253:0 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n29 28 0:22 / /proc rw - proc proc rw\n")
            .Write("proc/self/cgroup", "0::/\n")
            .Write("proc/sys/kernel/hostname", "node042\n")
            .Write("proc/sys/kernel/osrelease", "6.1.0-test\n")
            .Write("sys/devices/system/cpu/online", "0-1\n")
            .Dir("sys/block/sda")
            .Dir("proc/1").Dir("proc/22").Dir("proc/333").Dir("proc/self").Dir("proc/sys");

    private const string NetHeader = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

    private static LinuxReader Reader(FakeRoot root)
        => new(root.Path, new NvidiaSmi(executable: "/nonexistent/nvidia-smi"), space: mp => mp == "/" ? (1000L, 250L, 200L) : null);

    [Fact]
    public void First_reading_is_a_baseline_not_a_sample()
    {
        using var root = Machine("cpu  1 0 1 10 0 0 0 0 0 0\n", NetHeader, "");
        using var sampler = new Sampler(Reader(root), new ManualTime());
        Assert.Null(sampler.Next());
    }

    [Fact]
    public void Rates_and_shares_come_from_the_deltas_over_the_measured_span()
    {
        using var root = Machine(
            "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\ncpu1 50 0 25 400 25 0 0 0 0 0\n",
            NetHeader + "    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n  eth0: 5000 50 1 2 0 0 0 0 7000 70 0 0 0 0 0 0\n",
            "   8       0 sda 100 0 800 0 200 0 1600 0 0 0 0 0 0 0 0 0 0\n   8       1 sda1 100 0 800 0 200 0 1600 0 0 0 0 0 0 0 0 0 0\n");
        var time = new ManualTime();
        using var sampler = new Sampler(Reader(root), time);
        sampler.Next();

        time.Advance(TimeSpan.FromSeconds(2));
        // Over 2 s: cpu user +200, system +50, idle +600, iowait +50 (900 ticks); cpu1 idle throughout.
        root.Write("proc/stat", "cpu  300 0 100 1400 100 0 0 0 0 0\ncpu0 250 0 75 700 75 0 0 0 0 0\ncpu1 50 0 25 800 25 0 0 0 0 0\n");
        root.Write("proc/net/dev", NetHeader + "    lo: 3000 20 0 0 0 0 0 0 3000 20 0 0 0 0 0 0\n  eth0: 9000 90 3 2 0 0 0 0 8000 80 0 0 0 0 0 0\n");
        root.Write("proc/diskstats", "   8       0 sda 110 0 880 0 260 0 2000 0 0 0 0 0 0 0 0 0 0\n   8       1 sda1 110 0 880 0 260 0 2000 0 0 0 0 0 0 0 0 0 0\n");
        var s = sampler.Next()!;

        Assert.Equal(2.0, s.IntervalSeconds, 6);
        Assert.Equal(Math.Round(100.0 * 250 / 900, 2), s.CpuPercent);      // (900 - 600 idle - 50 iowait) / 900
        Assert.Equal(Math.Round(100.0 * 200 / 900, 2), s.Cpu.UserPercent);
        Assert.Equal(Math.Round(100.0 * 50 / 900, 2), s.Cpu.IowaitPercent);
        Assert.Equal(Math.Round(100.0 * 600 / 900, 2), s.Cpu.IdlePercent);
        Assert.Equal([0, 1], s.Cpu.Cores.Select(c => c.Core));
        Assert.Equal(0, s.Cpu.Cores[1].CpuPercent);
        Assert.Equal(1.5, s.Cpu.LoadAverage1);

        var eth0 = s.Network.Single(n => n.Name == "eth0");
        Assert.Equal(2000, eth0.ReceiveBytesPerSecond);    // (9000 - 5000) / 2
        Assert.Equal(500, eth0.TransmitBytesPerSecond);
        Assert.Equal(20, eth0.ReceivePacketsPerSecond);
        Assert.Equal(1, eth0.ReceiveErrorsPerSecond);
        Assert.Equal(2000, s.NetworkReceiveBytesPerSecond); // loopback is left out of the headline
        Assert.Equal(1000, s.Network.Single(n => n.Name == "lo").ReceiveBytesPerSecond);

        var sda = Assert.Single(s.Disks);                   // the partition is not counted twice
        Assert.Equal("sda", sda.Device);
        Assert.Equal(80 * 512 / 2.0, sda.ReadBytesPerSecond);
        Assert.Equal(400 * 512 / 2.0, sda.WriteBytesPerSecond);
        Assert.Equal(5, sda.ReadsPerSecond);
        Assert.Equal(30, sda.WritesPerSecond);

        Assert.Equal(16000000L * 1024, s.Memory.TotalBytes);
        Assert.Equal(12000000L * 1024, s.Memory.UsedBytes);   // total - available, as free(1)
        Assert.Equal(75.0, s.MemoryUsedPercent, 6);
        Assert.Equal(500000L * 1024, s.Memory.SwapUsedBytes);

        var fs = Assert.Single(s.FileSystems);
        Assert.Equal("/", fs.MountPoint);
        Assert.Equal(750, fs.UsedBytes);                      // total - free
        Assert.Equal(100.0 * 750 / 950, fs.UsedPercent, 6);   // used / (used + available), as df

        Assert.Equal(3, s.ProcessCount);
        Assert.Equal(3600.5, s.UptimeSeconds);
        Assert.Empty(s.Gpus);
        Assert.Null(s.GpuUtilizationPercent);
    }

    [Fact]
    public void A_counter_that_goes_backwards_gives_zero_not_a_negative_rate()
    {
        using var root = Machine("cpu  1 0 1 10 0 0 0 0 0 0\n", NetHeader + "  eth0: 9000 90 0 0 0 0 0 0 9000 90 0 0 0 0 0 0\n", "");
        var time = new ManualTime();
        using var sampler = new Sampler(Reader(root), time);
        sampler.Next();
        time.Advance(TimeSpan.FromSeconds(1));
        root.Write("proc/net/dev", NetHeader + "  eth0: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"); // driver reloaded
        var s = sampler.Next()!;
        Assert.Equal(0, s.Network.Single().ReceiveBytesPerSecond);
        Assert.Equal(0, s.Network.Single().TransmitBytesPerSecond);
    }

    [Fact]
    public void Inventory_reads_topology_caches_and_os_from_sysfs()
    {
        using var root = Machine("cpu  1 0 1 10 0 0 0 0 0 0\n", NetHeader, "");
        root.Write("proc/cpuinfo", "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n")
            .Write("etc/os-release", "NAME=\"Rocky Linux\"\nPRETTY_NAME=\"Rocky Linux 9.4 (Blue Onyx)\"\n")
            .Dir("sys/devices/system/node/node0").Dir("sys/devices/system/node/node1");
        for (int cpu = 0; cpu < 2; cpu++)
        {
            var c = $"sys/devices/system/cpu/cpu{cpu}";
            root.Write($"{c}/topology/physical_package_id", $"{cpu}\n").Write($"{c}/topology/core_id", "0\n")
                .Write($"{c}/cache/index0/level", "1\n").Write($"{c}/cache/index0/type", "Data\n").Write($"{c}/cache/index0/size", "48K\n").Write($"{c}/cache/index0/shared_cpu_list", $"{cpu}\n")
                .Write($"{c}/cache/index3/level", "3\n").Write($"{c}/cache/index3/type", "Unified\n").Write($"{c}/cache/index3/size", "49152K\n").Write($"{c}/cache/index3/shared_cpu_list", $"{cpu}\n");
        }
        using var sampler = new Sampler(Reader(root), new ManualTime());
        var inv = sampler.Inventory;
        Assert.Equal("node042", inv.HostName);
        Assert.Equal("Rocky Linux 9.4 (Blue Onyx)", inv.OperatingSystem);
        Assert.Equal("6.1.0-test", inv.KernelVersion);
        Assert.Equal("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", inv.CpuModel);
        Assert.Equal(2, inv.Sockets);
        Assert.Equal(2, inv.Cores);
        Assert.Equal(2, inv.Threads);
        Assert.Equal(2, inv.NumaNodes);
        var l3 = inv.Caches.Single(c => c.Level == 3);
        Assert.Equal(2, l3.Instances);                      // one L3 per socket
        Assert.Equal(2 * 48L * 1024 * 1024, inv.LastLevelCacheBytes);
        Assert.Equal(16000000L * 1024, inv.MemoryTotalBytes);
    }
}
