using System.Management.Automation;

namespace Sentinel.PowerShell.Tests;

/// <summary>Tab as users press it, through the engine's own completion (what TabExpansion2 calls).</summary>
internal static class Tab
{
    public static List<CompletionResult> Complete(ModuleSession session, string line)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        return CommandCompletion.CompleteInput(line, line.Length, null, ps).CompletionMatches.ToList();
    }

    public static List<string> Texts(ModuleSession session, string line) => Complete(session, line).Select(c => c.CompletionText).ToList();
}

/// <summary>Completion with no master connected: the local machine's name, the benchmarks and their parameters.</summary>
public class LocalCompletionTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public LocalCompletionTests(ModuleTests.Session session) => _ps = session.PS;

    private static string HostName => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    [Fact]
    public void Machine_names_complete_to_this_machine_when_no_master_is_connected()
    {
        var prefix = HostName[..Math.Min(2, HostName.Length)];
        var result = Assert.Single(Tab.Complete(_ps, $"Get-SentinelMachine -Name {prefix}"));
        Assert.Equal(HostName, result.ListItemText);
        Assert.Contains("no master connected", result.ToolTip);
        Assert.Empty(Tab.Complete(_ps, "Get-SentinelMachine -Name zz-no-such-"));
        // What it completes is what the cmdlet finds.
        Assert.Equal(HostName, _ps.Invoke($"(Get-SentinelMachine -Name {result.CompletionText}).Name")[0].ToString());
    }

    [Fact]
    public void Parameter_completes_each_parameter_of_the_named_benchmark_as_a_hashtable_to_edit()
    {
        var results = Tab.Complete(_ps, "Invoke-SentinelBenchmark -Name Cpu -Parameter ");
        Assert.Equal(["repetitions", "seconds", "threads"], results.Select(r => r.ListItemText).Order());
        foreach (var r in results)
        {
            // Each completion is PowerShell that makes a hashtable holding that one parameter.
            var keys = _ps.Invoke($"({r.CompletionText}).Keys").Select(k => k.ToString()).ToList();
            Assert.Equal([r.ListItemText], keys);
            Assert.Contains("Default:", r.ToolTip);
        }
        Assert.Equal("@{ seconds = '2' }", results.Single(r => r.ListItemText == "seconds").CompletionText);
        // A default that is a description, not a value, is left to fill in.
        Assert.Equal("@{ threads = '' }", results.Single(r => r.ListItemText == "threads").CompletionText);
    }

    [Fact]
    public void Parameter_completion_follows_the_benchmark_given_positionally_in_either_name_form()
    {
        Assert.Contains("@{ pings = '50' }", Tab.Texts(_ps, "Invoke-SentinelBenchmark network -Parameter "));
        Assert.Contains("@{ secondsPerSize = '0.2' }", Tab.Texts(_ps, "Invoke-SentinelBenchmark memory-latency -Parameter "));
        Assert.Equal(["@{ repetitions = '10' }"], Tab.Texts(_ps, "Invoke-SentinelBenchmark -Name MemoryBandwidth -Parameter rep"));
    }

    [Fact]
    public void JobId_completes_nothing_without_a_master()
    {
        _ps.Invoke("$null = Invoke-SentinelBenchmark -Name Command -Command true");
        Assert.Empty(Tab.Complete(_ps, "Get-SentinelBenchmarkResult -JobId "));
    }

    [Fact]
    public void Parameter_completes_nothing_until_the_benchmark_is_known()
    {
        Assert.Empty(Tab.Complete(_ps, "Invoke-SentinelBenchmark -Parameter "));
        Assert.Empty(Tab.Complete(_ps, "Invoke-SentinelBenchmark -Name NoSuch -Parameter "));
    }

    [Fact]
    public void Parameter_names_complete_with_their_usual_spelling()
    {
        Assert.Equal(["-AsJob"], Tab.Texts(_ps, "Invoke-SentinelBenchmark -AsJ"));
        Assert.Contains("-PassThru", Tab.Texts(_ps, "Export-SentinelReport -Pa"));
        Assert.Contains("-Credential", Tab.Texts(_ps, "Connect-SentinelMaster -Cred"));
    }
}

/// <summary>Completion against a real master and agent on loopback: the machine names come from the master.</summary>
public class FleetCompletionTests : IClassFixture<FleetSession>
{
    private readonly ModuleSession _ps;
    public FleetCompletionTests(FleetSession fleet) => _ps = fleet.PS;

    [Theory]
    [InlineData("Get-SentinelMachine -Name ps-")]
    [InlineData("Get-SentinelMachine ps")]
    [InlineData("Get-SentinelMetric -Name ps-a")]
    [InlineData("Invoke-SentinelBenchmark -Name Cpu -Machine p")]
    [InlineData("Get-SentinelBenchmarkResult -Machine ps-ag")]
    [InlineData("Get-SentinelMachine -Name 'ps-")]
    [InlineData("Get-SentinelMachine -Name *agent")]
    [InlineData("Invoke-SentinelCommand -Name ps-")]
    [InlineData("Invoke-SentinelCommand 'uptime' -Machine ps-a")]
    [InlineData("Get-SentinelAlert -Machine ps")]
    [InlineData("Get-SentinelAuditLog -Machine ps-")]
    public void Machine_names_come_from_the_connected_master(string line)
    {
        var result = Assert.Single(Tab.Complete(_ps, line));
        Assert.Equal(FleetSession.AgentName, result.ListItemText);
        Assert.Contains("Online", result.ToolTip);
        Assert.Contains(_ps.Invoke("$m.Url")[0].ToString(), result.ToolTip);
    }

    [Fact]
    public void JobId_completes_the_masters_jobs_newest_first_saying_what_each_ran()
    {
        var first = _ps.Invoke($"(Invoke-SentinelBenchmark -Name Network -Machine {FleetSession.AgentName} -Parameter @{{ seconds = 0.5; pings = 3 }}).JobId")[0].ToString();
        var second = _ps.Invoke($"(Invoke-SentinelBenchmark -Name Network -Machine {FleetSession.AgentName} -Parameter @{{ seconds = 0.5; pings = 3 }}).JobId")[0].ToString();
        var results = Tab.Complete(_ps, "Get-SentinelBenchmarkResult -JobId ");
        var ids = results.Select(r => r.ListItemText).ToList();
        Assert.True(ids.IndexOf(second) >= 0 && ids.IndexOf(second) < ids.IndexOf(first), $"the newer job {second} should come before {first}: {string.Join(", ", ids)}");
        Assert.StartsWith($"Network on {FleetSession.AgentName}, ", results.Single(r => r.ListItemText == first).ToolTip);
        Assert.Equal([first], Tab.Texts(_ps, "Get-SentinelBenchmarkResult -JobId " + first[..Math.Min(first.Length, 12)]).Where(t => t == first));
        // What it completes is what the cmdlet takes.
        Assert.Equal(first, _ps.Invoke($"(Get-SentinelBenchmarkResult -JobId {first}).JobId")[0].ToString());
    }

    [Fact]
    public void A_prefix_no_machine_has_completes_nothing()
    {
        Assert.Empty(Tab.Complete(_ps, "Get-SentinelMachine -Name zz"));
    }
}
