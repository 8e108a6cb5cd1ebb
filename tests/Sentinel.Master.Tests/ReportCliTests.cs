using System.Diagnostics;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Json;

namespace Sentinel.Master.Tests;

/// <summary><c>sentinel report</c>, the built program, against a real master with a real agent on loopback.</summary>
public class ReportCliTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Testing.SentinelProgram.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "sentinel report did not finish within a minute");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public async Task A_report_of_a_master_names_its_agent_and_an_existing_file_is_kept_without_force()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var agent = new SentinelAgent(new AgentOptions
        {
            Master = master.Url, Name = "report-agent", HostId = "host-report", Interval = TimeSpan.FromSeconds(1),
            Tags = new Dictionary<string, string> { ["rack"] = "<b7>" },
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
        }, new FakeSource("host-report"));
        agent.Start();
        await Wait.Until(async () =>
        {
            var r = await Api.Get(master.Url, "api/machines/report-agent/metrics?step=1");
            return r.IsSuccessStatusCode && JsonSerializer.Deserialize(await r.Content.ReadAsStringAsync(), SentinelJsonContext.Default.MetricSeries)!.Points.Count >= 2;
        }, TimeSpan.FromSeconds(20), "the agent's samples are stored");

        var path = Path.Combine(dir.Path, "fleet.html");
        var (exit, stdout, stderr) = Run("report", "--master", master.Url.ToString(), "--out", path, "--since", "1h", "--title", "CLI report");
        Assert.True(exit == 0, stderr);
        var html = File.ReadAllText(path);
        Assert.Contains("<h1>CLI report</h1>", html);
        Assert.Contains("<h3>report-agent <span class=\"small status-online\">online</span></h3>", html);
        Assert.Contains("<figcaption>report-agent: CPU, memory</figcaption>", html);
        Assert.Contains("<td class=\"wrap\">rack=&lt;b7&gt;</td>", html);
        Assert.Contains("Sim CPU", html);
        Assert.Contains("(1 h)", html);
        Assert.Contains("* plotly.js v2.28.0", html);
        Assert.StartsWith(path + ": ", stdout);
        Assert.Contains("1 machines, 1 with history, 0 benchmark results", stdout);
        Assert.Contains("sentinel report: Reading history of report-agent", stderr);

        // Run again: the file is there, so nothing happens without --force.
        var before = File.ReadAllBytes(path);
        var (again, _, refused) = Run("report", "--master", master.Url.ToString(), "--out", path);
        Assert.Equal(2, again);
        Assert.Contains($"--out: {path} already exists; add --force to replace it", refused);
        Assert.Equal(before, File.ReadAllBytes(path));

        var (forced, _, forcedErr) = Run("report", "--master", master.Url.ToString(), "--out", path, "--force", "--machine", "report-agent", "--machine", "nosuch");
        Assert.True(forced == 0, forcedErr);
        Assert.Contains("has no machine named 'nosuch'", forcedErr);
        Assert.Contains("<h1>Sentinel report</h1>", File.ReadAllText(path));
        Assert.Equal(["fleet.html"], Directory.GetFiles(dir.Path, "*.html").Select(Path.GetFileName)); // no temporary file left

        // Only names the master does not know: an error, not an empty report.
        var (none, _, noneErr) = Run("report", "--master", master.Url.ToString(), "--out", Path.Combine(dir.Path, "gpus.html"), "-m", "gpu01", "-m", "gpu02");
        Assert.Equal(2, none);
        Assert.Contains("has no machine named 'gpu01' or 'gpu02'", noneErr);
        Assert.Contains("nothing was written", noneErr);
        Assert.False(File.Exists(Path.Combine(dir.Path, "gpus.html")));
    }

    [Fact]
    public void An_unreachable_master_and_a_bad_since_are_errors_that_say_so_and_write_nothing()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "r.html");
        var port = Testing.SentinelProgram.FreePort();

        var (exit, _, err) = Run("report", "--master", $"http://127.0.0.1:{port}", "--out", path);
        Assert.Equal(1, exit);
        Assert.Contains($"sentinel report: Cannot reach the master at http://127.0.0.1:{port}/", err);

        var (badSince, _, sinceErr) = Run("report", "--master", $"http://127.0.0.1:{port}", "--out", path, "--since", "soon");
        Assert.Equal(2, badSince);
        Assert.Contains("--since: 'soon' is neither how long ago (24h, 7d, 90m) nor an ISO-8601 time", sinceErr);

        var (badUrl, _, urlErr) = Run("report", "--master", "login01:8080", "--out", path);
        Assert.Equal(2, badUrl);
        Assert.Contains("--master: 'login01:8080' is not an http:// or https:// URL", urlErr);

        var (noFolder, _, folderErr) = Run("report", "--master", $"http://127.0.0.1:{port}", "--out", Path.Combine(dir.Path, "no", "r.html"));
        Assert.Equal(2, noFolder);
        Assert.Contains("does not exist", folderErr);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Help_shows_the_options_and_examples()
    {
        var (exit, stdout, _) = Run("report", "--help");
        Assert.Equal(0, exit);
        foreach (var option in new[] { "--master", "--out", "--since", "--title", "--machine", "--force", "Examples: sentinel report --master" })
        {
            Assert.Contains(option, stdout);
        }
    }
}
