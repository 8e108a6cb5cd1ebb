using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>The fleet cmdlets as users call them, against a real master and agent on loopback.</summary>
public class FleetCmdletTests : IClassFixture<FleetSession>
{
    private readonly ModuleSession _ps;
    private readonly FleetSession _fleet;

    public FleetCmdletTests(FleetSession fleet)
    {
        _fleet = fleet;
        _ps = fleet.PS;
    }

    private static long MemTotal => long.Parse(Regex.Match(File.ReadAllText("/proc/meminfo"), @"^MemTotal:\s+(\d+)", RegexOptions.Multiline).Groups[1].Value) * 1024;

    [Fact]
    public void Start_SentinelMaster_returns_a_live_handle_and_connects_the_session()
    {
        var m = _ps.Invoke("$m")[0];
        Assert.Equal("Sentinel.PowerShell.SentinelMasterInstance", m.TypeNames[0]);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", (string)m.Properties["Url"].Value);
        Assert.Equal(_fleet.DataPath, m.Properties["DataPath"].Value);
        Assert.Equal("Running", m.Properties["Status"].Value);
        Assert.Equal(1, (int)_ps.Invoke("$m.AgentCount")[0].BaseObject);
        Assert.True(File.Exists(Path.Combine(_fleet.DataPath, "sentinel.db")));
        Assert.Contains(_ps.Invoke("$m.Log").Select(o => o.ToString()), l => l.Contains($"agent '{FleetSession.AgentName}' connected"));
    }

    [Fact]
    public void Get_SentinelMachine_lists_the_fleet_with_real_figures()
    {
        var machine = Assert.Single(_ps.Invoke("Get-SentinelMachine"));
        Assert.Equal(FleetSession.AgentName, machine.Properties["Name"].Value);
        Assert.Equal("Online", machine.Properties["Status"].Value.ToString());
        Assert.Equal(_ps.Invoke("$m.Url")[0].ToString(), machine.Properties["Source"].Value);
        Assert.Equal(MemTotal, (long)_ps.Invoke("(Get-SentinelMachine).Latest.Memory.TotalBytes")[0].BaseObject);
        Assert.Equal("b7", _ps.Invoke("(Get-SentinelMachine).Tags['rack']")[0].ToString());
    }

    [Fact]
    public void Status_and_tag_filters_select_machines()
    {
        Assert.Single(_ps.Invoke("Get-SentinelMachine -Status Online"));
        Assert.Empty(_ps.Invoke("Get-SentinelMachine -Status Offline"));
        Assert.Single(_ps.Invoke("Get-SentinelMachine -Tag @{ rack = 'b*' }"));
        Assert.Empty(_ps.Invoke("Get-SentinelMachine -Tag @{ rack = 'a*' }"));
        var (_, errors) = _ps.InvokeWithErrors("Get-SentinelMachine -Status Sleeping");
        Assert.Contains(errors, e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError"));
    }

    [Fact]
    public void Get_SentinelMetric_reads_history_for_piped_machines()
    {
        var points = _ps.Invoke("Get-SentinelMachine | Get-SentinelMetric -Since ([DateTime]::Now.AddMinutes(-5)) -Step 1s");
        Assert.NotEmpty(points);
        Assert.All(points, p =>
        {
            Assert.Equal("Sentinel.MetricPoint", p.TypeNames[0]);
            Assert.Equal(FleetSession.AgentName, p.Properties["Machine"].Value);
            Assert.True((int)p.Properties["Samples"].Value >= 1);
            Assert.InRange((double)p.Properties["MemoryUsedPercent"].Value, 0.01, 100);
        });
        var times = points.Select(p => (DateTimeOffset)p.Properties["T"].Value).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(1.0, (double)points[0].Properties["StepSeconds"].Value);
    }

    [Fact]
    public void Get_SentinelMetric_names_an_unknown_machine_and_goes_on()
    {
        var (output, errors) = _ps.InvokeWithErrors($"Get-SentinelMetric -Name nosuch, {FleetSession.AgentName} -Step 10s");
        Assert.NotEmpty(output);
        var e = Assert.Single(errors);
        Assert.Equal("Sentinel.MachineNotFound,Sentinel.PowerShell.Commands.GetSentinelMetricCommand", e.FullyQualifiedErrorId);
        Assert.Equal("nosuch", e.TargetObject);
    }

    [Fact]
    public void A_second_master_on_a_port_in_use_is_an_error_naming_the_port()
    {
        var port = _ps.Invoke("$m.Port")[0].ToString();
        var (output, errors) = _ps.InvokeWithErrors($"Start-SentinelMaster -Port {port} -DataPath '{_fleet.DataPath}-2'");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MasterStartFailed", e.FullyQualifiedErrorId);
        Assert.Contains(port, e.ToString());
        Assert.Equal(ErrorCategory.ResourceUnavailable, e.CategoryInfo.Category);
        Assert.Single(_ps.Invoke("Get-SentinelMachine")); // still connected to the first master
    }

    [Fact]
    public void WhatIf_starts_nothing()
    {
        var port = Sentinel.FreePort();
        Assert.Empty(_ps.Invoke($"Start-SentinelMaster -Port {port} -DataPath '{_fleet.DataPath}-whatif' -WhatIf"));
        Assert.False(Directory.Exists(_fleet.DataPath + "-whatif"));
        Assert.Empty(_ps.Invoke("Start-SentinelAgent -Master http://127.0.0.1:1 -WhatIf"));
    }

    [Fact]
    public void The_new_types_have_table_views_that_fit_80_columns()
    {
        foreach (var script in new[] { "$m", "$a", "Get-SentinelMetric ps-agent -Step 10s" })
        {
            var text = _ps.Render(script);
            Assert.All(text.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 80, $"'{script}' renders a {l.TrimEnd().Length}-column line: {l}"));
            Assert.Contains("---", text);
        }
        Assert.Matches(@"Url\s+Status\s+Agents\s+Machines\s+DataPath", _ps.Render("$m"));
        Assert.Matches(@"ps-agent\s+http://127\.0\.0\.1:\d+\s+Running\s+True", _ps.Render("$a"));
    }
}

/// <summary>Whole lifecycles, each in a session of its own.</summary>
public class FleetLifecycleTests
{
    [Fact]
    public async Task Start_SentinelMaster_MetricsOpen_reaches_the_master_and_its_metrics_serve_Prometheus_text()
    {
        using var ps = new ModuleSession();
        var data = Directory.CreateTempSubdirectory("sentinel-ps-").FullName;
        try
        {
            ps.Invoke($"$m = Start-SentinelMaster -Port 0 -DataPath '{data}' -MetricsOpen");
            Assert.Equal(true, ps.Invoke("$m.MetricsOpen")[0].BaseObject);
            using var http = new HttpClient();
            var text = await http.GetStringAsync(ps.Invoke("$m.Url")[0].ToString() + "/metrics");
            Assert.Contains("# TYPE sentinel_master_agents_connected gauge\nsentinel_master_agents_connected 0\n", text);
            ps.Invoke("Stop-SentinelMaster");
            ps.Invoke($"$m = Start-SentinelMaster -Port 0 -DataPath '{data}'");
            Assert.Equal(false, ps.Invoke("$m.MetricsOpen")[0].BaseObject);
            ps.Invoke("Stop-SentinelMaster");
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [Fact]
    public void Start_SentinelMaster_passes_the_retention_and_ring_parameters_to_the_master()
    {
        using var ps = new ModuleSession();
        var data = Directory.CreateTempSubdirectory("sentinel-ps-").FullName;
        try
        {
            ps.Invoke($"$m = Start-SentinelMaster -Port 0 -DataPath '{data}' -RawRetention 7d -RollupRetention 90d -AuditRetention 0 -AlertRetention 12h -RecentHistory 0");
            Assert.Equal(
                [TimeSpan.FromDays(7), TimeSpan.FromDays(90), TimeSpan.Zero, TimeSpan.FromHours(12), TimeSpan.Zero],
                ps.Invoke("$m.RawRetention; $m.RollupRetention; $m.AuditRetention; $m.AlertRetention; $m.RecentHistory").Select(o => (TimeSpan)o.BaseObject));
            ps.Invoke("Stop-SentinelMaster");
            ps.Invoke($"$m = Start-SentinelMaster -Port 0 -DataPath '{data}'");
            Assert.Equal(
                [TimeSpan.FromHours(48), TimeSpan.FromDays(35), TimeSpan.FromDays(365), TimeSpan.FromDays(90), TimeSpan.FromSeconds(630)],
                ps.Invoke("$m.RawRetention; $m.RollupRetention; $m.AuditRetention; $m.AlertRetention; $m.RecentHistory").Select(o => (TimeSpan)o.BaseObject));
            ps.Invoke("Stop-SentinelMaster");
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [Fact]
    public async Task Stopping_the_agent_takes_its_machine_offline_at_once_and_stopping_the_master_returns_to_the_local_machine()
    {
        using var ps = new ModuleSession();
        var data = Directory.CreateTempSubdirectory("sentinel-ps-").FullName;
        try
        {
            ps.Invoke($"$m = Start-SentinelMaster -Port 0 -DataPath '{data}'; $a = Start-SentinelAgent $m.Url -Name lifecycle -Interval 0.2");
            var watch = Stopwatch.StartNew();
            while (ps.Invoke("Get-SentinelMachine -Name lifecycle* -Status Online").Count == 0)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the agent did not come online");
                await Task.Delay(100);
            }
            var stopped = ps.Invoke("$a | Stop-SentinelAgent -PassThru");
            Assert.Equal("Stopped", stopped[0].Properties["Status"].Value);
            Assert.Equal("Offline", ps.Invoke("(Get-SentinelMachine -Name lifecycle).Status")[0].ToString());

            ps.Invoke("Stop-SentinelMaster");
            Assert.Equal("Stopped", ps.Invoke("$m.Status")[0].ToString());
            var local = Assert.Single(ps.Invoke("Get-SentinelMachine"));
            Assert.Equal("local", local.Properties["Source"].Value);
            Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), local.Properties["Name"].Value);
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [Fact]
    public async Task Connect_SentinelMaster_reaches_a_master_elsewhere_and_Disconnect_returns_to_the_local_machine()
    {
        var data = Directory.CreateTempSubdirectory("sentinel-ps-").FullName;
        int port = Sentinel.FreePort();
        using var master = Process.Start(new ProcessStartInfo(Sentinel.Program, ["master", "--listen", $"127.0.0.1:{port}", "--data", data]) { RedirectStandardOutput = true })!;
        using var ps = new ModuleSession();
        try
        {
            var url = $"http://127.0.0.1:{port}";
            SentinelConnectionReady(ps, url);
            var connection = ps.Invoke($"Connect-SentinelMaster -Url {url}")[0];
            Assert.Equal("Sentinel.PowerShell.SentinelConnection", connection.TypeNames[0]);
            Assert.Equal(url, connection.Properties["Url"].Value);
            Assert.Equal("0.1.0", connection.Properties["Version"].Value);
            Assert.Empty(ps.Invoke("Get-SentinelMachine")); // a new master knows no machine yet

            ps.Invoke($"$a = Start-SentinelAgent {url} -Name elsewhere -Interval 0.2");
            var watch = Stopwatch.StartNew();
            while (ps.Invoke("Get-SentinelMachine -Name elsewhere*").Count == 0)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the agent did not appear on the master");
                await Task.Delay(100);
            }
            ps.Invoke("Stop-SentinelAgent; Disconnect-SentinelMaster");
            Assert.Equal("local", Assert.Single(ps.Invoke("Get-SentinelMachine")).Properties["Source"].Value);
        }
        finally
        {
            master.Kill();
            master.WaitForExit();
            Directory.Delete(data, true);
        }
    }

    private static void SentinelConnectionReady(ModuleSession ps, string url)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var (_, errors) = ps.InvokeWithErrors($"Connect-SentinelMaster -Url {url}");
            if (errors.Count == 0) return;
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the sentinel master process did not answer: " + errors[0]);
            Thread.Sleep(100);
        }
    }

    [Fact]
    public void An_unreachable_master_is_a_connection_error_and_the_session_stays_local()
    {
        using var ps = new ModuleSession();
        var (output, errors) = ps.InvokeWithErrors($"Connect-SentinelMaster -Url http://127.0.0.1:{Sentinel.FreePort()}");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.MasterUnreachable", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, e.CategoryInfo.Category);
        Assert.False(string.IsNullOrEmpty(e.ErrorDetails?.RecommendedAction));
        Assert.Equal("local", Assert.Single(ps.Invoke("Get-SentinelMachine")).Properties["Source"].Value);
        var (_, bad) = ps.InvokeWithErrors("Connect-SentinelMaster -Url login01:8080");
        Assert.StartsWith("Sentinel.InvalidUrl", Assert.Single(bad).FullyQualifiedErrorId);
    }

    [Fact]
    public void History_without_a_master_says_how_to_get_one()
    {
        using var ps = new ModuleSession();
        var (_, errors) = ps.InvokeWithErrors("Get-SentinelMachine | Get-SentinelMetric");
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.NoHistory", e.FullyQualifiedErrorId);
        Assert.Contains("Start-SentinelMaster", e.ToString());
    }

    [Fact]
    public void Durations_read_as_people_type_them_even_where_PowerShell_makes_numbers_of_them()
    {
        using var ps = new ModuleSession();
        // Unquoted 1s is the Int16 1 and 1d the decimal 1 to PowerShell; 5m and 500ms stay strings.
        foreach (var (arg, seconds) in new[] { ("1s", 1.0), ("500ms", 0.5), ("5m", 300.0), ("2", 2.0), ("1.5", 1.5), ("'0:0:3'", 3.0) })
        {
            var (output, errors) = ps.InvokeWithErrors($"Start-SentinelAgent -Master http://127.0.0.1:1 -Interval {arg} -WhatIf -Verbose");
            Assert.Empty(errors);
        }
        var (_, day) = ps.InvokeWithErrors("Start-SentinelAgent -Master http://127.0.0.1:1 -Interval 1d");
        Assert.StartsWith("Sentinel.InvalidInterval", Assert.Single(day).FullyQualifiedErrorId); // a day is over the 1 h limit: read as a day, not a second
        Assert.Contains("-Interval 1d is outside 100ms to 1h", day[0].ToString());
    }

    [Fact]
    public void A_bad_interval_is_refused_naming_the_value()
    {
        using var ps = new ModuleSession();
        var (output, errors) = ps.InvokeWithErrors("Start-SentinelAgent -Master http://127.0.0.1:1 -Interval soon");
        Assert.Empty(output);
        Assert.Contains("'soon' is not a duration", Assert.Single(errors).ToString());
        var (_, tooFast) = ps.InvokeWithErrors("Start-SentinelAgent -Master http://127.0.0.1:1 -Interval 10ms");
        Assert.StartsWith("Sentinel.InvalidInterval", Assert.Single(tooFast).FullyQualifiedErrorId);
    }
}
