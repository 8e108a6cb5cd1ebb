using System.Text.RegularExpressions;
using Sentinel.Collectors;
using Sentinel.Collectors.Linux;

namespace Sentinel.Tests;

public class ProcParsersTests
{
    [Fact]
    public void Stat_reads_the_total_and_every_core_and_stops_at_the_rest()
    {
        var total = new CpuTimes();
        var cores = new List<CpuTimes>();
        Assert.True(ProcParsers.ParseStat(TestData.Bytes("stat.server.txt"), ref total, cores));
        Assert.Equal(-1, total.Id);
        Assert.Equal(84728301UL, total.User);
        Assert.Equal(12783UL, total.Nice);
        Assert.Equal(28736451UL, total.System);
        Assert.Equal(1827364512UL, total.Idle);
        Assert.Equal(928374UL, total.Iowait);
        Assert.Equal(283746UL, total.SoftIrq);
        Assert.Equal(1234UL, total.Steal);
        Assert.Equal([0, 1, 2, 3], cores.Select(c => c.Id));
        Assert.Equal(45684113UL, cores[3].Idle);
    }

    [Fact]
    public void Stat_of_this_machine_has_one_line_per_online_cpu()
    {
        var total = new CpuTimes();
        var cores = new List<CpuTimes>();
        ProcParsers.ParseStat(File.ReadAllBytes("/proc/stat"), ref total, cores);
        Assert.Equal(File.ReadLines("/proc/stat").Count(l => Regex.IsMatch(l, @"^cpu\d+ ")), cores.Count);
    }

    [Fact]
    public void MemInfo_converts_kilobytes_and_uses_MemAvailable()
    {
        var text = TestData.Text("meminfo.vm.txt");
        long Kb(string key) => long.Parse(Regex.Match(text, $@"^{key}:\s+(\d+) kB", RegexOptions.Multiline).Groups[1].Value);
        var m = ProcParsers.ParseMemInfo(TestData.Bytes("meminfo.vm.txt"));
        Assert.Equal(Kb("MemTotal") * 1024, m.Total);
        Assert.Equal(Kb("MemAvailable") * 1024, m.Available);
        Assert.Equal(Kb("SwapTotal") * 1024, m.SwapTotal);
        Assert.True(m.HasAvailable);
    }

    [Fact]
    public void MemInfo_without_MemAvailable_falls_back_to_free_plus_buffers_plus_cached()
    {
        var old = "MemTotal:        1000 kB\nMemFree:          100 kB\nBuffers:           20 kB\nCached:           300 kB\nSwapTotal:          0 kB\n"u8;
        var m = ProcParsers.ParseMemInfo(old);
        Assert.False(m.HasAvailable);
        Assert.Equal(420 * 1024, m.Available);
    }

    [Fact]
    public void DiskStats_keeps_what_the_filter_accepts_and_reads_sectors_and_ops()
    {
        var list = new List<DiskCounters>();
        var whole = new HashSet<string> { "nvme0n1", "nvme1n1", "sda" };
        ProcParsers.ParseDiskStats(TestData.Bytes("diskstats.server.txt"), new NameCache(), whole.Contains, list);
        Assert.Equal(["nvme0n1", "nvme1n1", "sda"], list.Select(d => d.Name));
        var nvme = list[0];
        Assert.Equal(8273411UL, nvme.Reads);
        Assert.Equal(612837461UL, nvme.ReadSectors);
        Assert.Equal(31874112UL, nvme.Writes);
        Assert.Equal(1893741234UL, nvme.WriteSectors);
    }

    [Fact]
    public void NetDev_reads_both_directions_and_marks_loopback()
    {
        var list = new List<NetCounters>();
        ProcParsers.ParseNetDev(TestData.Bytes("netdev.vm.txt"), new NameCache(), list);
        var text = TestData.Text("netdev.vm.txt");
        var eth0 = Regex.Match(text, @"eth0:\s*(\d+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)\s+(\d+)");
        var parsed = list.Single(n => n.Name == "eth0");
        Assert.Equal(ulong.Parse(eth0.Groups[1].Value), parsed.RxBytes);
        Assert.Equal(ulong.Parse(eth0.Groups[2].Value), parsed.RxPackets);
        Assert.Equal(ulong.Parse(eth0.Groups[3].Value), parsed.TxBytes);
        Assert.Equal(ulong.Parse(eth0.Groups[4].Value), parsed.TxPackets);
        Assert.True(list.Single(n => n.Name == "lo").IsLoopback);
        Assert.False(parsed.IsLoopback);
    }

    [Fact]
    public void Mounts_in_a_container_keep_the_overlay_root_and_real_volumes_but_not_bind_mounted_files()
    {
        var mounts = ProcParsers.SelectRealMounts(ProcParsers.ParseMountInfo(TestData.Bytes("mountinfo.docker.txt")));
        Assert.Equal(["/", "/scratch data"], mounts.Select(m => m.MountPoint));
        Assert.Equal("overlay", mounts[0].FsType);
        Assert.Equal("xfs", mounts[1].FsType);
        Assert.Equal("/dev/nvme1n1", mounts[1].Source);
    }

    [Fact]
    public void Mounts_on_a_server_skip_pseudo_file_systems_snaps_and_bind_mounts()
    {
        var mounts = ProcParsers.SelectRealMounts(ProcParsers.ParseMountInfo(TestData.Bytes("mountinfo.server.txt")));
        Assert.Equal(["/", "/boot/efi", "/home", "/mnt/lustre", "/nfs/apps"], mounts.Select(m => m.MountPoint));
    }

    [Fact]
    public void Mounts_of_this_machine_include_the_root_file_system()
    {
        var mounts = ProcParsers.SelectRealMounts(ProcParsers.ParseMountInfo(File.ReadAllBytes("/proc/self/mountinfo")));
        Assert.Contains(mounts, m => m.MountPoint == "/");
        Assert.DoesNotContain(mounts, m => m.FsType is "proc" or "sysfs" or "tmpfs" or "devpts" or "cgroup" or "cgroup2");
    }

    [Theory]
    [InlineData("48K", 48 * 1024)]
    [InlineData("32768K", 32L * 1024 * 1024)]
    [InlineData("2M", 2L * 1024 * 1024)]
    [InlineData("512", 512)]
    [InlineData("", 0)]
    [InlineData("junk", 0)]
    public void Sizes_from_sysfs(string text, long bytes) => Assert.Equal(bytes, ProcParsers.ParseSize(text));

    [Theory]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("0-1,8-9,16", new[] { 0, 1, 8, 9, 16 })]
    [InlineData("5", new[] { 5 })]
    [InlineData("", new int[0])]
    public void Cpu_lists_from_sysfs(string text, int[] cpus) => Assert.Equal(cpus, ProcParsers.ParseCpuList(text));
}
