using System.Management.Automation;

namespace Sentinel.PowerShell.Tests;

/// <summary>A master and three agents started with the cmdlets: two allowed to run a few command lines, one allowed nothing.</summary>
public sealed class CommandFleetSession : IDisposable
{
    public ModuleSession PS { get; } = new();
    public string DataPath { get; } = Directory.CreateTempSubdirectory("sentinel-ps-cmd-").FullName;

    public CommandFleetSession()
    {
        PS.Invoke($"$global:m = Start-SentinelMaster -Port 0 -DataPath '{DataPath}'");
        PS.Invoke("""
            Start-SentinelAgent -Master $m.Url -Name cmd-a -Interval 1s -AllowCommand 'echo *', 'sh -c *'
            Start-SentinelAgent -Master $m.Url -Name cmd-b -Interval 1s -AllowCommand 'echo *', 'sh -c *'
            Start-SentinelAgent -Master $m.Url -Name cmd-c -Interval 1s
            """);
        LocalBenchmarkTests.WaitFor(() => PS.Invoke("Get-SentinelMachine -Status Online").Count == 3, "the agents did not come online", seconds: 30);
    }

    public void Dispose()
    {
        try { PS.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
        PS.Dispose();
        try { Directory.Delete(DataPath, true); } catch (IOException) { }
    }
}

/// <summary>Invoke-SentinelCommand and Get-SentinelAuditLog against a real master and real agents.</summary>
public class CommandCmdletTests(CommandFleetSession session) : IClassFixture<CommandFleetSession>
{
    private readonly ModuleSession _ps = session.PS;

    /// <summary>A result's properties (the test references no Sentinel assembly: the module loads its engine in its own context).</summary>
    private sealed record R(string Machine, string State, int? ExitCode, TimeSpan? Duration, bool TimedOut, bool Truncated, string? Refused, string Output, string ErrorOutput, string Id);

    private static R Result(PSObject o)
    {
        Assert.Equal("Sentinel.Commands.CommandResult", o.BaseObject.GetType().FullName);
        object? P(string name) => o.Properties[name].Value;
        return new R((string)P("Machine")!, P("State")!.ToString()!, (int?)P("ExitCode"), (TimeSpan?)P("Duration"), (bool)P("TimedOut")!, (bool)P("Truncated")!,
            (string?)P("Refused"), (string)P("Output")!, (string)P("ErrorOutput")!, (string)P("Id")!);
    }

    [Fact]
    public void Piped_machines_each_give_one_result_and_their_lines_are_shown_prefixed()
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _ps.Runspace;
        ps.AddScript("Get-SentinelMachine -Name cmd-[ab] | Invoke-SentinelCommand -Command 'echo $(id) ; id' -Confirm:$false");
        var results = ps.Invoke().Select(Result).OrderBy(r => r.Machine).ToList();
        Assert.Empty(ps.Streams.Error);
        Assert.Equal(["cmd-a", "cmd-b"], results.Select(r => r.Machine));
        Assert.All(results, r =>
        {
            Assert.Equal("Completed", r.State);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("$(id) ; id\n", r.Output); // no shell: the metacharacters reach echo as they are
            Assert.True(r.Duration > TimeSpan.Zero);
            Assert.False(r.TimedOut);
            Assert.False(r.Truncated);
        });
        Assert.Single(results.Select(r => r.Id).Distinct()); // one request to the master for both
        var shown = ps.Streams.Information.Where(i => i.Tags.Contains("Sentinel.CommandOutput")).Select(i => i.MessageData.ToString()).Order().ToList();
        Assert.Equal(["[cmd-a] $(id) ; id", "[cmd-b] $(id) ; id"], shown);
        Assert.All(ps.Streams.Information, i => Assert.Contains("PSHOST", i.Tags)); // shown on the host, as Write-Host is
    }

    [Fact]
    public void Names_bind_by_value_and_with_Name()
    {
        var piped = Result(Assert.Single(_ps.Invoke("'cmd-b' | Invoke-SentinelCommand 'echo piped' -Confirm:$false")));
        Assert.Equal(("cmd-b", "piped\n"), (piped.Machine, piped.Output));
        var named = Result(Assert.Single(_ps.Invoke("Invoke-SentinelCommand -Name cmd-a -Command 'echo named' -Confirm:$false")));
        Assert.Equal(("cmd-a", "named\n"), (named.Machine, named.Output));
    }

    [Fact]
    public void Output_is_shown_while_the_command_still_runs()
    {
        var gate = Path.Combine(Path.GetTempPath(), "sentinel-ps-gate-" + Guid.NewGuid().ToString("N"));
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _ps.Runspace;
        var seen = new ManualResetEventSlim();
        ps.Streams.Information.DataAdded += (_, e) =>
        {
            if (ps.Streams.Information[e.Index].MessageData.ToString() == "[cmd-a] waiting") seen.Set();
        };
        ps.AddScript($"Invoke-SentinelCommand -Name cmd-a -Command \"sh -c 'echo waiting; while [ ! -e {gate} ]; do sleep 0.2; done; echo done >&2; exit 4'\" -TimeoutSec 120 -Confirm:$false");
        var running = ps.BeginInvoke();
        try
        {
            Assert.True(seen.Wait(TimeSpan.FromSeconds(60)), "the first line was not shown");
            Assert.False(running.IsCompleted, "the line was shown while the command waited for the test");
            File.WriteAllText(gate, "");
            var r = Result(Assert.Single(ps.EndInvoke(running)));
            Assert.Equal(("Completed", (int?)4, "waiting\n", "done\n"), (r.State, r.ExitCode, r.Output, r.ErrorOutput));
            Assert.Empty(ps.Streams.Error); // a non-zero exit code is a result, not an error
            Assert.Contains(ps.Streams.Information, i => i.MessageData.ToString() == "[cmd-a stderr] done");
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public void A_machine_that_refuses_is_an_error_and_the_others_go_on()
    {
        var (output, errors) = _ps.InvokeWithErrors("Invoke-SentinelCommand -Name cmd-a, cmd-c -Command 'echo hi' -Confirm:$false");
        var results = output.Select(Result).ToDictionary(r => r.Machine);
        Assert.Equal("Completed", results["cmd-a"].State);
        Assert.Equal("Refused", results["cmd-c"].State);
        Assert.Contains("--allow-command", results["cmd-c"].Refused);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.CommandRefused,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.PermissionDenied, e.CategoryInfo.Category);
        Assert.Contains("cmd-c", e.ToString());
        Assert.Contains("-AllowCommand", e.ErrorDetails.RecommendedAction);

        var unknown = _ps.InvokeWithErrors("Invoke-SentinelCommand -Name nosuch -Command 'echo hi' -Confirm:$false");
        Assert.StartsWith("Sentinel.MachineNotFound,", Assert.Single(unknown.Errors).FullyQualifiedErrorId);
        var newline = _ps.InvokeWithErrors("Invoke-SentinelCommand -Name cmd-a -Command \"echo a`nrm -rf /\" -Confirm:$false");
        Assert.StartsWith("Sentinel.InvalidCommand,", Assert.Single(newline.Errors).FullyQualifiedErrorId);
        Assert.Contains("U+000A", newline.Errors[0].ToString());
    }

    [Fact]
    public void WhatIf_runs_nothing_and_the_audit_log_has_every_request()
    {
        var marker = "whatif-" + Guid.NewGuid().ToString("N")[..8];
        _ps.Host.TakeOutput();
        Assert.Empty(_ps.Invoke($"Get-SentinelMachine -Name cmd-a | Invoke-SentinelCommand 'echo {marker}' -WhatIf"));
        var shown = _ps.Host.TakeOutput();
        Assert.Contains($"Run 'echo {marker}'", shown);
        Assert.Contains("cmd-a (master at", shown);
        Assert.DoesNotContain(_ps.Invoke("Get-SentinelAuditLog -Last 1000"), a => ((string)a.Properties["Command"].Value).Contains(marker));

        Result(Assert.Single(_ps.Invoke($"Invoke-SentinelCommand -Name cmd-b -Command 'echo {marker}' -Confirm:$false")));
        var entry = Assert.Single(_ps.Invoke("Get-SentinelAuditLog -Machine cmd-b -User local -Last 1000"), o => (string)o.Properties["Command"].Value == $"echo {marker}");
        Assert.Equal("Sentinel.Commands.AuditEntry", entry.BaseObject.GetType().FullName);
        Assert.Equal(["command", "accepted", "admin"], new[] { "Action", "Outcome", "Role" }.Select(n => entry.Properties[n].Value));
        _ps.Runspace.SessionStateProxy.SetVariable("entry", entry);
        Assert.Equal(["cmd-b", "completed", 0], _ps.Invoke("$entry.Results[0].Machine; $entry.Results[0].Outcome; $entry.Results[0].ExitCode").Select(o => o.BaseObject));
        Assert.Empty(_ps.Invoke("Get-SentinelAuditLog -User nobody"));
        Assert.Empty(_ps.Invoke("Get-SentinelAuditLog -Since ([datetime]::Now.AddHours(1))"));
        var table = _ps.Render("Get-SentinelAuditLog -Machine cmd-b -Last 1");
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(table, @"local\s+echo whatif-\w+\s+cmd-b completed 0"), table);
    }

    [Fact]
    public void Stopping_the_cmdlet_kills_the_command_on_the_machine()
    {
        var tag = Testing.ProcessTable.UniqueSleep();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _ps.Runspace;
        ps.AddScript($"Invoke-SentinelCommand -Name cmd-b -Command \"sh -c 'sleep {tag} & sleep {tag}'\" -TimeoutSec 600 -Confirm:$false");
        var running = ps.BeginInvoke();
        LocalBenchmarkTests.WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 2, "the command's two sleeps did not start", seconds: 30);
        ps.Stop(); // what Ctrl+C does
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        LocalBenchmarkTests.WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 0, "a sleep outlived the stopped cmdlet", seconds: 30);
        Assert.True(running.IsCompleted);
    }

    [Fact]
    public void Progress_counts_the_machines_that_are_done()
    {
        var s = Streams.Of(_ps, "Invoke-SentinelCommand -Name cmd-a, cmd-c -Command 'echo progress' -Confirm:$false -ErrorAction SilentlyContinue");
        Assert.Equal(2, s.Output.Count);
        Assert.All(s.Progress, p => Assert.Equal("'echo progress' on 2 machines", p.Activity));
        Assert.Equal("0 of 2 done, 0 lines of output", s.Progress[0].StatusDescription); // shown before anything comes back
        Assert.Equal(0, s.Progress[0].PercentComplete);
        Assert.Contains(s.Progress, p => p.StatusDescription.StartsWith("1 of 2 done", StringComparison.Ordinal) && p.PercentComplete == 50);
        var last = s.Progress[^1];
        Assert.Equal(ProgressRecordType.Completed, last.RecordType);
        Assert.Equal("2 of 2 done, 1 line of output", last.StatusDescription);
    }

    [Fact]
    public void AsJob_returns_a_job_whose_lines_and_results_Receive_Job_gives()
    {
        var gate = Path.Combine(Path.GetTempPath(), "sentinel-ps-gate-" + Guid.NewGuid().ToString("N"));
        try
        {
            var job = Assert.Single(_ps.Invoke(
                $"$global:cj = Get-SentinelMachine -Name cmd-[ab] | Invoke-SentinelCommand \"sh -c 'echo one; while [ ! -e {gate} ]; do sleep 0.2; done; echo two'\" -AsJob -Confirm:$false; $cj"));
            Assert.IsAssignableFrom<Job>(job.BaseObject);
            Assert.Equal("SentinelCommandJob", job.Properties["PSJobTypeName"].Value);
            Assert.StartsWith("master at http://127.0.0.1:", (string)job.Properties["Location"].Value);
            Assert.Contains(_ps.Invoke("Get-Job").Select(o => o.BaseObject), o => ReferenceEquals(o, job.BaseObject));
            // The command cannot end before the test opens the gate, so the cmdlet returned while it ran.
            Assert.Equal("Running", _ps.Invoke("$cj.State")[0].ToString());
            LocalBenchmarkTests.WaitFor(() => _ps.Invoke("@($cj.Information | Where-Object { $_.MessageData.ToString() -like '*] one' }).Count")[0].BaseObject is 2,
                "the job did not show each machine's first line while the command ran", seconds: 60);
            File.WriteAllText(gate, "");

            var s = Streams.Of(_ps, "$cj | Wait-Job -Timeout 60 | Receive-Job");
            Assert.Empty(s.Errors);
            var results = s.Output.Select(Result).OrderBy(r => r.Machine).ToList();
            Assert.Equal(["cmd-a", "cmd-b"], results.Select(r => r.Machine));
            Assert.All(results, r => Assert.Equal(("Completed", (int?)0, "one\ntwo\n"), (r.State, r.ExitCode, r.Output)));
            var lines = s.Information.Where(i => i.Tags.Contains("Sentinel.CommandOutput")).Select(i => i.MessageData.ToString()).Order().ToList();
            Assert.Equal(["[cmd-a] one", "[cmd-a] two", "[cmd-b] one", "[cmd-b] two"], lines);
            Assert.Contains(s.Progress, p => p.StatusDescription == "2 of 2 done, 4 lines of output");
            Assert.Equal("Completed", _ps.Invoke("$cj.State")[0].ToString());
            Assert.Equal("2 completed, 0 failed", _ps.Invoke("$cj.StatusMessage")[0].ToString());
            _ps.Invoke("Remove-Job $cj");
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public void A_command_job_that_ran_nowhere_is_Failed_and_Stop_Job_kills_the_command()
    {
        var refused = Streams.Of(_ps, "$global:rj = Invoke-SentinelCommand -Name cmd-c -Command 'echo hi' -AsJob -Confirm:$false; $rj | Wait-Job -Timeout 60 | Receive-Job");
        Assert.Equal("Refused", Result(Assert.Single(refused.Output)).State);
        Assert.Equal("Sentinel.CommandRefused", Assert.Single(refused.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("Failed", _ps.Invoke("$rj.State")[0].ToString());

        var unknown = Streams.Of(_ps, "$global:uj = Invoke-SentinelCommand -Name nosuch -Command 'echo hi' -AsJob -Confirm:$false; $uj | Wait-Job -Timeout 60 | Receive-Job");
        Assert.Empty(unknown.Output);
        Assert.Equal("Sentinel.MachineNotFound", Assert.Single(unknown.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("Failed", _ps.Invoke("$uj.State")[0].ToString());

        var tag = Testing.ProcessTable.UniqueSleep();
        _ps.Invoke($"$global:sj = Invoke-SentinelCommand -Name cmd-a -Command \"sh -c 'sleep {tag} & sleep {tag}'\" -TimeoutSec 600 -AsJob -Confirm:$false");
        LocalBenchmarkTests.WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 2, "the command's two sleeps did not start", seconds: 30);
        _ps.Invoke("Stop-Job $sj");
        Assert.Equal("Stopped", _ps.Invoke("$sj.State")[0].ToString());
        LocalBenchmarkTests.WaitFor(() => Testing.ProcessTable.Sleepers(tag) == 0, "a sleep outlived Stop-Job", seconds: 30);
        var stopped = Streams.Of(_ps, "Receive-Job $sj");
        Assert.Empty(stopped.Output);
        Assert.Empty(stopped.Errors); // the user stopped it: no error for that
        _ps.Invoke("Remove-Job $rj, $uj, $sj");
    }

    [Fact]
    public void Results_pipe_into_Get_SentinelMetric_by_their_Machine_once_per_machine()
    {
        LocalBenchmarkTests.WaitFor(() => _ps.Invoke("Get-SentinelMetric cmd-a, cmd-b -Step 1h").Select(p => p.Properties["Machine"].Value).Distinct().Count() == 2,
            "the agents' samples were not stored", seconds: 30);
        var s = Streams.Of(_ps, "Invoke-SentinelCommand -Name cmd-a, cmd-b -Command 'echo hi' -Confirm:$false | Get-SentinelMetric -Step 1h");
        Assert.Empty(s.Errors);
        Assert.Equal(["cmd-a", "cmd-b"], s.Output.Select(p => (string)p.Properties["Machine"].Value).Distinct().Order());
        // Two objects naming one machine read its history once: one progress step, no point twice.
        var once = Streams.Of(_ps, "'cmd-a', 'cmd-a' | ForEach-Object { [pscustomobject]@{ Machine = $_ } } | Get-SentinelMetric -Step 1h");
        Assert.Empty(once.Errors);
        Assert.Single(once.Progress, p => p.RecordType == ProgressRecordType.Processing);
        Assert.NotEmpty(once.Output);
        Assert.Equal(once.Output.Count, once.Output.Select(p => p.Properties["T"].Value).Distinct().Count());
    }

    [Fact]
    public void Without_Confirm_false_it_asks_and_No_runs_nothing()
    {
        var marker = "asked-" + Guid.NewGuid().ToString("N")[..8];
        _ps.Host.Prompts.Clear();
        _ps.Host.Answers.Enqueue("No");
        Assert.Empty(_ps.Invoke($"Invoke-SentinelCommand -Name cmd-a -Command 'echo {marker}'"));
        var asked = Assert.Single(_ps.Host.Prompts);
        Assert.Contains($"Run 'echo {marker}'", asked);
        Assert.Contains("cmd-a", asked);
        Assert.DoesNotContain(_ps.Invoke("Get-SentinelAuditLog -Last 1000"), a => ((string)a.Properties["Command"].Value).Contains(marker));

        _ps.Host.Answers.Enqueue("Yes");
        Assert.Equal($"{marker}\n", Result(Assert.Single(_ps.Invoke($"Invoke-SentinelCommand -Name cmd-a -Command 'echo {marker}'"))).Output);
        Assert.Equal(2, _ps.Host.Prompts.Count);
    }

    [Fact]
    public void Verbose_shows_each_request_to_the_master_for_the_cmdlet_that_asked()
    {
        List<string> Verbose(string script)
        {
            using var ps = System.Management.Automation.PowerShell.Create();
            ps.Runspace = _ps.Runspace;
            ps.AddScript(script);
            ps.Invoke();
            Assert.Empty(ps.Streams.Error);
            return ps.Streams.Verbose.Select(v => v.Message).ToList();
        }
        var listed = Verbose("Get-SentinelMachine -Name cmd-a -Verbose | Invoke-SentinelCommand 'echo v' -Confirm:$false");
        Assert.Contains(listed, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^GET http://127\.0\.0\.1:\d+/api/machines\S*: 200 OK, [\d.]+ \S*B in \d+ ms$"));
        Assert.DoesNotContain(listed, v => v.Contains("/api/commands", StringComparison.Ordinal)); // asked of Get-SentinelMachine only

        var ran = Verbose("Get-SentinelMachine -Name cmd-a | Invoke-SentinelCommand 'echo v' -Confirm:$false -Verbose");
        Assert.Contains(ran, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^POST http://127\.0\.0\.1:\d+/api/commands: 20\d "));
        Assert.Contains(ran, v => System.Text.RegularExpressions.Regex.IsMatch(v, @"^GET http://127\.0\.0\.1:\d+/api/commands/[^/ ]+\?since="));
        Assert.DoesNotContain(ran, v => v.Contains("/api/machines", StringComparison.Ordinal));

        Assert.Empty(Verbose("Get-SentinelMachine -Name cmd-a | Invoke-SentinelCommand 'echo v' -Confirm:$false"));

        // A job keeps its own, for Receive-Job -Verbose.
        _ps.Invoke("$global:vj = Invoke-SentinelCommand -Name cmd-a -Command 'echo j' -AsJob -Confirm:$false; $null = $vj | Wait-Job -Timeout 60");
        Assert.Contains(_ps.Invoke("$vj.Verbose | ForEach-Object { $_.Message }"), v => v.ToString()!.StartsWith("POST http://127.0.0.1:", StringComparison.Ordinal));
        _ps.Invoke("Remove-Job $vj");
    }

    [Fact]
    public void It_asks_before_running_because_its_impact_is_high()
    {
        var attribute = (CmdletAttribute)Assert.Single(_ps.Invoke(
            "(Get-Command Invoke-SentinelCommand).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)")).BaseObject;
        Assert.True(attribute.SupportsShouldProcess);
        Assert.Equal(ConfirmImpact.High, attribute.ConfirmImpact);
    }
}

/// <summary>With no master connected the command cmdlets refuse, saying what to do.</summary>
public class CommandCmdletWithoutMasterTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public CommandCmdletWithoutMasterTests(ModuleTests.Session session) => _ps = session.PS;

    [Fact]
    public void Without_a_master_they_refuse_rather_than_run_here()
    {
        var run = _ps.InvokeWithErrors("Invoke-SentinelCommand -Name localhost -Command 'echo hi' -Confirm:$false");
        Assert.Empty(run.Output);
        var e = Assert.Single(run.Errors);
        Assert.StartsWith("Sentinel.NoMaster,", e.FullyQualifiedErrorId);
        Assert.Contains("Connect-SentinelMaster", e.ErrorDetails.RecommendedAction);
        var audit = _ps.InvokeWithErrors("Get-SentinelAuditLog");
        Assert.StartsWith("Sentinel.NoMaster,", Assert.Single(audit.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void An_allow_list_pattern_with_a_newline_starts_no_agent()
    {
        var (output, errors) = _ps.InvokeWithErrors("Start-SentinelAgent -Master http://127.0.0.1:9 -Name never -AllowCommand 'nvidia-smi *', \"id`nrm *\"");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.InvalidAllowCommand,", e.FullyQualifiedErrorId);
        Assert.Contains("U+000A", e.ToString());
    }
}
