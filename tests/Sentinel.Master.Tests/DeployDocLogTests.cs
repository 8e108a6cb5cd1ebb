using System.Text.RegularExpressions;

namespace Sentinel.Master.Tests;

/// <summary>
/// docs/deploy-systemd.md shows what a healthy agent and master write to the journal, so a reader can tell a good
/// start from a bad one. Those lines are compared here with what a real `sentinel master` and `sentinel agent` print,
/// with only what differs between runs (times, ports, folders, versions, the boot id) taken out.
/// </summary>
public partial class DeployDocLogTests
{
    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex LoopbackPort();

    [GeneratedRegex(@"data in \S+/sentinel\.db")]
    private static partial Regex DataPath();

    [GeneratedRegex(@"(?<=\s)\d+\.\d+\.\d+\b(?!\.)")]
    private static partial Regex Version();

    [GeneratedRegex(@"boot [0-9a-f]+")]
    private static partial Regex Boot();

    private static string Shape(string line)
    {
        line = line.StartsWith("ERR ", StringComparison.Ordinal) ? line[4..] : line;
        line = Timestamp().Replace(line, "TIME");
        line = LoopbackPort().Replace(line, "127.0.0.1:PORT");
        line = DataPath().Replace(line, "data in DATA/sentinel.db");
        line = Boot().Replace(line, "boot ID");
        return Version().Replace(line, "VERSION");
    }

    /// <summary>The lines of the plain code block that follows <paramref name="after"/> in the document.</summary>
    private static List<string> Captured(string doc, string after)
    {
        var at = doc.IndexOf(after, StringComparison.Ordinal);
        Assert.True(at >= 0, $"docs/deploy-systemd.md no longer says '{after}'");
        var block = Regex.Match(doc[at..], @"```\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"no log block after '{after}'");
        return block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public async Task The_healthy_agent_and_master_lines_are_what_they_print()
    {
        var doc = File.ReadAllText(Path.Combine(Testing.SentinelProgram.RepositoryRoot, "docs", "deploy-systemd.md"));
        var agentDoc = Captured(doc, "A healthy agent logs two lines");
        var masterDoc = Captured(doc, "and the master one line per connection");

        using var dir = new TempDir();
        int port = Testing.SentinelProgram.FreePort();
        using var master = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path]);
        await Wait.Until(() => Task.FromResult(master.Output.Contains("agents: sentinel agent", StringComparison.Ordinal) || master.HasExited),
            TimeSpan.FromSeconds(30), "the master starts");
        using var agent = new SentinelProcess(["agent", "--master", $"http://127.0.0.1:{port}", "--name", "node01"]);
        await Wait.Until(() => Task.FromResult(master.Output.Contains("agent 'node01' connected", StringComparison.Ordinal)
                && agent.Output.Contains("connected to", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the agent connects");
        var agentLines = agent.Output.Split('\n').Select(Shape).ToHashSet();
        var masterLines = master.Output.Split('\n').Select(Shape).ToHashSet();
        agent.Signal("TERM");
        agent.WaitExit(TimeSpan.FromSeconds(20));
        master.Signal("TERM");
        master.WaitExit(TimeSpan.FromSeconds(20));

        Assert.Equal(2, agentDoc.Count);
        foreach (var line in agentDoc)
        {
            Assert.True(agentLines.Contains(Shape(line)), $"the agent does not print the documented line\n  {line}\nit printed:\n  {string.Join("\n  ", agentLines)}");
        }
        Assert.Equal(3, masterDoc.Count);
        foreach (var line in masterDoc)
        {
            Assert.True(masterLines.Contains(Shape(line)), $"the master does not print the documented line\n  {line}\nit printed:\n  {string.Join("\n  ", masterLines)}");
        }
    }
}
