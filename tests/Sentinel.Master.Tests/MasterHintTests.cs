namespace Sentinel.Master.Tests;

/// <summary>The agent command line `sentinel master` prints at start works when copied: it asks for the token when agents need one.</summary>
public class MasterHintTests
{
    private static async Task<string> HintOf(params string[] extra)
    {
        using var dir = new TempDir();
        int port = Testing.SentinelProgram.FreePort();
        using var master = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path, .. extra]);
        string? line = null;
        await Wait.Until(() =>
        {
            line = master.Output.Split('\n').FirstOrDefault(l => l.Contains("agents: sentinel agent", StringComparison.Ordinal));
            return Task.FromResult(line is not null || master.HasExited);
        }, TimeSpan.FromSeconds(30), "the master prints the agent command line");
        Assert.True(line is not null, "the master exited without printing the agent command line:\n" + master.Output);
        master.Signal("TERM");
        master.WaitExit(TimeSpan.FromSeconds(20));
        return line![(line.IndexOf("sentinel agent", StringComparison.Ordinal))..];
    }

    [Fact]
    public async Task Without_an_agent_token_the_line_is_complete()
        => Assert.Matches(@"^sentinel agent --master http://127\.0\.0\.1:\d+$", await HintOf());

    [Fact]
    public async Task With_an_agent_token_the_line_asks_for_it()
        => Assert.Matches(@"^sentinel agent --master http://127\.0\.0\.1:\d+ --token AGENT-TOKEN$", await HintOf("--agent-token", "s3cret-token"));
}
