using System.Management.Automation;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// Every error a cmdlet writes is an ErrorRecord a script can act on: a Sentinel.* id, a category, the object
/// at fault as its target, a message, and what to do about it. One row per error the cmdlets can write
/// without a master; the errors that need one are in <see cref="FleetErrorRecordTests"/>.
/// </summary>
public class ErrorRecordTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public ErrorRecordTests(ModuleTests.Session session) => _ps = session.PS;

    // script, error id, category, target (a wildcard pattern over the target's text)
    public static TheoryData<string, string, ErrorCategory, string> Errors() => new()
    {
        { "Get-SentinelMachine -Name no-such-machine", "MachineNotFound", ErrorCategory.ObjectNotFound, "no-such-machine" },
        { "Get-SentinelMetric -Name here", "NoHistory", ErrorCategory.InvalidOperation, "here" },
        { "Get-SentinelBenchmarkResult -Name Nope", "UnknownBenchmark", ErrorCategory.InvalidArgument, "Nope" },
        { "Invoke-SentinelBenchmark -Name Nope", "UnknownBenchmark", ErrorCategory.InvalidArgument, "Nope" },
        { "Invoke-SentinelBenchmark -Name Command -Command true -Parameter @{ colour = 'blue' }", "BadRequest", ErrorCategory.InvalidArgument, "Command" },
        { "Invoke-SentinelBenchmark -Name Command -Command true -Timeout 5s -Parameter @{ timeout = '1m' }", "ParameterGivenTwice", ErrorCategory.InvalidArgument, "timeout" },
        { "'elsewhere' | Invoke-SentinelBenchmark -Name Command -Command true", "MachineNotFound", ErrorCategory.ObjectNotFound, "elsewhere" },
        { "[pscustomobject]@{ Colour = 'blue' } | Invoke-SentinelBenchmark -Name Command -Command true", "NotAMachine", ErrorCategory.InvalidArgument, "*Colour=blue*" },
        { "Invoke-SentinelBenchmark -Name Command -Command 'exit 3' -Parameter @{ shell = $true }", "BenchmarkFailed", ErrorCategory.InvalidOperation, "*" },
        { "Connect-SentinelMaster -Url ftp://example", "InvalidUrl", ErrorCategory.InvalidArgument, "ftp://example" },
        { "Connect-SentinelMaster -Url http://127.0.0.1:1", "MasterUnreachable", ErrorCategory.ConnectionError, "http://127.0.0.1:1" },
        { "Start-SentinelAgent -Master 'not a url'", "InvalidUrl", ErrorCategory.InvalidArgument, "not a url" },
        { "Start-SentinelAgent -Master http://127.0.0.1:1 -Interval 0", "InvalidInterval", ErrorCategory.InvalidArgument, "00:00:00" },
        { "Start-SentinelAgent -Master http://192.0.2.1:8080 -Token secret", "InsecureMaster", ErrorCategory.SecurityError, "http://192.0.2.1:8080" },
        { "Start-SentinelMaster -Address nonsense -Port 0", "InvalidAddress", ErrorCategory.InvalidArgument, "nonsense" },
        { "Start-SentinelMaster -Port 0 -AuditRetention -1", "InvalidStoreOption", ErrorCategory.InvalidArgument, "AuditRetention" },
        { "Start-SentinelMaster -Port 0 -RawRetention 3d -RollupRetention 1d", "InvalidStoreOption", ErrorCategory.InvalidArgument, "RollupRetention" },
        { "Start-SentinelMaster -Port 0 -RecentHistory 2h", "InvalidStoreOption", ErrorCategory.InvalidArgument, "RecentHistory" },
        { "Export-SentinelReport -Path /no/such/folder/r.html", "PathNotFound", ErrorCategory.ObjectNotFound, "/no/such/folder/r.html" },
        { "$f = [IO.Path]::GetTempFileName(); try { Export-SentinelReport -Path $f } finally { [IO.File]::Delete($f) }", "FileExists", ErrorCategory.ResourceExists, "*.tmp" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_error_has_an_id_a_category_its_target_and_what_to_do(string script, string id, ErrorCategory category, string target)
    {
        var (_, errors) = _ps.InvokeWithErrors(script);
        var e = Assert.Single(errors);
        Assert.StartsWith($"Sentinel.{id},Sentinel.PowerShell.Commands.", e.FullyQualifiedErrorId);
        Assert.Equal(category, e.CategoryInfo.Category);
        Assert.NotNull(e.TargetObject);
        Assert.True(new WildcardPattern(target, WildcardOptions.IgnoreCase).IsMatch(e.TargetObject.ToString()), $"target '{e.TargetObject}' is not '{target}'");
        var message = e.ToString();
        Assert.True(message.Length > 15, $"'{message}' says too little");
        Assert.DoesNotContain("(Parameter '", message); // an ArgumentException's text is not for users
        Assert.False(string.IsNullOrWhiteSpace(e.ErrorDetails?.RecommendedAction), $"{id} does not say what to do");
    }

    [Fact]
    public void ErrorAction_Stop_makes_an_error_terminating_and_SilentlyContinue_hides_it()
    {
        Assert.Throws<ActionPreferenceStopException>(() => _ps.InvokeWithErrors("Get-SentinelMachine -Name no-such-machine -ErrorAction Stop"));
        var (output, errors) = _ps.InvokeWithErrors("Get-SentinelMachine -Name no-such-machine -ErrorAction SilentlyContinue; 'after'");
        Assert.Empty(errors);
        Assert.Equal("after", Assert.Single(output).ToString());
    }

    [Fact]
    public void A_name_that_matches_nothing_does_not_stop_the_others()
    {
        var host = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        var (output, errors) = _ps.InvokeWithErrors($"'no-such-machine', '{host}' | Get-SentinelMachine");
        Assert.Equal(host, Assert.Single(output).Properties["Name"].Value);
        Assert.Equal("no-such-machine", Assert.Single(errors).TargetObject);
    }
}

/// <summary>
/// A master with two agents, one of which is stopped: the dead machine is an error for itself alone, and the
/// pipeline goes on with the live one.
/// </summary>
public sealed class DeadMachineFleet : IDisposable
{
    public ModuleSession PS { get; } = new();
    public string DataPath { get; } = Directory.CreateTempSubdirectory("sentinel-ps-dead-").FullName;
    public const string Live = "live-node";
    public const string Dead = "dead-node";

    public DeadMachineFleet()
    {
        PS.Invoke($"$global:m = Start-SentinelMaster -Port 0 -DataPath '{DataPath}'");
        PS.Invoke($"$null = Start-SentinelAgent -Master $m.Url -Name {Live} -Interval 1s; $global:dead = Start-SentinelAgent -Master $m.Url -Name {Dead} -Interval 1s");
        LocalBenchmarkTests.WaitFor(() => PS.Invoke("Get-SentinelMachine -Status Online").Count == 2, "the agents did not come online", seconds: 30);
        // Some history for both before one goes away.
        LocalBenchmarkTests.WaitFor(() => (long)PS.Invoke("$dead.AckedSeq")[0].BaseObject >= 2, "the agent to be stopped stored no samples", seconds: 30);
        PS.Invoke("$dead | Stop-SentinelAgent");
        LocalBenchmarkTests.WaitFor(() => PS.Invoke($"(Get-SentinelMachine -Name {Dead}).Status")[0].ToString() == "Offline", "the stopped agent's machine did not go offline", seconds: 30);
    }

    public void Dispose()
    {
        try { PS.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
        PS.Dispose();
        try { Directory.Delete(DataPath, true); } catch (IOException) { }
    }
}

public class FleetErrorRecordTests : IClassFixture<DeadMachineFleet>
{
    private readonly ModuleSession _ps;
    public FleetErrorRecordTests(DeadMachineFleet fleet) => _ps = fleet.PS;

    [Fact]
    public void A_dead_machine_in_a_benchmark_is_an_error_for_it_alone_and_the_live_one_gives_its_result()
    {
        var (output, errors) = _ps.InvokeWithErrors("Get-SentinelMachine | Invoke-SentinelBenchmark -Name Network -Parameter @{ seconds = 0.5; pings = 5 }");
        var result = Assert.Single(output);
        Assert.Equal(DeadMachineFleet.Live, result.Properties["Machine"].Value);
        Assert.Equal("Completed", result.Properties["State"].Value.ToString());
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.BenchmarkFailed,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidOperation, e.CategoryInfo.Category);
        Assert.Equal(DeadMachineFleet.Dead, PSObject.AsPSObject(e.TargetObject).Properties["Machine"].Value);
        Assert.Contains($"Network failed on {DeadMachineFleet.Dead}", e.ToString());
        Assert.Contains("offline", e.ToString());
        // What to do names the machine and how to find the others like it.
        Assert.Contains(DeadMachineFleet.Dead, e.ErrorDetails.RecommendedAction);
        Assert.Contains("Get-SentinelMachine -Status Offline", e.ErrorDetails.RecommendedAction);
    }

    [Fact]
    public void History_goes_on_past_an_unknown_name_and_still_reads_the_dead_machine()
    {
        var (output, errors) = _ps.InvokeWithErrors($"'{DeadMachineFleet.Dead}', 'no-such-node', '{DeadMachineFleet.Live}' | Get-SentinelMetric -Step 1s");
        var machines = output.Select(p => p.Properties["Machine"].Value.ToString()).Distinct().Order().ToList();
        Assert.Equal([DeadMachineFleet.Dead, DeadMachineFleet.Live], machines);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MachineNotFound,", e.FullyQualifiedErrorId);
        Assert.Equal("no-such-node", e.TargetObject);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
    }

    [Fact]
    public void A_machine_the_master_never_saw_refuses_the_run_before_anything_runs()
    {
        // A typo is not a dead machine: nothing runs, so nothing half-runs.
        var before = _ps.Invoke("Get-SentinelBenchmarkResult -Last 1000").Count;
        var (output, errors) = _ps.InvokeWithErrors($"Invoke-SentinelBenchmark -Name Network -Machine {DeadMachineFleet.Live}, no-such-node");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MachineNotFound,", e.FullyQualifiedErrorId);
        Assert.Contains("no-such-node", e.ToString());
        Assert.False(string.IsNullOrWhiteSpace(e.ErrorDetails?.RecommendedAction));
        Assert.Equal(before, _ps.Invoke("Get-SentinelBenchmarkResult -Last 1000").Count);
    }
}

/// <summary>Long work through a master shows progress: reading the history of machine after machine.</summary>
public class FleetProgressTests : IClassFixture<DeadMachineFleet>
{
    private readonly ModuleSession _ps;
    public FleetProgressTests(DeadMachineFleet fleet) => _ps = fleet.PS;

    [Fact]
    public void History_of_piped_machines_shows_which_machine_is_being_read_and_completes()
    {
        var s = Streams.Of(_ps, "Get-SentinelMachine | Get-SentinelMetric -Step 10s");
        Assert.Empty(s.Errors);
        Assert.NotEmpty(s.Output);
        var progress = s.Progress.Where(p => p.Activity == "Get-SentinelMetric").ToList();
        // One record per machine, in the order they came down the pipeline, counting up.
        var reading = progress.Where(p => p.RecordType == ProgressRecordType.Processing)
            .Select(p => System.Text.RegularExpressions.Regex.Match(p.StatusDescription, @"^Reading the history of (\S+) \(machine (\d+)\)$")).ToList();
        Assert.All(reading, m => Assert.True(m.Success));
        Assert.Equal([DeadMachineFleet.Dead, DeadMachineFleet.Live], reading.Select(m => m.Groups[1].Value).Order());
        Assert.Equal(["1", "2"], reading.Select(m => m.Groups[2].Value));
        var last = progress[^1];
        Assert.Equal(ProgressRecordType.Completed, last.RecordType);
        Assert.Equal("Read the history of 2 machine(s)", last.StatusDescription);
    }
}
