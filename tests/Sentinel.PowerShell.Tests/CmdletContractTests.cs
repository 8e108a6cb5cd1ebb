using System.Management.Automation;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// What every exported cmdlet owes its users, checked for whatever the built manifest exports, so a cmdlet
/// added later is held to it without a line here: an approved verb and a Sentinel noun, declared output
/// types with format views, ShouldProcess where it changes state, and help with a synopsis, a description,
/// two examples with code, every parameter described with its real type, whether it is required, how it takes pipeline input and its aliases (and no
/// parameter that does not exist) and its outputs.
/// </summary>
public class CmdletContractTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public CmdletContractTests(ModuleTests.Session session) => _ps = session.PS;

    /// <summary>The cmdlets the built manifest exports (read from the file, so the list is known before a runspace exists).</summary>
    public static TheoryData<string> ExportedCmdlets() => new(ManifestCmdlets());

    private static List<string> ManifestCmdlets()
    {
        var manifest = File.ReadAllText(ModuleSession.ModulePath);
        var block = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value;
        return Regex.Matches(block, @"'([\w-]+)'").Select(m => m.Groups[1].Value).ToList();
    }

    private static readonly HashSet<string> ApprovedVerbs = new[]
        {
            typeof(VerbsCommon), typeof(VerbsCommunications), typeof(VerbsData), typeof(VerbsDiagnostic),
            typeof(VerbsLifecycle), typeof(VerbsOther), typeof(VerbsSecurity),
        }
        .SelectMany(t => t.GetFields()).Select(f => (string)f.GetValue(null)!).ToHashSet(StringComparer.Ordinal);

    // Verbs whose cmdlets change something outside the session (a file, a process, a master's state), so -WhatIf must work.
    private static readonly HashSet<string> StateChangingVerbs = new(StringComparer.Ordinal)
    {
        "New", "Set", "Remove", "Add", "Clear", "Start", "Stop", "Restart", "Reset", "Update", "Enable", "Disable",
        "Register", "Unregister", "Install", "Uninstall", "Export", "Invoke", "Suspend", "Resume", "Rename", "Move", "Copy",
    };

    private static readonly HashSet<string> Common = new(Cmdlet.CommonParameters.Concat(Cmdlet.OptionalCommonParameters), StringComparer.OrdinalIgnoreCase);

    private CmdletInfo Command(string name) => (CmdletInfo)Assert.Single(_ps.Invoke($"Get-Command {name} -Module Sentinel")).BaseObject;

    [Fact]
    public void The_list_holds_every_exported_cmdlet()
    {
        var listed = ManifestCmdlets().Order();
        var exported = _ps.Invoke("(Get-Module Sentinel).ExportedCmdlets.Keys").Select(o => o.ToString()).Order();
        Assert.Equal(exported, listed);
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Uses_an_approved_verb_and_a_Sentinel_noun(string name)
    {
        var command = Command(name);
        Assert.True(ApprovedVerbs.Contains(command.Verb), $"{name}: '{command.Verb}' is not an approved verb (Get-Verb lists them)");
        Assert.Matches("^Sentinel[A-Z][A-Za-z]*$", command.Noun);
        // Nouns are singular (SentinelMachine, not SentinelMachines); Status, Address and the like end in s all the same.
        Assert.False(command.Noun.EndsWith('s') && !new[] { "ss", "us", "is" }.Any(e => command.Noun.EndsWith(e, StringComparison.Ordinal)), $"{name}: nouns are singular");
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Declares_its_output_and_each_Sentinel_output_type_has_a_format_view(string name)
    {
        var command = Command(name);
        var types = command.OutputType.Select(t => t.Name).ToList();
        Assert.True(types.Count > 0, $"{name} has no [OutputType]");
        var views = XDocument.Load(Path.Combine(Path.GetDirectoryName(ModuleSession.ModulePath)!, "Sentinel.format.ps1xml"))
            .Descendants("ViewSelectedBy").Elements("TypeName").Select(e => e.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var type in types.Where(t => t.StartsWith("Sentinel.", StringComparison.Ordinal)))
        {
            Assert.True(views.Contains(type), $"{name} outputs {type}, which has no view in Sentinel.format.ps1xml");
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Supports_WhatIf_and_Confirm_when_its_verb_changes_state(string name)
    {
        var command = Command(name);
        if (StateChangingVerbs.Contains(command.Verb))
        {
            Assert.True(command.Parameters.ContainsKey("WhatIf") && command.Parameters.ContainsKey("Confirm"), $"{name} changes state but has no -WhatIf/-Confirm (SupportsShouldProcess)");
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Has_help_with_a_synopsis_a_description_and_two_examples_with_code(string name)
    {
        var synopsis = _ps.Invoke($"(Get-Help {name} -Full).Synopsis")[0]?.ToString()?.Trim() ?? "";
        // Without MAML, Get-Help makes up a synopsis from the syntax, which starts with the cmdlet's name.
        Assert.False(synopsis.Length == 0 || synopsis.StartsWith(name, StringComparison.OrdinalIgnoreCase), $"{name} has no written synopsis: '{synopsis}'");
        var description = string.Join(" ", _ps.Invoke($"(Get-Help {name} -Full).description | ForEach-Object {{ $_.Text }}"));
        Assert.True(description.Length > 40, $"{name} has no description");
        var codes = _ps.Invoke($"(Get-Help {name} -Examples).examples.example | ForEach-Object {{ $_.code }}").Select(o => o?.ToString() ?? "").ToList();
        Assert.True(codes.Count >= 2, $"{name} has {codes.Count} examples; at least two are needed");
        Assert.All(codes, c => Assert.Contains("Sentinel", c, StringComparison.OrdinalIgnoreCase));
        // Get-Help -Examples shows them as a user reads them.
        var shown = _ps.Render($"Get-Help {name} -Examples");
        Assert.Contains("Example 1", shown);
        Assert.Contains("Example 2", shown);
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Has_help_for_every_parameter_and_none_for_parameters_that_do_not_exist(string name)
    {
        var actual = Command(name).Parameters.Values.Where(p => !Common.Contains(p.Name)).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        // name|type|required|pipeline input|aliases|description, one line per documented parameter.
        var documented = _ps.Invoke($"(Get-Help {name} -Full).parameters.parameter | ForEach-Object {{ $_.name + '|' + $_.type.name + '|' + $_.required + '|' + $_.pipelineInput + '|' + $_.aliases + '|' + (($_.description | ForEach-Object {{ $_.Text }}) -join ' ') }}")
            .Select(o => o.ToString().Split('|', 6))
            .Where(f => f[0].Length > 0) // a cmdlet with no parameters of its own has one empty entry
            .ToDictionary(f => f[0], StringComparer.OrdinalIgnoreCase);
        foreach (var (parameter, info) in actual)
        {
            Assert.True(documented.TryGetValue(parameter, out var help), $"{name} -{parameter} has no help");
            Assert.True(help![5].Trim().Length > 10, $"{name} -{parameter}: its help has no description");
            var aliases = help[4].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).Where(a => a != "None").Order(StringComparer.OrdinalIgnoreCase);
            Assert.True(aliases.SequenceEqual(info.Aliases.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase),
                $"{name} -{parameter} has the aliases '{string.Join(", ", info.Aliases)}', but its help says '{help[4]}'");
            var type = Nullable.GetUnderlyingType(info.ParameterType) ?? info.ParameterType;
            Assert.True(string.Equals(help[1].Split('.')[^1], type.Name, StringComparison.OrdinalIgnoreCase), $"{name} -{parameter} is a {type.Name}, but its help says {help[1]}");
            var mandatory = info.Attributes.OfType<ParameterAttribute>().Any(a => a.Mandatory);
            Assert.True(string.Equals(help[2], mandatory.ToString(), StringComparison.OrdinalIgnoreCase), $"{name} -{parameter}: Required is {mandatory}, but its help says {help[2]}");
            var attributes = info.Attributes.OfType<ParameterAttribute>().ToList();
            bool byValue = attributes.Any(a => a.ValueFromPipeline), byName = attributes.Any(a => a.ValueFromPipelineByPropertyName);
            var pipeline = help[3];
            Assert.True(pipeline.StartsWith(byValue || byName ? "True" : "False", StringComparison.OrdinalIgnoreCase)
                    && pipeline.Contains("ByValue", StringComparison.OrdinalIgnoreCase) == byValue
                    && pipeline.Contains("ByPropertyName", StringComparison.OrdinalIgnoreCase) == byName,
                $"{name} -{parameter} takes pipeline input {(byValue ? "by value " : "")}{(byName ? "by property name" : "")}{(byValue || byName ? "" : "not at all")}, but its help says '{pipeline}'");
        }
        foreach (var parameter in documented.Keys.Where(p => !Common.Contains(p)))
        {
            Assert.True(actual.ContainsKey(parameter), $"{name} help documents -{parameter}, which does not exist");
        }
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Has_help_naming_its_output_types(string name)
    {
        var declared = Command(name).OutputType.Select(t => t.Name).Where(t => t != "System.Void").ToList();
        var documented = string.Join("\n", _ps.Invoke($"(Get-Help {name} -Full).returnValues.returnValue | ForEach-Object {{ $_.type.name }}"));
        Assert.All(declared, t => Assert.True(documented.Contains(t, StringComparison.OrdinalIgnoreCase) || documented.Contains(t.Split('.')[^1], StringComparison.OrdinalIgnoreCase),
            $"{name} outputs {t}, but its help's OUTPUTS section does not name it (it names: {documented.Replace('\n', ',')})"));
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void Has_a_syntax_section_that_matches_its_parameter_sets(string name)
    {
        // platyPS writes .NET type names where PowerShell writes its short names (int, long, bool).
        static string Normal(string syntax) => Regex.Replace(Regex.Replace(syntax.Trim(), @"\s+", " ").ToLowerInvariant(), @"<(int|long|bool)(\[\])?>",
            m => "<" + m.Groups[1].Value switch { "int" => "int32", "long" => "int64", _ => "boolean" } + m.Groups[2].Value + ">");
        var actual = _ps.Invoke($"(Get-Command {name}).ParameterSets | ForEach-Object {{ '{name} ' + $_.ToString() }}").Select(o => Normal(o.ToString()!)).Order().ToList();
        var doc = File.ReadAllText(Path.Combine(Testing.SentinelProgram.RepositoryRoot, "docs", "cmdlets", name + ".md"));
        var section = Regex.Match(doc, @"## SYNTAX\s*\n(.*?)\n## ", RegexOptions.Singleline).Groups[1].Value;
        var documented = Regex.Matches(section, @"```\s*\n(.*?)\n```", RegexOptions.Singleline).Select(m => Normal(m.Groups[1].Value)).Order().ToList();
        Assert.True(actual.SequenceEqual(documented), $"{name}'s SYNTAX section says\n  {string.Join("\n  ", documented)}\nbut the cmdlet is\n  {string.Join("\n  ", actual)}");
    }
}
