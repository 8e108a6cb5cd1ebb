using System.Diagnostics;
using System.Management.Automation;

namespace Sentinel.PowerShell.Tests;

/// <summary>What one script wrote to each stream.</summary>
public sealed record Streams(List<PSObject> Output, List<ErrorRecord> Errors, List<ProgressRecord> Progress, List<WarningRecord> Warnings, List<InformationRecord> Information)
{
    public static Streams Of(ModuleSession session, string script)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript(script);
        var output = ps.Invoke().ToList();
        return new Streams(output, ps.Streams.Error.ToList(), ps.Streams.Progress.ToList(), ps.Streams.Warning.ToList(), ps.Streams.Information.ToList());
    }
}

/// <summary>
/// Invoke-SentinelBenchmark and Get-SentinelBenchmarkResult with no master: this machine, in-process.
/// The Command benchmark keeps runs short and their figures known (sh prints what the test asks for).
/// </summary>
public class LocalBenchmarkTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public LocalBenchmarkTests(ModuleTests.Session session) => _ps = session.PS;

    private static string HostName => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    // echo '{"x":1,"run":"<marker>"}': JSON on stdout, kept as the result's Data.
    private static string Json(string marker) => $"-Name Command -Command echo -ArgumentList '''{{\"x\":1,\"run\":\"{marker}\"}}'''";

    [Fact]
    public void With_no_machines_the_benchmark_runs_on_this_machine_and_returns_its_result()
    {
        var r = Assert.Single(_ps.Invoke($"Invoke-SentinelBenchmark {Json("local")}"));
        Assert.Equal("Sentinel.BenchmarkResult", r.TypeNames[0]);
        Assert.Equal("Command", r.Properties["Benchmark"].Value);
        Assert.Equal(HostName, r.Properties["Machine"].Value);
        Assert.Equal("Completed", r.Properties["State"].Value.ToString());
        Assert.Null(r.Properties["JobId"].Value);
        Assert.Equal("echo", _ps.Invoke($"(Invoke-SentinelBenchmark {Json("p")}).Parameters['command']")[0].ToString());
        var data = _ps.Invoke($"$r = Invoke-SentinelBenchmark {Json("data")}; $r.Data.GetProperty('x').GetInt32(); $r.Data.GetProperty('run').GetString(); $r.Values['exitCode']");
        Assert.Equal([1, "data", 0.0], data.Select(o => o.BaseObject));
    }

    [Fact]
    public void CLI_names_of_benchmarks_work_too()
    {
        var r = Assert.Single(_ps.Invoke("Invoke-SentinelBenchmark -Name command -Command true"));
        Assert.Equal("Command", r.Properties["Benchmark"].Value);
    }

    [Fact]
    public void Progress_has_an_overall_record_and_one_child_per_machine_that_completes()
    {
        var s = Streams.Of(_ps, $"Invoke-SentinelBenchmark {Json("progress")}");
        Assert.Empty(s.Errors);
        Assert.Single(s.Output);
        var overall = s.Progress.Where(p => p.ParentActivityId == -1).ToList();
        Assert.NotEmpty(overall);
        Assert.All(overall, p => Assert.Equal("Command on 1 machine", p.Activity));
        Assert.Equal(ProgressRecordType.Completed, overall[^1].RecordType);
        Assert.Equal("1 done", overall[^1].StatusDescription);
        var children = s.Progress.Where(p => p.ParentActivityId == overall[0].ActivityId).ToList();
        Assert.NotEmpty(children);
        Assert.All(children, p => Assert.Equal($"Command on {HostName}", p.Activity));
        Assert.All(children, p => Assert.InRange(p.PercentComplete, 0, 100));
        Assert.Contains(children, p => p.RecordType == ProgressRecordType.Processing && p.StatusDescription.StartsWith("running echo", StringComparison.Ordinal));
        var last = children[^1];
        Assert.Equal(ProgressRecordType.Completed, last.RecordType);
        Assert.Equal(100, last.PercentComplete);
        Assert.Single(children.Select(p => p.ActivityId).Distinct());
    }

    [Fact]
    public void Threads_reaches_the_benchmarks_that_read_it()
    {
        var r = Assert.Single(_ps.Invoke("Invoke-SentinelBenchmark Cpu -Threads 1 -Parameter @{ seconds = 0.05; repetitions = 1 }"));
        Assert.Equal("Completed", r.Properties["State"].Value.ToString());
        var figures = _ps.Invoke("$r = Invoke-SentinelBenchmark Cpu -Threads 1 -Parameter @{ seconds = 0.05; repetitions = 1 }; $r.Parameters['threads']; $r.Parameters['seconds']; $r.Values['intSingleMops']");
        Assert.Equal("1", figures[0].ToString());
        Assert.Equal("0.05", figures[1].ToString());
        Assert.True((double)figures[2].BaseObject > 0);
    }

    [Fact]
    public void Path_here_is_a_PowerShell_path_relative_to_the_current_location()
    {
        var dir = Directory.CreateTempSubdirectory("sentinel-ps-disk-").FullName;
        Directory.CreateDirectory(System.IO.Path.Combine(dir, "sub"));
        try
        {
            var path = _ps.Invoke($"$global:before = $ExecutionContext.SessionState.Path.CurrentLocation; $null = $ExecutionContext.SessionState.Path.SetLocation('{dir}'); (Invoke-SentinelBenchmark Disk -Path sub -Parameter @{{ fileBytes = '1M'; randomSeconds = 0 }}).Parameters['path']");
            Assert.Equal(System.IO.Path.Combine(dir, "sub"), path[0].ToString());
            Assert.Empty(Directory.GetFileSystemEntries(System.IO.Path.Combine(dir, "sub"))); // the test file is gone
        }
        finally
        {
            _ps.Invoke("$null = $ExecutionContext.SessionState.Path.SetLocation($before.Path)");
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void WhatIf_names_where_it_would_run_and_runs_nothing()
    {
        _ps.Host.TakeOutput();
        var before = _ps.Invoke("Get-SentinelBenchmarkResult -Last 1000").Count;
        Assert.Empty(_ps.Invoke("Invoke-SentinelBenchmark Command -Command true -WhatIf"));
        Assert.Contains("What if: Performing the operation \"Run Command\" on target \"this machine, in this process\"", _ps.Host.TakeOutput());
        Assert.Equal(before, _ps.Invoke("Get-SentinelBenchmarkResult -Last 1000").Count);
    }

    [Fact]
    public void An_unknown_benchmark_is_refused_naming_the_real_ones()
    {
        var (output, errors) = _ps.InvokeWithErrors("Invoke-SentinelBenchmark -Name MemoryBandwith");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.Equal("Sentinel.UnknownBenchmark,Sentinel.PowerShell.Commands.InvokeSentinelBenchmarkCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Equal("MemoryBandwith", e.TargetObject);
        foreach (var name in new[] { "'MemoryBandwith'", "MemoryBandwidth", "MemoryLatency", "Cpu", "Disk", "Network", "Command" })
        {
            Assert.Contains(name, e.ToString());
        }
    }

    [Fact]
    public void A_parameter_the_benchmark_does_not_take_is_refused_by_name_before_anything_runs()
    {
        var (output, errors) = _ps.InvokeWithErrors("Invoke-SentinelBenchmark Command -Command true -Parameter @{ colour = 'blue' }");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.BadRequest,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains("'colour' is not a parameter", e.ToString());
        Assert.Contains("arguments, command, shell, timeout, workingDirectory", e.ToString());

        // The convenience parameters are names on the wire too: Command takes no threads.
        var (_, threads) = _ps.InvokeWithErrors("Invoke-SentinelBenchmark Command -Command true -Threads 2");
        Assert.Contains("'threads' is not a parameter", Assert.Single(threads).ToString());
    }

    [Fact]
    public void A_failed_run_is_an_error_whose_target_is_the_result_and_not_output()
    {
        var (output, errors) = _ps.InvokeWithErrors("Invoke-SentinelBenchmark Command -Command sh -ArgumentList \"-c 'echo oops >&2; exit 3'\"");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.Equal("Sentinel.BenchmarkFailed,Sentinel.PowerShell.Commands.InvokeSentinelBenchmarkCommand", e.FullyQualifiedErrorId);
        Assert.StartsWith($"Command failed on {HostName}: ", e.ToString());
        Assert.Contains("exited with code 3: oops", e.ToString());
        var target = PSObject.AsPSObject(e.TargetObject);
        Assert.Equal("Sentinel.BenchmarkResult", target.TypeNames[0]);
        Assert.Equal("Failed", target.Properties["State"].Value.ToString());
        Assert.False(string.IsNullOrEmpty(e.ErrorDetails?.RecommendedAction));
    }

    [Fact]
    public void Parameter_values_reach_the_benchmark_as_invariant_text()
    {
        var p = _ps.Invoke("(Invoke-SentinelBenchmark Command -Command 'exit 0' -Parameter @{ shell = $true; timeout = [TimeSpan]::FromSeconds(90) }).Parameters");
        var parameters = (System.Collections.IDictionary)p[0].BaseObject;
        Assert.Equal("true", parameters["shell"]);
        Assert.Equal("90s", parameters["timeout"]);
        Assert.Equal("exit 0", parameters["command"]);
        foreach (var (arg, text) in new[] { ("1.5", "1.5s"), ("2m", "2m"), ("90", "90s"), ("500ms", "500ms") })
        {
            Assert.Equal(text, _ps.Invoke($"(Invoke-SentinelBenchmark Command -Command true -Timeout {arg}).Parameters['timeout']")[0].ToString());
        }
        // A number in -Parameter is invariant text, whatever the culture ("1.5", never "1,5").
        var (_, errors) = _ps.InvokeWithErrors("[System.Threading.Thread]::CurrentThread.CurrentCulture = 'de-DE'; Invoke-SentinelBenchmark Command -Command true -Parameter @{ timeout = 1.5 }");
        Assert.Empty(errors);
    }

    [Fact]
    public void A_parameter_given_twice_is_refused()
    {
        var (output, errors) = _ps.InvokeWithErrors("Invoke-SentinelBenchmark Command -Command true -Timeout 5s -Parameter @{ Timeout = '1m' }");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.ParameterGivenTwice,", e.FullyQualifiedErrorId);
        Assert.Contains("-Timeout", e.ToString());
    }

    [Fact]
    public void Without_a_master_another_machine_cannot_be_reached()
    {
        var (output, errors) = _ps.InvokeWithErrors("'elsewhere' | Invoke-SentinelBenchmark Command -Command true");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MachineNotFound,", e.FullyQualifiedErrorId);
        Assert.Contains("'elsewhere' is not this machine", e.ToString());
        // This machine's own name is fine, piped as an object from Get-SentinelMachine.
        var r = Assert.Single(_ps.Invoke("Get-SentinelMachine | Invoke-SentinelBenchmark -Name Command -Command true"));
        Assert.Equal(HostName, r.Properties["Machine"].Value);
    }

    [Fact]
    public void An_empty_pipeline_runs_nothing_and_says_so()
    {
        var s = Streams.Of(_ps, "Get-SentinelMachine -Name no-such-machine* | Invoke-SentinelBenchmark Command -Command true");
        Assert.Empty(s.Output);
        Assert.Empty(s.Errors);
        Assert.Contains("No machines came through the pipeline", Assert.Single(s.Warnings).Message);
    }

    [Fact]
    public void Get_SentinelBenchmarkResult_without_a_master_returns_this_sessions_results_newest_first()
    {
        var marker = Guid.NewGuid().ToString("N");
        _ps.Invoke($"Invoke-SentinelBenchmark {Json(marker + "-1")}; Invoke-SentinelBenchmark {Json(marker + "-2")}");
        var mine = _ps.Invoke("Get-SentinelBenchmarkResult -Name Command -Last 1000")
            .Select(r => r.Properties["Output"].Value?.ToString() ?? "").Where(o => o.Contains(marker)).ToList();
        Assert.Equal(2, mine.Count);
        Assert.Contains(marker + "-2", mine[0]);
        Assert.Contains(marker + "-1", mine[1]);
        Assert.DoesNotContain(_ps.Invoke("Get-SentinelBenchmarkResult -Name Network"), r => (r.Properties["Output"].Value?.ToString() ?? "").Contains(marker));
        Assert.Single(_ps.Invoke("Get-SentinelBenchmarkResult -Last 1"));
        Assert.Empty(_ps.Invoke($"Get-SentinelBenchmarkResult -Since ([DateTime]::Now.AddMinutes(5))"));

        var (_, errors) = _ps.InvokeWithErrors("Get-SentinelBenchmarkResult -Name Nope");
        Assert.StartsWith("Sentinel.UnknownBenchmark,", Assert.Single(errors).FullyQualifiedErrorId);
        var metrics = Streams.Of(_ps, "Get-SentinelBenchmarkResult -Last 1 -IncludeMetrics");
        Assert.Contains("needs a master", Assert.Single(metrics.Warnings).Message);
    }

    [Fact]
    public void AsJob_returns_a_job_at_once_whose_results_Receive_Job_gives()
    {
        var gate = Path.Combine(Path.GetTempPath(), "sentinel-ps-gate-" + Guid.NewGuid().ToString("N"));
        try
        {
            var job = Assert.Single(_ps.Invoke($"$global:j1 = Invoke-SentinelBenchmark Command -Command sh -ArgumentList \"-c 'while [ ! -e {gate} ]; do sleep 0.2; done; echo {{}}'\" -AsJob; $j1"));
            // The run cannot end before the test opens the gate, so the cmdlet returned while it ran.
            Assert.Equal("Running", _ps.Invoke("$j1.State")[0].ToString());
            Assert.IsAssignableFrom<Job>(job.BaseObject);
            Assert.Equal("SentinelBenchmarkJob", job.Properties["PSJobTypeName"].Value);
            Assert.Equal("local machine", job.Properties["Location"].Value);
            Assert.Contains(_ps.Invoke("Get-Job").Select(o => o.BaseObject), o => ReferenceEquals(o, job.BaseObject));
            // Get-Job's own view: its 15-character type column cuts the name short.
            var shown = _ps.Render("Get-Job -Id $j1.Id");
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(shown, @"Job\d+\s+SentinelBenchm\S*\s+(Running|Completed)\s+\w+\s+local mac"), shown);

            File.WriteAllText(gate, "");
            var s = Streams.Of(_ps, "$j1 | Wait-Job -Timeout 30 | Receive-Job");
            Assert.Empty(s.Errors);
            var r = Assert.Single(s.Output);
            Assert.Equal("Sentinel.BenchmarkResult", r.TypeNames[0]);
            Assert.Equal("Completed", r.Properties["State"].Value.ToString());
            Assert.Contains(s.Progress, p => p.Activity == "Command on 1 machine");
            Assert.Equal("Completed", _ps.Invoke("$j1.State")[0].ToString());
            Assert.Equal("1 completed, 0 failed", _ps.Invoke("$j1.StatusMessage")[0].ToString());
            Assert.False((bool)_ps.Invoke("$j1.HasMoreData")[0].BaseObject);
            _ps.Invoke("Remove-Job $j1");
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public void A_job_whose_run_fails_is_Failed_with_the_Sentinel_error_once()
    {
        var s = Streams.Of(_ps, "Invoke-SentinelBenchmark Command -Command false -AsJob | Wait-Job -Timeout 30 | Receive-Job");
        Assert.Empty(s.Output);
        Assert.StartsWith("Sentinel.BenchmarkFailed", Assert.Single(s.Errors).FullyQualifiedErrorId);

        var refused = Streams.Of(_ps, "$global:j2 = Invoke-SentinelBenchmark Command -Command true -Parameter @{ nosuch = 1 } -AsJob; $j2 | Wait-Job -Timeout 30 | Receive-Job");
        var e = Assert.Single(refused.Errors);
        Assert.StartsWith("Sentinel.BadRequest", e.FullyQualifiedErrorId);
        Assert.Contains("'nosuch'", e.ToString());
        Assert.Equal("Failed", _ps.Invoke("$j2.State")[0].ToString());
    }

    [Fact]
    public void Stop_Job_cancels_the_run_and_the_job_is_Stopped()
    {
        var tag = Testing.ProcessTable.UniqueSleep();
        _ps.Invoke($"$global:j3 = Invoke-SentinelBenchmark Command -Command sleep -ArgumentList {tag} -AsJob");
        WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 1, "the job's sleep did not start");
        _ps.Invoke("Stop-Job $j3");
        Assert.Equal("Stopped", _ps.Invoke("$j3.State")[0].ToString()); // a 300 s sleep: only the stop ends it now
        WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 0, "the sleep outlived Stop-Job");
        var s = Streams.Of(_ps, "Receive-Job $j3");
        Assert.Empty(s.Output);
        Assert.Empty(s.Errors); // the user stopped it: a cancelled run is no error then
    }

    [Fact]
    public void Ctrl_C_cancels_the_run_quietly()
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _ps.Runspace;
        var tag = Testing.ProcessTable.UniqueSleep();
        ps.AddScript($"Invoke-SentinelBenchmark Command -Command sleep -ArgumentList {tag}");
        var running = ps.BeginInvoke();
        WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 1, "the run did not start");
        ps.Stop(); // a 300 s sleep: only the stop can end the run now
        Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "Ctrl+C did not stop the run");
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 0, "the sleep outlived Ctrl+C");
        Assert.Empty(ps.Streams.Error);
    }

    [Fact]
    public void Tab_completes_benchmark_names()
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _ps.Runspace;
        foreach (var line in new[] { "Invoke-SentinelBenchmark -Name Mem", "Get-SentinelBenchmarkResult mem" })
        {
            var completion = CommandCompletion.CompleteInput(line, line.Length, null, ps);
            Assert.Equal(["MemoryBandwidth", "MemoryLatency"], completion.CompletionMatches.Select(c => c.CompletionText).Order());
        }
    }

    [Fact]
    public void Figures_shows_the_first_figures_that_fit()
    {
        var script = "$v = [ordered]@{ copyGBs = 11.234; scaleGBs = 10.9; addGBs = 12.1; triadGBs = 12.34; readGBs = 14 }; ";
        Assert.Equal("copyGBs 11.2, scaleGBs 10.9", _ps.Invoke(script + "[Sentinel.PowerShell.Format]::Figures($v)")[0].ToString());
        Assert.Equal("copyGBs 11.2, scaleGBs 10.9, addGBs 12.1, triadGBs 12.3", _ps.Invoke(script + "[Sentinel.PowerShell.Format]::Figures($v, 80)")[0].ToString());
        Assert.Equal("latencyNs 0.482, iops 211194, exitCode 0", _ps.Invoke("[Sentinel.PowerShell.Format]::Figures([ordered]@{ latencyNs = 0.4821; iops = 211194.2; exitCode = 0 }, 80)")[0].ToString());
        Assert.Equal("-", _ps.Invoke("[Sentinel.PowerShell.Format]::Figures($null)")[0].ToString());
        // In the result table the headline figure, the one machines are compared by, comes first.
        Assert.Equal("triadGBs 12.3, copyGBs 11.2", _ps.Invoke(script + "[Sentinel.PowerShell.Format]::Figures($v, 'MemoryBandwidth')")[0].ToString());
        Assert.Equal("copyGBs 11.2, scaleGBs 10.9", _ps.Invoke(script + "[Sentinel.PowerShell.Format]::Figures($v, 'Command')")[0].ToString());
    }

    [Fact]
    public void A_result_renders_as_a_table_row_within_80_columns()
    {
        var text = _ps.Render($"Invoke-SentinelBenchmark {Json("table")}");
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(text, @"Machine\s+Benchmark\s+State\s+Figures\s+Seconds"), text);
        Assert.Matches(@"Command\s+Completed\s+exitCode 0\s+\d+\.\d", text);
        Assert.All(text.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 80, $"a {l.TrimEnd().Length}-column line: {l}"));
    }

    internal static void WaitFor(Func<bool> condition, string failure, double seconds = 20)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(seconds), failure);
            Thread.Sleep(50);
        }
    }
}

/// <summary>
/// A master and two agents started in the session with the cmdlets. The agents sample every second: a machine
/// is offline after three silent intervals, and 300 ms ones can pass unsampled while the whole suite runs in parallel.
/// </summary>
public sealed class BenchmarkFleetSession : IDisposable
{
    public ModuleSession PS { get; } = new();
    public string DataPath { get; } = Directory.CreateTempSubdirectory("sentinel-ps-bench-").FullName;
    public const string FirstAgent = "bench-a";
    public const string SecondAgent = "bench-b";

    public BenchmarkFleetSession()
    {
        PS.Invoke($"$global:m = Start-SentinelMaster -Port 0 -DataPath '{DataPath}'");
        PS.Invoke($"Start-SentinelAgent -Master $m.Url -Name {FirstAgent} -Interval 1s; Start-SentinelAgent -Master $m.Url -Name {SecondAgent} -Interval 1s");
        LocalBenchmarkTests.WaitFor(() => PS.Invoke("Get-SentinelMachine -Status Online").Count == 2, "the agents did not come online", seconds: 30);
    }

    public void Dispose()
    {
        try { PS.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
        PS.Dispose();
        try { Directory.Delete(DataPath, true); } catch (IOException) { }
    }
}

/// <summary>
/// Benchmarks through a master on machines piped in. The agents run Network (against the master, half a
/// second each way): the Command benchmark is not for machines whose agents were not allowed to run programs.
/// </summary>
public class FleetBenchmarkTests : IClassFixture<BenchmarkFleetSession>
{
    private readonly ModuleSession _ps;
    public FleetBenchmarkTests(BenchmarkFleetSession session) => _ps = session.PS;

    private static readonly string[] Machines = [BenchmarkFleetSession.FirstAgent, BenchmarkFleetSession.SecondAgent];

    private const string Network = "-Name Network -Parameter @{ seconds = 0.5; pings = 5 }";

    private static string MachineOf(PSObject result) => (string)result.Properties["Machine"].Value;

    [Fact]
    public void Piped_machines_each_give_one_result_from_one_master_job()
    {
        var s = Streams.Of(_ps, $"$global:rs = Get-SentinelMachine | Invoke-SentinelBenchmark {Network}; $rs");
        Assert.Empty(s.Errors);
        Assert.Equal(Machines.Order(), s.Output.Select(MachineOf).Order());
        Assert.All(s.Output, r => Assert.Equal("Completed", r.Properties["State"].Value.ToString()));
        Assert.All(_ps.Invoke("$rs | ForEach-Object { $_.Values['uploadMbps']; $_.Values['downloadMbps'] }"), v => Assert.True((double)v.BaseObject > 0));
        Assert.All(_ps.Invoke("$rs | ForEach-Object { $_.Parameters['target'] }"), t => Assert.StartsWith(_ps.Invoke("$m.Url")[0].ToString(), t.ToString()));
        var jobIds = s.Output.Select(r => (string)r.Properties["JobId"].Value).Distinct().ToList();
        Assert.False(string.IsNullOrEmpty(Assert.Single(jobIds)));

        var overall = s.Progress.Where(p => p.ParentActivityId == -1).ToList();
        Assert.All(overall, p => Assert.Equal("Network on 2 machines", p.Activity));
        Assert.Equal("2 done", overall[^1].StatusDescription);
        Assert.Equal(ProgressRecordType.Completed, overall[^1].RecordType);
        var children = s.Progress.Where(p => p.ParentActivityId == overall[0].ActivityId).ToList();
        Assert.Equal(Machines.Select(m => "Network on " + m).Order(), children.Select(p => p.Activity).Distinct().Order());
        Assert.Equal(2, children.Select(p => p.ActivityId).Distinct().Count());
        Assert.Equal(2, children.Count(p => p.RecordType == ProgressRecordType.Completed));
        Assert.Contains(children, p => p.StatusDescription is "upload" or "download" && p.PercentComplete is > 0 and < 100);
        Assert.Matches(@"bench-b\s+Network\s+Completed\s+rttMedianMs \d", _ps.Render("$rs"));
    }

    [Fact]
    public void Names_can_be_piped_or_given_with_Machine()
    {
        var piped = Assert.Single(_ps.Invoke($"'{BenchmarkFleetSession.SecondAgent}' | Invoke-SentinelBenchmark {Network}"));
        Assert.Equal(BenchmarkFleetSession.SecondAgent, MachineOf(piped));
        var named = Assert.Single(_ps.Invoke($"Invoke-SentinelBenchmark {Network} -Machine {BenchmarkFleetSession.FirstAgent}"));
        Assert.Equal(BenchmarkFleetSession.FirstAgent, MachineOf(named));
        Assert.False(string.IsNullOrEmpty((string)named.Properties["JobId"].Value));
    }

    [Fact]
    public void With_no_machines_the_run_stays_on_this_machine_even_with_a_master_connected()
    {
        var r = Assert.Single(_ps.Invoke("Invoke-SentinelBenchmark -Name Command -Command true"));
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), MachineOf(r));
        Assert.Null(r.Properties["JobId"].Value);
    }

    [Fact]
    public void An_agent_not_allowed_to_run_programs_fails_the_Command_benchmark_saying_why()
    {
        var (output, errors) = _ps.InvokeWithErrors($"Invoke-SentinelBenchmark Command -Command true -Machine {BenchmarkFleetSession.FirstAgent}");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.BenchmarkFailed,", e.FullyQualifiedErrorId);
        Assert.Contains("-AllowCommand", e.ToString());
    }

    [Fact]
    public void WhatIf_names_the_machines_and_the_master()
    {
        _ps.Host.TakeOutput();
        Assert.Empty(_ps.Invoke("Get-SentinelMachine | Invoke-SentinelBenchmark Network -WhatIf"));
        var url = _ps.Invoke("$m.Url")[0].ToString();
        Assert.Matches($"What if: Performing the operation \"Run Network\" on target \"bench-[ab], bench-[ab] \\(master at {System.Text.RegularExpressions.Regex.Escape(url!)}\\)\"", _ps.Host.TakeOutput().Replace("\n", ""));
    }

    [Fact]
    public void An_unknown_machine_is_refused_by_the_master_before_anything_runs()
    {
        var (output, errors) = _ps.InvokeWithErrors($"Invoke-SentinelBenchmark {Network} -Machine {BenchmarkFleetSession.FirstAgent}, nosuch");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MachineNotFound,", e.FullyQualifiedErrorId);
        Assert.Contains("'nosuch'", e.ToString());
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
    }

    [Fact]
    public void An_unknown_parameter_is_refused_by_the_master_by_name()
    {
        var (output, errors) = _ps.InvokeWithErrors("Get-SentinelMachine | Invoke-SentinelBenchmark Network -Parameter @{ secs = 1 }");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.BadRequest,", e.FullyQualifiedErrorId);
        Assert.Contains("'secs'", e.ToString());
    }

    [Fact]
    public void A_run_that_fails_on_the_machines_is_an_error_for_each_naming_it()
    {
        // A value the benchmark cannot read fails on each machine (the master checks only that the names exist).
        var (output, errors) = _ps.InvokeWithErrors("Get-SentinelMachine | Invoke-SentinelBenchmark Network -Parameter @{ seconds = 'soon' }");
        Assert.Empty(output);
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.StartsWith("Sentinel.BenchmarkFailed,", e.FullyQualifiedErrorId));
        Assert.Equal(Machines.Order(), errors.Select(e => MachineOf(PSObject.AsPSObject(e.TargetObject))).Order());
        Assert.All(errors, e => Assert.StartsWith($"Network failed on {MachineOf(PSObject.AsPSObject(e.TargetObject))}: seconds: 'soon' is not a number", e.ToString()));
    }

    [Fact]
    public void Get_SentinelBenchmarkResult_reads_back_what_ran_through_the_master()
    {
        var jobId = _ps.Invoke($"(Get-SentinelMachine | Invoke-SentinelBenchmark {Network})[0].JobId")[0].ToString();
        var back = _ps.Invoke($"Get-SentinelBenchmarkResult -JobId {jobId}");
        Assert.Equal(Machines.Order(), back.Select(MachineOf).Order());
        Assert.All(back, r => Assert.Equal("Sentinel.BenchmarkResult", r.TypeNames[0]));
        Assert.All(back, r => Assert.Equal("Network", r.Properties["Benchmark"].Value));
        Assert.Equal(2, _ps.Invoke($"Get-SentinelBenchmarkResult -Name Network -JobId {jobId}").Count);
        Assert.Equal(2, _ps.Invoke($"Get-SentinelBenchmarkResult -Name network -JobId {jobId}").Count);
        Assert.Empty(_ps.Invoke($"Get-SentinelBenchmarkResult -Name Command -JobId {jobId}"));
        Assert.Equal(BenchmarkFleetSession.SecondAgent, MachineOf(Assert.Single(_ps.Invoke($"Get-SentinelBenchmarkResult -JobId {jobId} -Machine {BenchmarkFleetSession.SecondAgent}"))));
        Assert.Single(_ps.Invoke("Get-SentinelBenchmarkResult -Last 1"));
        Assert.Empty(_ps.Invoke($"Get-SentinelBenchmarkResult -JobId {jobId} -Since ([DateTime]::Now.AddMinutes(5))"));
        Assert.Equal(2, _ps.Invoke($"Get-SentinelBenchmarkResult -JobId {jobId} -Since ([DateTime]::Now.AddMinutes(-5))").Count);
        Assert.Contains(_ps.Invoke("Get-SentinelBenchmarkResult -Name Network"), r => (string)r.Properties["JobId"].Value == jobId);
        Assert.Null(back[0].Properties["Metrics"].Value);

        // A result piped back binds by Machine and JobId; -IncludeMetrics adds the machine's history around the run.
        var withMetrics = Assert.Single(_ps.Invoke($"Get-SentinelBenchmarkResult -JobId {jobId} -Machine {BenchmarkFleetSession.FirstAgent} | Get-SentinelBenchmarkResult -IncludeMetrics"));
        Assert.Equal(jobId, withMetrics.Properties["JobId"].Value);
        Assert.Equal(BenchmarkFleetSession.FirstAgent, MachineOf(withMetrics));
        var points = _ps.Invoke($"(Get-SentinelBenchmarkResult -JobId {jobId} -Machine {BenchmarkFleetSession.FirstAgent} -IncludeMetrics).Metrics.Points");
        Assert.NotEmpty(points);
        Assert.All(points, p => Assert.Equal(BenchmarkFleetSession.FirstAgent, p.Properties["Machine"].Value));
    }

    [Fact]
    public void AsJob_through_the_master_gives_every_machines_result()
    {
        var job = Assert.Single(_ps.Invoke($"$global:fj = Get-SentinelMachine | Invoke-SentinelBenchmark {Network} -AsJob; $fj"));
        Assert.Equal("master at " + _ps.Invoke("$m.Url")[0], job.Properties["Location"].Value);
        var s = Streams.Of(_ps, "$fj | Wait-Job -Timeout 60 | Receive-Job");
        Assert.Empty(s.Errors);
        Assert.Equal(Machines.Order(), s.Output.Select(MachineOf).Order());
        Assert.Contains(s.Progress, p => p.Activity == "Network on 2 machines");
        Assert.Equal("Completed", _ps.Invoke("$fj.State")[0].ToString());
    }

    [Fact]
    public void Ctrl_C_asks_the_master_to_cancel_the_job()
    {
        using (var ps = System.Management.Automation.PowerShell.Create())
        {
            ps.Runspace = _ps.Runspace;
            ps.AddScript($"Invoke-SentinelBenchmark Network -Parameter @{{ seconds = 60 }} -Machine {BenchmarkFleetSession.SecondAgent}");
            var running = ps.BeginInvoke();
            LocalBenchmarkTests.WaitFor(() => ps.Streams.Progress.Any(p => p.StatusDescription == "upload"), "the run did not start on the agent");
            ps.Stop();
            Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(15)), "Ctrl+C did not stop the run");
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            Assert.Empty(ps.Streams.Error);
        }
        LocalBenchmarkTests.WaitFor(() => _ps.Invoke($"Get-SentinelBenchmarkResult -Name Network -Machine {BenchmarkFleetSession.SecondAgent} -Last 1 | ForEach-Object {{ \"$($_.State) $($_.Parameters['seconds'])\" }}")
            .Select(o => o.ToString()).SingleOrDefault() == "Cancelled 60", "the master did not record the run as cancelled", seconds: 30);
    }
}
