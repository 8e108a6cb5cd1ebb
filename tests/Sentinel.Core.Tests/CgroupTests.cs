using Sentinel.Collectors;
using Sentinel.Collectors.Gpu;
using Sentinel.Collectors.Linux;

namespace Sentinel.Tests;

public class CgroupTests
{
    private const string HostMemInfo = "MemTotal:       33554432 kB\nMemFree:        20000000 kB\nMemAvailable:   30000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n";

    private static MemorySample Memory(FakeRoot root)
    {
        root.Write("proc/meminfo", HostMemInfo).Write("proc/stat", "cpu  1 0 1 1 0 0 0 0 0 0\n");
        using var reader = new LinuxReader(root.Path, new NvidiaSmi(executable: "/nonexistent"), space: _ => null);
        var r = new RawReading();
        reader.Read(r);
        return r.Memory;
    }

    [Fact]
    public void V2_limit_is_the_total_and_usage_less_inactive_file_is_used()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "0::/kubepods/pod1/ctr\n")
            .Write("sys/fs/cgroup/cgroup.controllers", "cpu memory io\n")
            .Write("sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "1073741824\n")
            .Write("sys/fs/cgroup/kubepods/pod1/ctr/memory.current", "536870912\n")
            .Write("sys/fs/cgroup/kubepods/pod1/ctr/memory.stat", "anon 300000000\nfile 236870912\ninactive_file 134217728\nactive_file 1000\n");
        var m = Memory(root);
        Assert.True(m.CgroupLimited);
        Assert.Equal(1073741824, m.TotalBytes);
        Assert.Equal(536870912 - 134217728, m.UsedBytes);
        Assert.Equal(1073741824 - (536870912 - 134217728), m.AvailableBytes);
    }

    [Fact]
    public void V2_a_tighter_limit_on_a_parent_wins()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "0::/kubepods/pod1/ctr\n")
            .Write("sys/fs/cgroup/cgroup.controllers", "memory\n")
            .Write("sys/fs/cgroup/kubepods/pod1/memory.max", "268435456\n")
            .Write("sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "max\n")
            .Write("sys/fs/cgroup/kubepods/pod1/ctr/memory.current", "100000000\n");
        var m = Memory(root);
        Assert.Equal(268435456, m.TotalBytes);
        Assert.Equal(100000000, m.UsedBytes);
    }

    [Fact]
    public void V2_in_a_cgroup_namespace_reads_the_mount_root()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "0::/\n")
            .Write("sys/fs/cgroup/cgroup.controllers", "memory\n")
            .Write("sys/fs/cgroup/memory.max", "2147483648\n")
            .Write("sys/fs/cgroup/memory.current", "1073741824\n");
        Assert.Equal(2147483648, Memory(root).TotalBytes);
    }

    [Fact]
    public void V2_max_means_the_host_figures_stand()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "0::/user.slice\n")
            .Write("sys/fs/cgroup/cgroup.controllers", "memory\n")
            .Write("sys/fs/cgroup/user.slice/memory.max", "max\n")
            .Write("sys/fs/cgroup/user.slice/memory.current", "1073741824\n");
        var m = Memory(root);
        Assert.False(m.CgroupLimited);
        Assert.Equal(33554432L * 1024, m.TotalBytes);
        Assert.Equal((33554432L - 30000000L) * 1024, m.UsedBytes);
    }

    [Fact]
    public void A_limit_above_the_host_memory_is_ignored()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "0::/big\n")
            .Write("sys/fs/cgroup/cgroup.controllers", "memory\n")
            .Write("sys/fs/cgroup/big/memory.max", (64L << 30).ToString() + "\n")
            .Write("sys/fs/cgroup/big/memory.current", "1073741824\n");
        Assert.False(Memory(root).CgroupLimited);
    }

    [Fact]
    public void V1_limit_and_total_inactive_file()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "12:pids:/docker/abc\n4:memory:/docker/abc\n0::/\n")
            .Write("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "2147483648\n")
            .Write("sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "1073741824\n")
            .Write("sys/fs/cgroup/memory/docker/abc/memory.stat", "cache 500000000\ninactive_file 9\ntotal_inactive_file 73741824\n");
        var m = Memory(root);
        Assert.True(m.CgroupLimited);
        Assert.Equal(2147483648, m.TotalBytes);
        Assert.Equal(1000000000, m.UsedBytes);
    }

    [Fact]
    public void V1_unlimited_is_the_page_rounded_maximum()
    {
        using var root = new FakeRoot()
            .Write("proc/self/cgroup", "4:memory:/process_api/x\n")
            .Write("sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes", "9223372036854771712\n")
            .Write("sys/fs/cgroup/memory/process_api/x/memory.usage_in_bytes", "1550417920\n");
        Assert.False(Memory(root).CgroupLimited);
    }
}
