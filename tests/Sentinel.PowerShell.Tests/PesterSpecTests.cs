using System.Management.Automation.Language;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// The Pester 5 specs in tests/Pester: one Describe per exported cmdlet, files that parse, and every spec run
/// here against the built module under MiniPester.ps1 (a stand-in for the Pester commands they use, since Pester
/// cannot be installed on this machine; build.ps1 -Test runs them with real Pester where it is).
/// </summary>
public class PesterSpecTests
{
    private static string RepoRoot => Testing.SentinelProgram.RepositoryRoot;

    private static string PesterFolder => Path.Combine(RepoRoot, "tests", "Pester");

    public static TheoryData<string> SpecFiles()
        => new(Directory.GetFiles(PesterFolder, "*.Tests.ps1").Select(Path.GetFileName).Order()!);

    private static List<string> Describes(string file)
    {
        var ast = Parser.ParseFile(file, out _, out var errors);
        Assert.True(errors.Length == 0, $"{Path.GetFileName(file)} does not parse: " + string.Join("; ", errors.Select(e => $"line {e.Extent.StartLineNumber}: {e.Message}")));
        return ast.FindAll(a => a is CommandAst c && c.GetCommandName() == "Describe", true)
            .Cast<CommandAst>()
            .Select(c => c.CommandElements[1] is StringConstantExpressionAst s ? s.Value : "")
            .ToList();
    }

    [Fact]
    public void Every_exported_cmdlet_has_a_Describe_in_a_file_of_its_name()
    {
        var manifest = File.ReadAllText(ModuleSession.ModulePath);
        var block = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value;
        var cmdlets = Regex.Matches(block, @"'([\w-]+)'").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(cmdlets);
        foreach (var cmdlet in cmdlets)
        {
            var file = Path.Combine(PesterFolder, cmdlet + ".Tests.ps1");
            Assert.True(File.Exists(file), $"tests/Pester has no {cmdlet}.Tests.ps1");
            Assert.Contains(cmdlet, Describes(file));
        }
    }

    [Theory]
    [MemberData(nameof(SpecFiles))]
    public void Each_spec_parses_and_passes_against_the_built_module(string name)
    {
        var file = Path.Combine(PesterFolder, name);
        Assert.NotEmpty(Describes(file));
        using var session = new ModuleSession();
        session.Invoke($". '{Path.Combine(RepoRoot, "tests", "Sentinel.PowerShell.Tests", "MiniPester.ps1")}'");
        var (_, errors) = session.InvokeWithErrors($". '{file}'");
        Assert.True(errors.Count == 0, "the spec file wrote errors outside its Its: " + string.Join("; ", errors));
        var results = session.Invoke("$global:MiniPesterResults");
        // Every It in the file ran and reported.
        var its = Parser.ParseFile(file, out _, out _).FindAll(a => a is CommandAst c && c.GetCommandName() == "It", true).Count();
        Assert.Equal(its, results.Count(r => (string)r.Properties["It"].Value != "AfterAll"));
        var failures = results.Where(r => !(bool)r.Properties["Passed"].Value)
            .Select(r => $"{r.Properties["Describe"].Value} / {r.Properties["It"].Value}: {r.Properties["Failure"].Value}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void MiniPester_fails_what_Pester_would_fail()
    {
        using var session = new ModuleSession();
        session.Invoke($". '{Path.Combine(RepoRoot, "tests", "Sentinel.PowerShell.Tests", "MiniPester.ps1")}'");
        session.Invoke("""
            Describe 'shim' {
                BeforeAll { $x = 3 }
                It 'reads BeforeAll' { $x | Should -Be 3 }
                It 'fails a wrong value' { $x | Should -Be 4 }
                It 'fails a wrong -Not' { 'abc' | Should -Not -BeLike 'a*' }
                It 'fails on an exception' { throw 'boom' }
                It 'passes -Contain and -BeNullOrEmpty' { @(1, 2) | Should -Contain 2; @() | Should -BeNullOrEmpty; $null | Should -BeNullOrEmpty }
                It 'fails -BeNullOrEmpty on a value' { 'x' | Should -BeNullOrEmpty }
            }
            """);
        var passed = session.Invoke("$global:MiniPesterResults | ForEach-Object { $_.Passed }").Select(o => (bool)o.BaseObject).ToList();
        Assert.Equal([true, false, false, false, true, false], passed);
    }

    [Fact]
    public void build_ps1_parses_and_its_Test_task_runs_the_Pester_specs()
    {
        var path = Path.Combine(RepoRoot, "build.ps1");
        var ast = Parser.ParseFile(path, out _, out var errors);
        Assert.True(errors.Length == 0, "build.ps1 does not parse: " + string.Join("; ", errors.Select(e => $"line {e.Extent.StartLineNumber}: {e.Message}")));
        var text = File.ReadAllText(path);
        Assert.Matches(@"'Test'\s*\{[^}]*Invoke-SentinelPester", text);
        Assert.Contains("tests/Pester", text);
        Assert.Contains("Invoke-Pester -Configuration", text);
    }
}
