using System.Diagnostics;
using System.Management.Automation;

namespace Sentinel.PowerShell.Tests;

/// <summary>A master started with -AlertHoldOff 0, so the alert cmdlets see alerts fire at once.</summary>
public sealed class AlertFleetSession() : FleetSession("-AlertHoldOff 0");

/// <summary>The alert cmdlets as users call them, against a real master and a real agent (this machine) on loopback.</summary>
public class AlertCmdletTests(AlertFleetSession fleet) : IClassFixture<AlertFleetSession>
{
    private readonly ModuleSession _ps = fleet.PS;

    /// <summary>Polls <paramref name="script"/> until it writes something; its first output.</summary>
    private PSObject WaitFor(string script, string what, double seconds = 30)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var output = _ps.Invoke(script);
            if (output.Count > 0 && output[0] is not null) return output[0];
            Thread.Sleep(200);
        }
        Assert.Fail($"timed out after {seconds} s waiting until {what}");
        return null!;
    }

    [Fact]
    public void Rules_are_listed_added_changed_and_removed_and_an_alert_is_acknowledged_silenced_and_resolved()
    {
        var ids = _ps.Invoke("Get-SentinelAlertRule | ForEach-Object Id").Select(o => o.ToString()).ToList();
        Assert.Contains("cpu-high", ids);
        Assert.Contains("offline", ids);
        Assert.Contains("Threshold", _ps.Render("Get-SentinelAlertRule cpu-high")); // the table view

        Assert.Empty(_ps.Invoke("New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-ps -Machine ps-agent -WhatIf"));
        Assert.Empty(_ps.Invoke("Get-SentinelAlertRule mem-ps -ErrorAction SilentlyContinue"));
        var rule = Assert.Single(_ps.Invoke("New-SentinelAlertRule 'Memory used' Memory 0.5 -Id mem-ps -Machine ps-agent -Severity Critical"));
        Assert.Equal("Sentinel.AlertRule", rule.TypeNames[0]);
        Assert.Equal("mem-ps", rule.Properties["Id"].Value);
        Assert.Equal("Critical", rule.Properties["Severity"].Value.ToString());

        // This machine's memory is above half a percent used: the alert fires on the agent's next sample.
        var alert = WaitFor("Get-SentinelAlert -State Open | Where-Object RuleId -eq 'mem-ps'", "the memory alert fires");
        Assert.Equal("Sentinel.Alert", alert.TypeNames[0]);
        Assert.Equal(("ps-agent", "Firing"), ((string)alert.Properties["Machine"].Value, alert.Properties["State"].Value.ToString()));
        Assert.Contains("Memory used", _ps.Render("Get-SentinelAlert -State Open"));

        var acked = Assert.Single(_ps.Invoke("Get-SentinelAlert -State Open | Where-Object RuleId -eq 'mem-ps' | Confirm-SentinelAlert"));
        Assert.Equal("Acknowledged", acked.Properties["State"].Value.ToString());
        Assert.Equal("local", acked.Properties["AcknowledgedBy"].Value);
        var id = (long)acked.Properties["Id"].Value;
        Assert.Equal("Silenced", _ps.Invoke($"Suspend-SentinelAlert {id} -For 10m")[0].Properties["State"].Value.ToString());
        Assert.Equal("Acknowledged", _ps.Invoke($"Resume-SentinelAlert {id}")[0].Properties["State"].Value.ToString());

        // A threshold it cannot reach: the change resolves the rule's open alert.
        var changed = Assert.Single(_ps.Invoke("Get-SentinelAlertRule mem-ps | Set-SentinelAlertRule -Threshold 100 -For 5s -PassThru"));
        Assert.Equal((100.0, 100.0, 5.0), ((double)changed.Properties["Threshold"].Value, (double)changed.Properties["ClearThreshold"].Value, (double)changed.Properties["ForSeconds"].Value));
        Assert.Equal("Resolved", _ps.Invoke($"Get-SentinelAlert -Id {id}")[0].Properties["State"].Value.ToString());

        // -Confirm asks; No keeps the rule, Yes removes it.
        _ps.Host.Prompts.Clear();
        _ps.Host.Answers.Enqueue("No");
        Assert.Empty(_ps.Invoke("Remove-SentinelAlertRule mem-ps -Confirm"));
        Assert.Contains("mem-ps", Assert.Single(_ps.Host.Prompts));
        Assert.Single(_ps.Invoke("Get-SentinelAlertRule mem-ps"));
        _ps.Host.Answers.Enqueue("Yes");
        _ps.Invoke("Remove-SentinelAlertRule mem-ps -Confirm");
        Assert.Equal(2, _ps.Host.Prompts.Count);
        var (_, errors) = _ps.InvokeWithErrors("Get-SentinelAlertRule mem-ps");
        Assert.Equal("Sentinel.AlertRuleNotFound", Assert.Single(errors).FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void Bad_rules_and_unknown_alerts_are_named_errors()
    {
        var (_, bad) = _ps.InvokeWithErrors("New-SentinelAlertRule 'Hot' Cpu 90 -ClearThreshold 95");
        var error = Assert.Single(bad);
        Assert.StartsWith("Sentinel.BadRequest", error.FullyQualifiedErrorId);
        Assert.Contains("clearThreshold", error.ToString());
        var (_, missing) = _ps.InvokeWithErrors("Confirm-SentinelAlert 987654");
        Assert.StartsWith("Sentinel.AlertNotFound", Assert.Single(missing).FullyQualifiedErrorId);
        var (_, metric) = _ps.InvokeWithErrors("New-SentinelAlertRule 'Hot' Temperature 90");
        Assert.Contains(metric, e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError"));
    }

    [Fact]
    public void A_registered_scriptblock_runs_in_the_session_when_an_alert_fires()
    {
        _ps.Invoke("$global:alertSeen = [System.Collections.Generic.List[string]]::new()");
        var job = Assert.Single(_ps.Invoke("Register-SentinelAlertAction -SourceIdentifier ps-test -Interval 300ms -ScriptBlock { param($alert) $global:alertSeen.Add(\"$($alert.RuleId) $($alert.Machine) $($alert.State)\") }"));
        Assert.IsAssignableFrom<PSEventJob>(job.BaseObject);
        try
        {
            _ps.Invoke("New-SentinelAlertRule 'Any memory' Memory 0.5 -Id mem-watch -Machine ps-agent");
            // The engine runs event actions between commands: keep it busy until the scriptblock has run.
            WaitFor("[System.Threading.Thread]::Sleep(100); $global:alertSeen | Where-Object { $_ -eq 'mem-watch ps-agent Firing' }", "the scriptblock sees the alert fire");
        }
        finally
        {
            // Unregister-Event, without Microsoft.PowerShell.Utility (not in this test engine).
            _ps.Invoke("$ExecutionContext.Events.Subscribers | Where-Object SourceIdentifier -eq 'ps-test' | ForEach-Object { $ExecutionContext.Events.UnsubscribeEvent($_) }; " +
                "Remove-SentinelAlertRule mem-watch -Confirm:$false");
        }
        Assert.Empty(_ps.Invoke("$ExecutionContext.Events.Subscribers | Where-Object SourceIdentifier -eq 'ps-test'"));
    }
}

/// <summary>Alert cmdlets in a session with no master.</summary>
public class AlertCmdletWithoutMasterTests
{
    [Fact]
    public void Without_a_master_the_alert_cmdlets_say_so()
    {
        using var ps = new ModuleSession();
        var (_, errors) = ps.InvokeWithErrors("Get-SentinelAlert");
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.NoMaster", e.FullyQualifiedErrorId);
        Assert.Contains("Start-SentinelMaster", e.ErrorDetails.RecommendedAction);
    }
}
