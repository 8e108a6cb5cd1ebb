using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// The commands the README and docs/ show, tried as a new user would type them: every Sentinel cmdlet in a
/// PowerShell block exists and takes the parameters used with it, and every `sentinel` command line in a shell
/// block uses a real subcommand with options it has. (What the commands then do is tested where they are.)
/// </summary>
public partial class DocCommandTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public DocCommandTests(ModuleTests.Session session) => _ps = session.PS;

    private static string Root => Testing.SentinelProgram.RepositoryRoot;

    public static TheoryData<string> Documents()
    {
        var files = new[] { Path.Combine(Root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories));
        return new(files.Select(f => Path.GetRelativePath(Root, f)).Order());
    }

    [GeneratedRegex(@"^```(\w*)[^\n]*\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    private static IEnumerable<(string Language, string Code)> Blocks(string document)
        => FencedBlock().Matches(File.ReadAllText(Path.Combine(Root, document))).Select(m => (m.Groups[1].Value.ToLowerInvariant(), m.Groups[2].Value));

    [Theory]
    [MemberData(nameof(Documents))]
    public void Each_cmdlet_shown_exists_and_takes_the_parameters_used(string document)
    {
        var exported = _ps.Invoke("(Get-Module Sentinel).ExportedCmdlets.Keys").Select(o => o.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (language, code) in Blocks(document).Where(b => b.Language is "powershell" or "pwsh" or "ps1"))
        {
            // Examples written as a session show prompts and output: only the prompted lines are commands.
            var lines = code.Split('\n');
            var script = lines.Any(l => l.StartsWith("PS> ", StringComparison.Ordinal))
                ? string.Join("\n", lines.Where(l => l.StartsWith("PS> ", StringComparison.Ordinal)).Select(l => l[4..]))
                : code;
            var ast = Parser.ParseInput(script, out _, out var errors);
            Assert.True(errors.Length == 0, $"{document}: a PowerShell block does not parse ({string.Join("; ", errors.Select(e => e.Message))}):\n{script}");
            foreach (var command in ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>())
            {
                var name = command.GetCommandName();
                if (name is null || !SentinelCmdlet().IsMatch(name))
                {
                    continue;
                }
                Assert.True(exported.Contains(name), $"{document}: {name} is not a Sentinel cmdlet ({command.Extent.Text})");
                var parameters = Parameters(name);
                foreach (var used in command.CommandElements.OfType<CommandParameterAst>())
                {
                    var matches = parameters.Where(p => p.StartsWith(used.ParameterName, StringComparison.OrdinalIgnoreCase)).ToList();
                    Assert.True(matches.Contains(used.ParameterName, StringComparer.OrdinalIgnoreCase) || matches.Count == 1,
                        $"{document}: {name} has no parameter -{used.ParameterName} ({command.Extent.Text})");
                }
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z]+-Sentinel[A-Za-z]+$")]
    private static partial Regex SentinelCmdlet();

    private readonly Dictionary<string, List<string>> _parameters = new(StringComparer.OrdinalIgnoreCase);

    // Names and aliases, common parameters included.
    private List<string> Parameters(string cmdlet)
    {
        if (!_parameters.TryGetValue(cmdlet, out var names))
        {
            names = _ps.Invoke($"(Get-Command {cmdlet}).Parameters.Values | ForEach-Object {{ $_.Name; $_.Aliases }}").Select(o => o.ToString()).ToList();
            _parameters[cmdlet] = names;
        }
        return names;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Each_sentinel_command_line_shown_uses_a_real_subcommand_and_its_options(string document)
    {
        foreach (var (_, code) in Blocks(document).Where(b => b.Language is "sh" or "bash" or "" or "console" or "text"))
        {
            var joined = code.Replace("\\\n", " ");
            foreach (Match m in CommandLine().Matches(joined))
            {
                var sub = m.Groups["sub"].Value;
                if (!Help.Value.TryGetValue(sub, out var help))
                {
                    continue; // "sentinel" as a word that is not a command (a file name, prose)
                }
                foreach (Match option in Option().Matches(m.Groups["rest"].Value))
                {
                    Assert.True(help.Contains(option.Value + " ", StringComparison.Ordinal) || help.Contains(option.Value + ",", StringComparison.Ordinal),
                        $"{document}: 'sentinel {sub}' has no option {option.Value} ({m.Value.Trim()})");
                }
            }
        }
    }

    // sentinel SUB …, ~/bin/sentinel SUB …, "$HOME/bin/sentinel" SUB …, dotnet run --project src/Sentinel.Cli -c Release -- SUB …;
    // the command line ends at a pipe, a redirection, a comment, a background & or the end of the line.
    [GeneratedRegex(@"(?:(?<![\w-])sentinel""?|Sentinel\.Cli -c Release --)[ \t]+(?<sub>[a-z][a-z-]*)(?<rest>[^\n|>#;&]*)")]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"(?<=\s)--[a-z][a-z-]*(?=[\s=]|$)")]
    private static partial Regex Option();

    // Each subcommand's --help, from the built program.
    private static readonly Lazy<Dictionary<string, string>> Help = new(() =>
    {
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var top = Run("--help");
        foreach (Match m in Regex.Matches(top, @"^  ([a-z][a-z-]*)\b", RegexOptions.Multiline))
        {
            help[m.Groups[1].Value] = Run(m.Groups[1].Value, "--help");
        }
        Assert.Contains("agent", help.Keys);
        return help;
    });

    private static string Run(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(Testing.SentinelProgram.Path, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
