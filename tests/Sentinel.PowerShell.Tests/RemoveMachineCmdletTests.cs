using System.Diagnostics;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// Remove-SentinelMachine as users call it: a real master and three real agents on loopback, two of them stopped;
/// machines piped from Get-SentinelMachine, -WhatIf, the confirmation it asks for, and an online one among them.
/// </summary>
public sealed class RemoveMachineCmdletTests : IDisposable
{
    private readonly ModuleSession _ps = new();
    private readonly string _data = Directory.CreateTempSubdirectory("sentinel-ps-rm-").FullName;

    public RemoveMachineCmdletTests()
    {
        _ps.Invoke($"$global:m = Start-SentinelMaster -Port 0 -DataPath '{_data}'");
        _ps.Invoke("$global:agents = @('rm-a', 'rm-b', 'rm-live') | ForEach-Object { Start-SentinelAgent -Master $m.Url -Name $_ -Interval 1s }");
        WaitUntil("@(Get-SentinelMachine -Status Online).Count -eq 3", "the three agents are online");
        _ps.Invoke("$agents | Where-Object Name -ne 'rm-live' | Stop-SentinelAgent");
        WaitUntil("@(Get-SentinelMachine -Status Offline).Count -eq 2", "the two stopped agents are offline");
    }

    private void WaitUntil(string condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!(bool)_ps.Invoke(condition)[0].BaseObject)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting until {what}");
            Thread.Sleep(200);
        }
    }

    private List<string> Names() => _ps.Invoke("Get-SentinelMachine | ForEach-Object Name").Select(o => o.ToString()).Order().ToList();

    [Fact]
    public void Piped_offline_machines_go_WhatIf_and_No_keep_them_and_an_online_one_is_refused_while_the_others_go_on()
    {
        // -WhatIf removes nothing and says what it would remove.
        Assert.Empty(_ps.Invoke("Get-SentinelMachine -Status Offline | Remove-SentinelMachine -WhatIf"));
        Assert.Equal(["rm-a", "rm-b", "rm-live"], Names());

        // ConfirmImpact High: asked without -Confirm; No keeps it.
        _ps.Host.Answers.Enqueue("No");
        Assert.Empty(_ps.Invoke("Remove-SentinelMachine rm-b"));
        Assert.Contains("rm-b", Assert.Single(_ps.Host.Prompts));
        Assert.Equal(["rm-a", "rm-b", "rm-live"], Names());

        // Names by value: the online one is a non-terminating error with what to do; the next one still goes.
        var (output, errors) = _ps.InvokeWithErrors("'rm-live', 'rm-a' | Remove-SentinelMachine -Confirm:$false");
        Assert.Empty(output);
        var online = Assert.Single(errors);
        Assert.Equal("Sentinel.MachineOnline", online.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("rm-live", online.TargetObject);
        Assert.Equal(System.Management.Automation.ErrorCategory.ResourceBusy, online.CategoryInfo.Category);
        Assert.Contains("Stop its agent", online.ErrorDetails.RecommendedAction);
        Assert.Equal(["rm-b", "rm-live"], Names());

        // Machines from Get-SentinelMachine bind by their Name.
        Assert.Empty(_ps.Invoke("Get-SentinelMachine -Status Offline | Remove-SentinelMachine -Confirm:$false"));
        Assert.Equal(["rm-live"], Names());

        // Gone means not found, by name; its results would stay (tested on the master).
        var (_, missing) = _ps.InvokeWithErrors("Remove-SentinelMachine rm-a -Confirm:$false");
        Assert.Equal("Sentinel.MachineNotFound", Assert.Single(missing).FullyQualifiedErrorId.Split(',')[0]);

        // The audit log has an entry for each removal, by whom.
        var audited = _ps.Invoke("Get-SentinelAuditLog | Where-Object Action -eq 'machine-delete' | ForEach-Object { $_.Machines[0] }").Select(o => o.ToString()).Order().ToList();
        Assert.Equal(["rm-a", "rm-b"], audited);
    }

    [Fact]
    public void Without_a_master_it_is_a_terminating_NoMaster_error()
    {
        using var ps = new ModuleSession();
        var (_, errors) = ps.InvokeWithErrors("Remove-SentinelMachine node01 -Confirm:$false");
        var e = Assert.Single(errors);
        Assert.Equal("Sentinel.NoMaster", e.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("Machines are remembered by a master", e.ToString());
    }

    public void Dispose()
    {
        try { _ps.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
        _ps.Dispose();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}
