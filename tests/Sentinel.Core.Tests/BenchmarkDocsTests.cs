using System.Text.RegularExpressions;
using Sentinel.Benchmarks;

namespace Sentinel.Tests;

/// <summary>docs/benchmarks.md describes every benchmark and every parameter the code reads, by the names the code uses.</summary>
public class BenchmarkDocsTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(Testing.SentinelProgram.RepositoryRoot, "docs", "benchmarks.md"));

    public static TheoryData<string> Names() => new(BenchmarkCatalog.Names);

    private static string Section(string name)
    {
        var m = Regex.Match(Doc, $@"^## {name} \(`{BenchmarkCatalog.CliName(name)}`\)\s*$(.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(m.Success, $"docs/benchmarks.md has no section '## {name} (`{BenchmarkCatalog.CliName(name)}`)'");
        return m.Groups[1].Value;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_parameter_is_documented_under_its_benchmark(string name)
    {
        var section = Section(name);
        var benchmark = BenchmarkCatalog.Get(name);
        Assert.NotEmpty(benchmark.Description);
        Assert.All(benchmark.Parameters, p => Assert.Matches($@"\|\s*`{p.Name}`\s*\|", section));
        // And nothing documented that the code does not read.
        var documented = Regex.Matches(section, @"^\|\s*`(\w+)`\s*\|", RegexOptions.Multiline).Select(m => m.Groups[1].Value);
        Assert.All(documented, d => Assert.Contains(d, benchmark.Parameters.Select(p => p.Name)));
    }
}
