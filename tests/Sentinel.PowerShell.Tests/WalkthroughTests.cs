using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// docs/walkthrough.md's PowerShell for a laptop, run as written in the hosted engine: step 1 (one machine,
/// nothing set up), step 2 (a master and an agent in the session) and step 5 (reports). The blocks are read
/// from the document at test time. Only what cannot be shared on a test machine is changed: the module's
/// path (./out/Sentinel is relative to the repository, the test runs elsewhere), port 8080 becomes a free
/// port and ~/sentinel-data a temporary folder; and, as a person typing would, the run waits for the agent
/// to come online before the lines that read the fleet.
/// </summary>
public sealed class WalkthroughTests : IDisposable
{
    private readonly ModuleSession _ps = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("sentinel-walkthrough-").FullName;

    private static string Section(string section)
    {
        var doc = File.ReadAllText(Path.Combine(Testing.SentinelProgram.RepositoryRoot, "docs", "walkthrough.md"));
        var start = doc.IndexOf("\n## " + section, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/walkthrough.md has no section '{section}'");
        var end = doc.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        return doc[start..(end < 0 ? doc.Length : end)];
    }

    private static List<string> PowerShellLines(string section)
    {
        var text = Section(section);
        var block = Regex.Match(text, @"```powershell\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"section '{section}' has no PowerShell block");
        return block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private string Local(string line) => line
        .Replace("./out/Sentinel/Sentinel.psd1", ModuleSession.ModulePath, StringComparison.Ordinal)
        .Replace("-Port 8080", $"-Port {Sentinel.FreePort()}", StringComparison.Ordinal)
        .Replace("~/sentinel-data", Path.Combine(_dir, "data"), StringComparison.Ordinal)
        .Replace("./", _dir + "/", StringComparison.Ordinal);

    private static string HostName => File.ReadAllText("/proc/sys/kernel/hostname").Trim();

    [Fact]
    public void One_machine_with_nothing_set_up_works_as_written()
    {
        var step1 = PowerShellLines("1. One machine, nothing set up");
        Assert.Equal("Import-Module ./out/Sentinel/Sentinel.psd1", step1[0]);
        // Every line the document shows must run without an error; some are then checked for what they return
        // and for what the console shows of it, as the person typing the line would see it.
        var outputs = new Dictionary<string, Collection<PSObject>>();
        var shown = new Dictionary<string, string>();
        foreach (var line in step1)
        {
            var output = _ps.Invoke(Local(line));
            _ps.Runspace.SessionStateProxy.SetVariable("lineOutput", output);
            outputs[line] = output;
            shown[line] = _ps.Render("$lineOutput");
            Assert.True(output.Count == 0 || shown[line].Trim().Length > 0, $"'{line}' returned objects the console shows as nothing");
        }
        Collection<PSObject> Of(string line)
            => outputs.TryGetValue(line, out var o) ? o : throw new Xunit.Sdk.XunitException($"docs/walkthrough.md step 1 no longer has the line '{line}'");
        string Shown(string line) => Of(line).Count >= 0 ? shown[line] : "";

        var machine = Assert.Single(Of("Get-SentinelMachine"));
        Assert.Equal(HostName, machine.Properties["Name"].Value);
        Assert.Equal("Online", machine.Properties["Status"].Value.ToString());
        Assert.Contains(HostName, Shown("Get-SentinelMachine"));

        var inventory = Assert.Single(Of("(Get-SentinelMachine).Inventory"));
        Assert.Equal(HostName, inventory.Properties["HostName"].Value);
        Assert.Equal(Environment.ProcessorCount, Convert.ToInt32(inventory.Properties["Threads"].Value, CultureInfo.InvariantCulture));
        Assert.True(Convert.ToInt64(inventory.Properties["MemoryTotalBytes"].Value, CultureInfo.InvariantCulture) > 0);
        Assert.Contains("CpuModel", Shown("(Get-SentinelMachine).Inventory"));

        var fileSystems = Of("(Get-SentinelMachine).Latest.FileSystems");
        var root = Assert.Single(fileSystems, f => (string)f.Properties["MountPoint"].Value == "/");
        Assert.True(Convert.ToInt64(root.Properties["TotalBytes"].Value, CultureInfo.InvariantCulture) > 0);
        Assert.Contains("/", Shown("(Get-SentinelMachine).Latest.FileSystems"));

        var result = Assert.Single(Of("Invoke-SentinelBenchmark -Name Cpu"));
        Assert.Equal("Cpu", result.Properties["Benchmark"].Value);
        Assert.Equal(HostName, result.Properties["Machine"].Value);
        Assert.Equal("Completed", result.Properties["State"].Value.ToString());
        _ps.Runspace.SessionStateProxy.SetVariable("cpuResult", result);
        foreach (var figure in new[] { "intSingleMops", "intAllMops", "floatSingleGflops", "floatAllGflops" })
        {
            var value = Convert.ToDouble(Assert.Single(_ps.Invoke($"$cpuResult.Values['{figure}']")).BaseObject, CultureInfo.InvariantCulture);
            Assert.True(value > 0, $"{figure} = {value}");
        }
        Assert.Contains("Completed", Shown("Invoke-SentinelBenchmark -Name Cpu"));
        // "The benchmark prints progress while it runs": progress records reached the host.
        Assert.Contains(_ps.Host.Progress, p => p.Activity.StartsWith("Cpu on ", StringComparison.Ordinal));

        // "Get-Help Get-SentinelMachine -Full and Get-Help about_Sentinel explain the rest": both are there.
        var text = Section("1. One machine, nothing set up");
        Assert.Contains("`Get-Help Get-SentinelMachine -Full`", text);
        Assert.Contains("`Get-Help about_Sentinel`", text);
        Assert.Contains("Inventory", _ps.Render("Get-Help Get-SentinelMachine -Full"));
        Assert.Contains("With nothing set up, every Sentinel cmdlet works on the machine PowerShell runs on", _ps.Render("Get-Help about_Sentinel"));
    }

    [Fact]
    public async Task A_master_an_agent_and_reports_on_the_laptop_work_as_written()
    {
        var step2 = PowerShellLines("2. A master and an agent on the laptop");
        Assert.Contains(step2, l => l.StartsWith("$master = Start-SentinelMaster", StringComparison.Ordinal));
        foreach (var line in step2)
        {
            var output = _ps.Invoke(Local(line));
            if (line.StartsWith("Start-SentinelAgent", StringComparison.Ordinal))
            {
                Assert.Equal("Running", Assert.Single(output).Properties["Status"].Value);
                LocalBenchmarkTests.WaitFor(() => _ps.Invoke("Get-SentinelMachine -Status Online | Where-Object { $null -ne $_.Latest }").Count == 1,
                    "the walkthrough's agent to come online with a sample", seconds: 30);
            }
            if (line.StartsWith("Get-SentinelMachine -Status Online", StringComparison.Ordinal))
            {
                Assert.Equal(HostName, Assert.Single(output).Properties["Name"].Value);
            }
            if (line.StartsWith("Get-SentinelMachine | Get-SentinelMetric", StringComparison.Ordinal))
            {
                // Stored history of this machine, read back from the master's database.
                Assert.NotEmpty(output);
                Assert.All(output, p => Assert.Equal(HostName, p.Properties["Machine"].Value));
            }
        }
        Assert.True(File.Exists(Path.Combine(_dir, "data", "sentinel.db")));
        // "Open http://127.0.0.1:8080/ for the live page": the session's master serves it (on the test's port).
        var url = Assert.Single(_ps.Invoke("$master.Url")).ToString()!;
        using (var http = new HttpClient())
        {
            var page = await http.GetStringAsync(new Uri(new Uri(url), "/"));
            Assert.Contains("<title>Sentinel</title>", page);
        }

        foreach (var line in PowerShellLines("5. Reports"))
        {
            _ps.Invoke(Local(line));
        }
        foreach (var report in new[] { "fleet.html", "bandwidth.html" })
        {
            Assert.Contains("<h1>Sentinel report</h1>", File.ReadAllText(Path.Combine(_dir, report)));
        }
    }

    public void Dispose()
    {
        try { _ps.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
        _ps.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
