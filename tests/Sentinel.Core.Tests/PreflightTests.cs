using Sentinel.Benchmarks;

namespace Sentinel.Tests;

public class PreflightTests
{
    private static Inventory Machine(int threads) => new() { HostName = "test", Threads = threads };

    // /proc/stat before and after the window: 1000 ticks pass; 'busy' of them are user+system.
    private static string Stat(long user, long system, long idle, long steal = 0)
        => $"cpu  {user} 0 {system} {idle} 0 0 0 {steal} 0 0\ncpu0 {user} 0 {system} {idle} 0 0 0 {steal} 0 0\nintr 1\n";

    private static string MemInfo(long swapTotalKb, long swapFreeKb, long hugeTotal, long hugeFree)
        => $"MemTotal:       32000000 kB\nMemFree:        16000000 kB\nMemAvailable:   20000000 kB\nSwapTotal:      {swapTotalKb} kB\nSwapFree:       {swapFreeKb} kB\n"
           + $"HugePages_Total:    {hugeTotal}\nHugePages_Free:     {hugeFree}\nHugePages_Rsvd:        0\nHugepagesize:       2048 kB\n";

    private static (Dictionary<string, string> Conditions, List<string> Warnings) Run(FakeRoot root, int threads, string statAfter)
        => Preflight.CheckLinux(Machine(threads), root.Path, TimeSpan.FromMilliseconds(200),
            wait: _ => root.Write("proc/stat", statAfter), subtractOwnCpu: false);

    [Fact]
    public void Busy_server_with_powersave_swap_and_a_cpu_limit_gets_a_warning_for_each()
    {
        using var root = new FakeRoot()
            .Write("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave\n")
            .Write("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n")
            .Write("sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "powersave\n")
            .Write("sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "performance\n")
            .Dir("sys/devices/system/cpu/cpufreq")
            .Write("proc/loadavg", "3.50 2.00 1.00 5/400 12345\n")
            .Write("proc/stat", Stat(user: 1000, system: 500, idle: 10000))
            .Write("proc/meminfo", MemInfo(swapTotalKb: 4 << 20, swapFreeKb: (4 << 20) - (512 << 10), hugeTotal: 1024, hugeFree: 1000))
            .Write("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n")
            .Write("proc/self/cgroup", "0::/system.slice/bench.service\n")
            .Write("sys/fs/cgroup/system.slice/bench.service/cpu.max", "200000 100000\n")
            .Write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr\n")
            .Write("proc/1/cgroup", "0::/init.scope\n");

        // 1000 ticks pass, 400 of them busy (40%), 150 stolen (15%).
        var (c, w) = Run(root, threads: 4, statAfter: Stat(user: 1300, system: 600, idle: 10450, steal: 150));

        Assert.Equal("performance, powersave", c["governor"]);
        Assert.Equal("3.50", c["load1"]);
        Assert.Equal("40.0", c["busyPercent"]);
        Assert.Equal("15.0", c["stealPercent"]);
        Assert.Equal("always", c["transparentHugePages"]);
        Assert.Equal("1024", c["hugePagesTotal"]);
        Assert.Equal("1000", c["hugePagesFree"]);
        Assert.Equal("2097152", c["hugePageBytes"]);
        Assert.Equal((512L << 20).ToString(), c["swapUsedBytes"]);
        Assert.Equal("2", c["cpuLimit"]);
        Assert.Equal("no", c["container"]);
        Assert.Equal("no", c["virtualMachine"]);

        Assert.Contains(w, x => x.Contains("'powersave' on 2 of 4 CPUs", StringComparison.Ordinal));
        Assert.Contains(w, x => x.Contains("load average is 3.50 on 4 threads", StringComparison.Ordinal));
        Assert.Contains(w, x => x.Contains("Other work used 40%", StringComparison.Ordinal));
        Assert.Contains(w, x => x.Contains("15%", StringComparison.Ordinal) && x.Contains("steal", StringComparison.Ordinal));
        Assert.Contains(w, x => x.Contains("512.0 MiB of swap", StringComparison.Ordinal));
        Assert.Contains(w, x => x.Contains("may use 2 CPUs of the 4 threads", StringComparison.Ordinal));
        Assert.Equal(6, w.Count);
    }

    [Fact]
    public void Quiet_vm_in_a_container_without_cpufreq_has_no_warnings()
    {
        using var root = new FakeRoot()
            .Write("sys/devices/system/cpu/cpu0/topology/core_id", "0\n")
            .Write("sys/devices/system/cpu/cpu1/topology/core_id", "1\n")
            .Write("proc/loadavg", "0.10 0.20 0.30 1/100 999\n")
            .Write("proc/stat", Stat(user: 1000, system: 500, idle: 10000))
            .Write("proc/meminfo", TestData.Text("meminfo.vm.txt"))
            .Write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n")
            .Write("proc/self/cgroup", "0::/\n")
            .Write("sys/fs/cgroup/cpu.max", "max 100000\n")
            .Write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n")
            .Write(".dockerenv", "");

        // 1000 ticks, 20 busy (2%).
        var (c, w) = Run(root, threads: 2, statAfter: Stat(user: 1015, system: 505, idle: 10980));

        Assert.Empty(w);
        Assert.Equal("unavailable", c["governor"]);
        Assert.Equal("0.10", c["load1"]);
        Assert.Equal("2.0", c["busyPercent"]);
        Assert.Equal("0.0", c["stealPercent"]);
        Assert.Equal("madvise", c["transparentHugePages"]);
        Assert.Equal("0", c["hugePagesTotal"]);
        Assert.Equal("0", c["swapUsedBytes"]);
        Assert.Equal("none", c["cpuLimit"]);
        Assert.Equal("docker", c["container"]);
        Assert.Equal("yes", c["virtualMachine"]);
        Assert.Equal("2", c["threads"]);
    }

    [Fact]
    public void Dmi_names_the_hypervisor_and_an_empty_tree_is_unavailable_not_an_error()
    {
        using var named = new FakeRoot()
            .Write("sys/class/dmi/id/sys_vendor", "QEMU\n")
            .Write("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
        var (c, w) = Preflight.CheckLinux(Machine(8), named.Path, TimeSpan.Zero, _ => { }, subtractOwnCpu: false);
        Assert.Equal("yes (QEMU)", c["virtualMachine"]);
        Assert.Equal("unavailable", c["governor"]);
        Assert.Equal("unavailable", c["load1"]);
        Assert.Equal("unavailable", c["busyPercent"]);
        Assert.Equal("unavailable", c["transparentHugePages"]);
        Assert.Equal("unavailable", c["swapUsedBytes"]);
        Assert.Empty(w);
    }

    [Fact]
    public void This_machine_is_checked_in_about_the_window()
    {
        var (c, _) = Preflight.Check(Machine(Environment.ProcessorCount));
        foreach (var key in new[] { "threads", "governor", "load1", "busyPercent", "transparentHugePages", "hugePagesTotal", "swapUsedBytes", "container", "virtualMachine" })
        {
            Assert.True(c.ContainsKey(key), key);
        }
        Assert.True(double.TryParse(c["busyPercent"], System.Globalization.CultureInfo.InvariantCulture, out var busy) && busy is >= 0 and <= 100, c["busyPercent"]);
        Assert.Equal(File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Split('[', ']')[1], c["transparentHugePages"]);
    }
}
