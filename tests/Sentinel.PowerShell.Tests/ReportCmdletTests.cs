using System.Runtime.Loader;

namespace Sentinel.PowerShell.Tests;

/// <summary>Export-SentinelReport with no master: this machine, from the built module in out/Sentinel.</summary>
public sealed class LocalReportTests : IClassFixture<ModuleTests.Session>, IDisposable
{
    private readonly ModuleSession _ps;
    private readonly string _dir = Directory.CreateTempSubdirectory("sentinel-ps-report-").FullName;

    public LocalReportTests(ModuleTests.Session session) => _ps = session.PS;

    private static string HostName => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    private string InDir(string name) => Path.Combine(_dir, name);

    [Fact]
    public void The_report_of_this_machine_is_written_relative_to_the_current_location()
    {
        // A result of this session gives the report a chart, so Plotly.NET serialises a figure (F#, Newtonsoft.Json).
        _ps.Invoke("$null = Invoke-SentinelBenchmark Cpu -Threads 1 -Parameter @{ seconds = 0.05; repetitions = 1 }");
        var file = Assert.Single(_ps.Invoke($"$global:here = $ExecutionContext.SessionState.Path.CurrentLocation; $null = $ExecutionContext.SessionState.Path.SetLocation('{_dir}'); " +
            "try { Export-SentinelReport local.html -PassThru } finally { $null = $ExecutionContext.SessionState.Path.SetLocation($here.Path) }"));
        var info = Assert.IsType<FileInfo>(file.BaseObject);
        Assert.Equal(InDir("local.html"), info.FullName);
        var html = File.ReadAllText(info.FullName);
        Assert.Contains("<h1>Sentinel report</h1>", html);
        Assert.Contains("<td>" + System.Net.WebUtility.HtmlEncode(HostName) + "</td>", html);
        Assert.Contains("No history: The local machine keeps no history", html);
        Assert.Contains("* plotly.js v2.28.0", html);
        Assert.Contains("(24 h)", html);
        Assert.Contains("<h3>Cpu: floatAllGflops", html);
        Assert.Contains("data-chart=\"chart1\"", html);

        // Plotly.NET and its F# and JSON libraries came from deps/ into Sentinel's own load context, not PowerShell's.
        var sentinel = AssemblyLoadContext.All.Single(c => c.Name == "Sentinel").Assemblies.Select(a => a.GetName().Name).ToList();
        Assert.Contains("Sentinel.Reports", sentinel);
        Assert.Contains("Plotly.NET", sentinel);
        Assert.Contains("FSharp.Core", sentinel);
        Assert.Contains("DynamicObj", sentinel);
        Assert.Contains("Newtonsoft.Json", sentinel);
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name is "Plotly.NET" or "FSharp.Core" or "Sentinel.Reports");
        var deps = Path.Combine(Path.GetDirectoryName(ModuleSession.ModulePath)!, "deps");
        foreach (var dll in new[] { "Plotly.NET", "FSharp.Core", "DynamicObj", "Giraffe.ViewEngine", "Newtonsoft.Json" })
        {
            Assert.True(File.Exists(Path.Combine(deps, dll + ".dll")), $"{dll}.dll is not in {deps}");
        }
    }

    [Fact]
    public void WhatIf_says_what_it_would_write_and_writes_nothing()
    {
        _ps.Host.TakeOutput();
        Assert.Empty(_ps.Invoke($"Export-SentinelReport '{InDir("whatif.html")}' -WhatIf"));
        Assert.Contains($"What if: Performing the operation \"Write a Sentinel report of the local machine\" on target \"{InDir("whatif.html")}\"", _ps.Host.TakeOutput());
        Assert.False(File.Exists(InDir("whatif.html")));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void An_existing_file_is_left_alone_without_Force_and_replaced_with_it()
    {
        var path = InDir("exists.html");
        File.WriteAllText(path, "keep me");
        var (output, errors) = _ps.InvokeWithErrors($"Export-SentinelReport '{path}' -PassThru");
        Assert.Empty(output);
        var e = Assert.Single(errors);
        Assert.StartsWith("Sentinel.FileExists", e.FullyQualifiedErrorId);
        Assert.Contains(path, e.ToString());
        Assert.Contains("-Force", e.ErrorDetails.RecommendedAction);
        Assert.Equal("keep me", File.ReadAllText(path));

        Assert.Single(_ps.Invoke($"Export-SentinelReport '{path}' -Force -PassThru -Title 'Replaced'"));
        Assert.Contains("<h1>Replaced</h1>", File.ReadAllText(path));
    }

    [Fact]
    public void Since_takes_how_long_ago_or_a_time()
    {
        _ps.Invoke($"Export-SentinelReport '{InDir("2h.html")}' -Since 2h");
        Assert.Contains("(2 h)", File.ReadAllText(InDir("2h.html")));
        _ps.Invoke($"Export-SentinelReport '{InDir("7d.html")}' -Since 7d");
        Assert.Contains("(7 d)", File.ReadAllText(InDir("7d.html")));
        _ps.Invoke($"Export-SentinelReport '{InDir("time.html")}' -Since ([DateTime]::Now.AddHours(-3))");
        Assert.Contains("(3 h)", File.ReadAllText(InDir("time.html")));

        var (_, bad) = _ps.InvokeWithErrors($"Export-SentinelReport '{InDir("bad.html")}' -Since soon");
        Assert.StartsWith("ParameterArgumentTransformationError", Assert.Single(bad).FullyQualifiedErrorId);
        var (_, future) = _ps.InvokeWithErrors($"Export-SentinelReport '{InDir("future.html")}' -Since ([DateTime]::Now.AddHours(1))");
        Assert.StartsWith("Sentinel.BadRange", Assert.Single(future).FullyQualifiedErrorId);
        Assert.False(File.Exists(InDir("bad.html")) || File.Exists(InDir("future.html")));
    }

    [Fact]
    public void Input_that_is_not_a_machine_metric_or_result_is_an_error_and_writes_nothing()
    {
        var s = Streams.Of(_ps, $"42, 43 | Export-SentinelReport '{InDir("numbers.html")}'");
        Assert.Equal(2, s.Errors.Count);
        Assert.All(s.Errors, e => Assert.StartsWith("Sentinel.NotReportable", e.FullyQualifiedErrorId));
        Assert.Contains(s.Warnings, w => w.Message.Contains("no report was written"));
        Assert.False(File.Exists(InDir("numbers.html")));
    }

    [Fact]
    public void A_missing_folder_is_an_error_naming_it()
    {
        var (_, errors) = _ps.InvokeWithErrors($"Export-SentinelReport '{InDir("no/such/r.html")}'");
        Assert.StartsWith("Sentinel.PathNotFound", Assert.Single(errors).FullyQualifiedErrorId);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}

/// <summary>Export-SentinelReport of a real master's machines and results, piped from the other cmdlets.</summary>
public sealed class FleetReportTests : IClassFixture<BenchmarkFleetSession>, IDisposable
{
    private readonly ModuleSession _ps;
    private readonly string _dir = Directory.CreateTempSubdirectory("sentinel-ps-report-").FullName;

    public FleetReportTests(BenchmarkFleetSession fleet) => _ps = fleet.PS;

    private static readonly string[] Agents = [BenchmarkFleetSession.FirstAgent, BenchmarkFleetSession.SecondAgent];

    [Fact]
    public void Piped_machines_bring_their_history_with_progress_on_the_way()
    {
        // Online is not yet stored: wait until each machine has a few points of history.
        foreach (var agent in Agents)
        {
            LocalBenchmarkTests.WaitFor(() => _ps.Invoke($"Get-SentinelMetric {agent} -Since ([DateTime]::Now.AddMinutes(-10)) -Step 1s").Count >= 3, $"{agent} has no history after 30 s", seconds: 30);
        }
        var path = Path.Combine(_dir, "machines.html");
        var s = Streams.Of(_ps, $"Get-SentinelMachine | Export-SentinelReport '{path}' -Since 10m -Title 'Lab'");
        Assert.Empty(s.Errors);
        var html = File.ReadAllText(path);
        Assert.Contains("<h1>Lab</h1>", html);
        Assert.Contains("from the master at " + _ps.Invoke("$m.Url")[0], html);
        foreach (var agent in Agents)
        {
            Assert.Contains($"<h3>{agent} <span class=\"small status-online\">online</span></h3>", html);
            Assert.Contains($"<figcaption>{agent}: CPU, memory</figcaption>", html);
            Assert.Contains($"<figcaption>{agent}: network and disk</figcaption>", html);
            Assert.Contains(s.Progress, p => p.Activity == "Export-SentinelReport" && p.StatusDescription == "Reading history of " + agent);
        }
        Assert.DoesNotContain("No history", html);
        Assert.Contains("<figcaption>CPU busy across the fleet</figcaption>", html);
    }

    [Fact]
    public void Piped_results_are_compared_as_given()
    {
        var results = _ps.Invoke("Get-SentinelMachine | Invoke-SentinelBenchmark -Name Network -Parameter @{ seconds = 0.5; pings = 5 }");
        Assert.Equal(2, results.Count);
        var path = Path.Combine(_dir, "results.html");
        Assert.Single(_ps.Invoke($"Get-SentinelBenchmarkResult -Name Network | Export-SentinelReport '{path}' -PassThru"));
        var html = File.ReadAllText(path);
        Assert.Contains("<h3>Network: rttMedianMs", html);
        foreach (var agent in Agents) Assert.Contains($"<tr><td>{agent}</td>", html);
        Assert.Contains("2 machines: outliers are flagged from three.", html);
        Assert.DoesNotContain("id=\"history\"", html); // results only: no history was asked for
        Assert.Contains("id=\"inventory\"", html);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
