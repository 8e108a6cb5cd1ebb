using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// The README's PowerShell for this machine, run as written: each line runs, and the properties its comment
/// names are on the objects it returns (so the README does not promise a property that was renamed).
/// </summary>
public partial class ReadmeTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public ReadmeTests(ModuleTests.Session session) => _ps = session.PS;

    [GeneratedRegex(@"```powershell\n(\$m = Get-SentinelMachine\n.*?)```", RegexOptions.Singleline)]
    private static partial Regex ThisMachineBlock();

    [GeneratedRegex(@"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b")]
    private static partial Regex PropertyName();

    [Fact]
    public void The_properties_the_readme_names_are_on_this_machines_objects()
    {
        var readme = File.ReadAllText(Path.Combine(Testing.SentinelProgram.RepositoryRoot, "README.md"));
        var block = ThisMachineBlock().Match(readme);
        Assert.True(block.Success, "README.md has no PowerShell block starting with '$m = Get-SentinelMachine'");
        int checkedNames = 0;
        foreach (var line in block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            var code = (hash < 0 ? line : line[..hash]).Trim();
            var output = _ps.Invoke(code);
            if (hash < 0) continue;
            Assert.True(output.Count > 0, $"'{code}' returned nothing on this machine");
            var properties = output[0].Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (Match name in PropertyName().Matches(line[(hash + 1)..]))
            {
                Assert.True(properties.Contains(name.Value), $"README.md: '{code}' has no property {name.Value}; it has {string.Join(", ", properties)}");
                checkedNames++;
            }
        }
        Assert.True(checkedNames >= 15, $"only {checkedNames} property names were checked");
    }
}
