using System.Text;
using Sentinel.Commands;

namespace Sentinel.Tests;

/// <summary>The agent's allow-list: whole-line glob matching, the one-line rule, the shell rule and the argv split.</summary>
public class CommandPolicyTests
{
    [Theory]
    [InlineData("nvidia-smi", "nvidia-smi", true)]
    [InlineData("nvidia-smi", "nvidia-smi -q", false)] // whole line: no prefix match
    [InlineData("nvidia-smi *", "nvidia-smi -q", true)]
    [InlineData("nvidia-smi *", "nvidia-smi", false)]
    [InlineData("nvidia-smi*", "nvidia-smi", true)]
    [InlineData("nvidia-smi*", "nvidia-smi -q -d MEMORY", true)]
    [InlineData("nvidia-smi*", "Nvidia-smi -q", false)] // case-sensitive
    [InlineData("nvidia-smi*", "xnvidia-smi", false)]
    [InlineData("echo ?", "echo a", true)]
    [InlineData("echo ?", "echo ab", false)]
    [InlineData("df -h *", "df -h /", true)]
    [InlineData("*", "anything at all", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void A_pattern_must_match_the_whole_line(string pattern, string line, bool matches)
        => Assert.Equal(matches, CommandLine.Matches(pattern, line));

    [Theory]
    [InlineData("nvidia-smi\nrm -rf /", "U+000A")]
    [InlineData("nvidia-smi\rrm -rf /", "U+000D")]
    [InlineData("nvidia-smi\0rm", "U+0000")]
    [InlineData("nvidia-smi\t-q", "U+0009")]
    [InlineData("nvidia-smi \u001b[2J", "U+001B")]
    [InlineData("nvidia-smi\u0085rm", "U+0085")]
    [InlineData("nvidia-smi\u2028rm", "U+2028")]
    public void A_line_with_a_control_character_is_refused_before_any_pattern_is_tried(string line, string named)
    {
        var decision = new CommandPolicy(["*", "nvidia-smi*"]).Decide(line);
        Assert.False(decision.Allowed);
        Assert.Contains(named, decision.Refused);
        Assert.Null(decision.Argv);
    }

    [Fact]
    public void An_agent_with_no_patterns_refuses_everything_and_says_how_to_allow()
    {
        var decision = CommandPolicy.None.Decide("nvidia-smi");
        Assert.False(decision.Allowed);
        Assert.Contains("--allow-command PATTERN", decision.Refused);
    }

    [Fact]
    public void A_line_no_pattern_matches_is_refused_naming_it()
    {
        var decision = new CommandPolicy(["nvidia-smi *"]).Decide("rm -rf /");
        Assert.False(decision.Allowed);
        Assert.Contains("'rm -rf /' is not allowed", decision.Refused);
    }

    [Fact]
    public void Shell_metacharacters_are_ordinary_characters_of_argv()
    {
        var decision = new CommandPolicy(["echo *"]).Decide("echo $(id) `id` ; rm -rf / | cat > x && y");
        Assert.True(decision.Allowed, decision.Refused);
        Assert.Equal(["echo", "$(id)", "`id`", ";", "rm", "-rf", "/", "|", "cat", ">", "x", "&&", "y"], decision.Argv);
        Assert.Equal("echo *", decision.Pattern);
    }

    [Fact]
    public void A_shell_runs_only_when_the_pattern_that_matched_names_it()
    {
        var anything = new CommandPolicy(["*"]).Decide("sh -c 'id'");
        Assert.False(anything.Allowed);
        Assert.Contains("is a shell", anything.Refused);
        Assert.False(new CommandPolicy(["*"]).Decide("/bin/bash -c id").Allowed);
        var shell = new CommandPolicy(["sh -c *"]).Decide("sh -c 'sleep 1 & wait'");
        Assert.True(shell.Allowed, shell.Refused);
        Assert.Equal(["sh", "-c", "sleep 1 & wait"], shell.Argv);
    }

    [Theory]
    [InlineData("a b   c", new[] { "a", "b", "c" })]
    [InlineData("  -x 'two words' \"say \\\"hi\\\"\" back\\ slash", new[] { "-x", "two words", "say \"hi\"", "back slash" })]
    [InlineData("'' \"\" x", new[] { "", "", "x" })]
    [InlineData("'$HOME' \"$HOME\" *", new[] { "$HOME", "$HOME", "*" })]
    public void A_line_splits_into_argv_with_simple_quoting(string line, string[] argv)
        => Assert.Equal(argv, CommandLine.Split(line));

    [Fact]
    public void Patterns_are_checked_when_the_agent_starts()
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new CommandPolicy([""])).Message);
        Assert.Contains("U+000A", Assert.Throws<ArgumentException>(() => new CommandPolicy(["nvidia-smi\n*"])).Message);
        var bad = new CommandPolicy(["echo *"]).Decide("echo 'unclosed");
        Assert.False(bad.Allowed);
        Assert.Contains("not closed", bad.Refused);
    }
}

/// <summary>The runner: argv without a shell, output as it comes, the cap, the timeout that kills the whole tree.</summary>
public class CommandRunnerTests
{
    private static async Task<(CommandOutcome Outcome, string Stdout, string Stderr)> Run(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct = default)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var outcome = await CommandRunner.RunAsync(argv, timeout, (stream, text) =>
        {
            lock (stdout) (stream == "stdout" ? stdout : stderr).Append(text);
        }, cancellationToken: ct);
        return (outcome, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Metacharacters_reach_the_program_literally()
    {
        var argv = new CommandPolicy(["echo *"]).Decide("echo $(id) ; id").Argv!;
        var (outcome, stdout, _) = await Run(argv, TimeSpan.FromSeconds(30));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("$(id) ; id\n", stdout);
        Assert.False(outcome.TimedOut);
        Assert.False(outcome.Truncated);
    }

    [Fact]
    public async Task Exit_codes_and_stderr_come_back()
    {
        var (outcome, _, stderr) = await Run(["ls", "/no/such/folder"], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("/no/such/folder", stderr);
        var missing = await Run(["/no/such/program"], TimeSpan.FromSeconds(30));
        Assert.Null(missing.Outcome.ExitCode);
        Assert.Contains("could not start '/no/such/program'", missing.Outcome.Error);
    }

    [Fact]
    public async Task Output_arrives_while_the_program_still_runs()
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var run = CommandRunner.RunAsync(["sh", "-c", "echo first; exec sleep 120"], TimeSpan.FromMinutes(5),
            (_, text) => seen.TrySetResult(text), cancellationToken: stop.Token);
        var first = await seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("first\n", first);
        Assert.False(run.IsCompleted, "the program sleeps for two minutes; its first line came before it ended");
        stop.Cancel();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("cancelled", outcome.Error);
        Assert.False(outcome.TimedOut);
    }

    [Fact]
    public async Task Output_past_the_cap_is_dropped_and_the_stream_ends_with_a_marker()
    {
        var (outcome, stdout, _) = await Run(["seq", "1", "400000"], TimeSpan.FromSeconds(60));
        Assert.Equal(0, outcome.ExitCode);
        Assert.True(outcome.Truncated);
        var full = string.Concat(Enumerable.Range(1, 400000).Select(i => i + "\n"));
        var marker = CommandRunner.TruncationMarker("stdout", full.Length - CommandRunner.OutputCapBytes);
        Assert.Equal(full[..CommandRunner.OutputCapBytes] + marker, stdout); // the first 1 MiB, exactly, then the marker
        Assert.Contains("more bytes were dropped", marker);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree()
    {
        // A unique duration marks this test's sleeps in the process table.
        var tag = Sentinel.Testing.ProcessTable.UniqueSleep();
        var argv = new CommandPolicy(["sh -c *"]).Decide($"sh -c 'sleep {tag} & sleep {tag}'").Argv!;
        var running = Run(argv, TimeSpan.FromSeconds(2));
        await WaitFor(() => Sentinel.Testing.ProcessTable.Sleepers(tag) >= 2, TimeSpan.FromSeconds(30), "both sleeps started");
        var (outcome, _, _) = await running.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(outcome.TimedOut);
        Assert.Contains("every process it started were killed", outcome.Error);
        await WaitFor(() => Sentinel.Testing.ProcessTable.Sleepers(tag) == 0, TimeSpan.FromSeconds(30), "no sleep survives");
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail("timed out waiting until " + what);
            await Task.Delay(50);
        }
    }
}
