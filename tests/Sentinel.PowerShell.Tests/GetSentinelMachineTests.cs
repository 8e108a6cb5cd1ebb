using System.Management.Automation;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>Get-SentinelMachine with no master: this machine, with real values checked against /proc.</summary>
public class GetSentinelMachineTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public GetSentinelMachineTests(ModuleTests.Session session) => _ps = session.PS;

    private static string HostName => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    private static long MemInfoKb(string key)
        => long.Parse(Regex.Match(File.ReadAllText("/proc/meminfo"), $@"^{key}:\s+(\d+) kB", RegexOptions.Multiline).Groups[1].Value);

    [Fact]
    public void Returns_this_machine_with_inventory_and_a_real_sample()
    {
        var result = _ps.Invoke("Get-SentinelMachine");
        var m = Assert.Single(result);
        Assert.Equal("Sentinel.Machine", m.TypeNames[0]);
        Assert.Equal(HostName, m.Properties["Name"].Value);
        Assert.Equal("Online", m.Properties["Status"].Value.ToString());

        // Plain PowerShell over the nested objects, as a user would write it.
        Assert.Equal(Environment.ProcessorCount, (int)_ps.Invoke("(Get-SentinelMachine).Inventory.Threads")[0].BaseObject);
        Assert.Equal(Environment.ProcessorCount, _ps.Invoke("(Get-SentinelMachine).Latest.Cpu.Cores").Count);
        var total = (long)_ps.Invoke("(Get-SentinelMachine).Latest.Memory.TotalBytes")[0].BaseObject;
        var limited = (bool)_ps.Invoke("(Get-SentinelMachine).Latest.Memory.CgroupLimited")[0].BaseObject;
        if (!limited)
        {
            Assert.Equal(MemInfoKb("MemTotal") * 1024, total);
        }
        var cpu = (double)_ps.Invoke("(Get-SentinelMachine).Latest.CpuPercent")[0].BaseObject;
        Assert.InRange(cpu, 0, 100);
        var span = (double)_ps.Invoke("(Get-SentinelMachine).Latest.IntervalSeconds")[0].BaseObject;
        Assert.True(span > 0, "a sample must say over what span its rates were measured");
        var rootFs = _ps.Invoke("(Get-SentinelMachine).Latest.FileSystems | Where-Object MountPoint -eq '/'");
        Assert.Single(rootFs);
    }

    [Fact]
    public void Memory_used_tracks_proc_meminfo_within_two_percent()
    {
        var used = (double)_ps.Invoke("(Get-SentinelMachine).Latest.MemoryUsedPercent")[0].BaseObject;
        var expected = 100.0 * (MemInfoKb("MemTotal") - MemInfoKb("MemAvailable")) / MemInfoKb("MemTotal");
        Assert.InRange(used, expected - 2, expected + 2);
    }

    [Fact]
    public void Cpu_under_a_real_load_reads_high()
    {
        using var stop = new CancellationTokenSource();
        var burners = Enumerable.Range(0, Environment.ProcessorCount)
            .Select(_ => new Thread(() => { while (!stop.IsCancellationRequested) { } }) { IsBackground = true })
            .ToList();
        burners.ForEach(t => t.Start());
        try
        {
            Thread.Sleep(300);
            _ps.Invoke("Get-SentinelMachine"); // fresh baseline
            Thread.Sleep(1000);
            var cpu = (double)_ps.Invoke("(Get-SentinelMachine).Latest.CpuPercent")[0].BaseObject;
            Assert.True(cpu > 60, $"every core was busy but CpuPercent read {cpu}");
        }
        finally
        {
            stop.Cancel();
            burners.ForEach(t => t.Join());
        }
    }

    [Fact]
    public void Names_come_by_value_and_by_property_and_wildcards_match()
    {
        Assert.Single(_ps.Invoke($"'{HostName}' | Get-SentinelMachine"));
        Assert.Single(_ps.Invoke($"[pscustomobject]@{{ Name = '{HostName}' }} | Get-SentinelMachine"));
        Assert.Single(_ps.Invoke($"Get-SentinelMachine -Name '{HostName[..1]}*'"));
        Assert.Empty(_ps.Invoke("Get-SentinelMachine -Name 'no-such-machine-*'"));
    }

    [Fact]
    public void An_unknown_name_is_a_non_terminating_error_that_says_what_to_do()
    {
        var (output, errors) = _ps.InvokeWithErrors($"Get-SentinelMachine -Name 'no-such-machine', '{HostName}'");
        Assert.Single(output); // the known machine still comes out
        var error = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MachineNotFound", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("no-such-machine", error.TargetObject);
        Assert.Contains("no-such-machine", error.ToString());
        Assert.False(string.IsNullOrEmpty(error.ErrorDetails?.RecommendedAction));
    }

    [Fact]
    public void The_default_table_fits_80_columns_and_shows_the_headline_figures()
    {
        var text = _ps.Render("Get-SentinelMachine");
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "Get-SentinelMachine.table.txt"), text); // kept to look at
        var lines = text.Split('\n').Where(l => l.Trim().Length > 0).ToList();
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^Name\s+Status\s+CPU%\s+Mem%\s+Disk%\s+Net In\s+Net Out\s+GPU%"));
        var row = lines.Single(l => l.StartsWith(HostName.Length > 16 ? HostName[..13] : HostName));
        Assert.Matches(@"Online\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+[\d.]+ \w?i?B/s\s+[\d.]+ \w?i?B/s\s+-", row);
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"line is {l.TrimEnd().Length} columns: '{l}'"));
    }

    [Fact]
    public void Nested_objects_have_table_views_too()
    {
        var cores = _ps.Render("(Get-SentinelMachine).Latest.Cpu.Cores");
        Assert.Matches(@"Core\s+CPU%\s+User%\s+System%\s+Iowait%\s+Steal%\s+Idle%", cores);
        var fs = _ps.Render("(Get-SentinelMachine).Latest.FileSystems");
        Assert.Matches(@"MountPoint\s+Type\s+Size\s+Used\s+Avail\s+Use%", fs);
        Assert.Matches(@"(?m)^/\s+\w+\s+[\d.]+ \w+", fs);
        var net = _ps.Render("(Get-SentinelMachine).Latest.Network");
        Assert.Matches(@"(?m)^lo\s+", net);
    }
}
