using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// docs/walkthrough.md's PowerShell for a laptop, run as written in the hosted engine: step 2 (a master and
/// an agent in the session) and step 5 (reports). Only what cannot be shared on a test machine is changed:
/// port 8080 becomes a free port and ~/sentinel-data a temporary folder; and, as a person typing would, the
/// run waits for the agent to come online before the lines that read the fleet.
/// </summary>
public sealed class WalkthroughTests : IDisposable
{
    private readonly ModuleSession _ps = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("sentinel-walkthrough-").FullName;

    private static List<string> PowerShellLines(string section)
    {
        var doc = File.ReadAllText(Path.Combine(Testing.SentinelProgram.RepositoryRoot, "docs", "walkthrough.md"));
        var start = doc.IndexOf("\n## " + section, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/walkthrough.md has no section '{section}'");
        var end = doc.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        var text = doc[start..(end < 0 ? doc.Length : end)];
        var block = Regex.Match(text, @"```powershell\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"section '{section}' has no PowerShell block");
        return block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private string Local(string line) => line
        .Replace("-Port 8080", $"-Port {Sentinel.FreePort()}", StringComparison.Ordinal)
        .Replace("~/sentinel-data", Path.Combine(_dir, "data"), StringComparison.Ordinal)
        .Replace("./", _dir + "/", StringComparison.Ordinal);

    [Fact]
    public void A_master_an_agent_and_reports_on_the_laptop_work_as_written()
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
                Assert.Single(output);
            }
        }
        Assert.True(File.Exists(Path.Combine(_dir, "data", "sentinel.db")));

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
