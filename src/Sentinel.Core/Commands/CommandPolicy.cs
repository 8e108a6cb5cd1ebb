namespace Sentinel.Commands;

/// <summary>What the policy made of a command line: argv to start, or why not.</summary>
public sealed record CommandDecision(IReadOnlyList<string>? Argv, string? Pattern, string? Refused)
{
    public bool Allowed => Refused is null;
}

/// <summary>
/// An agent's allow-list: the command lines its owner lets a master run, as glob patterns matched against the whole
/// line (<see cref="CommandLine.Matches"/>). Empty (the default) allows nothing. The agent decides, not the master.
/// </summary>
public sealed class CommandPolicy
{
    /// <summary>Program names that are shells: a line starting with one runs only when the pattern it matched starts with it too.</summary>
    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "dash", "zsh", "ksh", "fish", "cmd", "cmd.exe", "pwsh", "powershell" };

    public CommandPolicy(IEnumerable<string>? patterns)
    {
        var list = (patterns ?? []).ToList();
        foreach (var p in list)
        {
            if (string.IsNullOrWhiteSpace(p)) throw new ArgumentException("an allowed command pattern is empty", nameof(patterns));
            if (CommandLine.Problem(p) is { } problem) throw new ArgumentException($"allowed command pattern '{p}': {problem.Replace("the command", "the pattern", StringComparison.Ordinal)}", nameof(patterns));
        }
        Patterns = list;
    }

    /// <summary>Nothing allowed.</summary>
    public static CommandPolicy None { get; } = new([]);

    public IReadOnlyList<string> Patterns { get; }

    public bool AllowsAnything => Patterns.Count > 0;

    /// <summary>Checks a line: printable one-liner, matched whole by a pattern, split into argv.</summary>
    public CommandDecision Decide(string? line)
    {
        if (CommandLine.Problem(line) is { } problem) return new(null, null, problem);
        if (Patterns.Count == 0)
        {
            return new(null, null, "this agent runs no commands from the master (its owner starts it with --allow-command PATTERN, or Start-SentinelAgent -AllowCommand, to allow some)");
        }
        var pattern = Patterns.FirstOrDefault(p => CommandLine.Matches(p, line!));
        if (pattern is null)
        {
            return new(null, null, $"'{Shorten(line!)}' is not allowed on this agent (no allowed pattern matches the whole line)");
        }
        List<string> argv;
        try
        {
            argv = CommandLine.Split(line!);
        }
        catch (CommandLineException e)
        {
            return new(null, pattern, "the command does not split into words: " + e.Message);
        }
        if (argv.Count == 0 || argv[0].Length == 0) return new(null, pattern, "the command names no program");
        var program = Path.GetFileName(argv[0]);
        if (Shells.Contains(program) && !(pattern == argv[0] || pattern.StartsWith(argv[0] + " ", StringComparison.Ordinal)))
        {
            return new(null, pattern, $"'{argv[0]}' is a shell, and the pattern '{pattern}' that matched does not start with it; a shell runs only when an allowed pattern names it");
        }
        return new(argv, pattern, null);
    }

    private static string Shorten(string s) => s.Length <= 200 ? s : s[..199] + "…";
}
