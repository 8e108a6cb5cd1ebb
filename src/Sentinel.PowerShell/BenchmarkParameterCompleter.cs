using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Sentinel.Benchmarks;

namespace Sentinel.PowerShell;

/// <summary>
/// Tab completion for Invoke-SentinelBenchmark -Parameter: one hashtable per parameter of the benchmark named
/// by -Name, with its default where the default is a value (the tooltip says what it does and its default).
/// PowerShell does not ask an argument completer for keys inside a hashtable already begun, so the
/// completions are whole hashtables, ready to edit.
/// </summary>
public sealed class BenchmarkParameterCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var benchmark = BenchmarkCatalog.Find(fakeBoundParameters["Name"]?.ToString());
        if (benchmark is null)
        {
            return [];
        }
        var typed = (wordToComplete ?? "").TrimStart('@', '{', ' ');
        return benchmark.Parameters
            .Where(p => p.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(p => new CompletionResult($"@{{ {p.Name} = {Literal(p.Default)} }}", p.Name, CompletionResultType.ParameterValue,
                $"{p.Description} Default: {(p.Default.Length == 0 ? "none" : p.Default)}."))
            .ToList();
    }

    // A default that is one value (2, 0.2, 1G, 10m, true, auto) is written as it is; a described one ("logical CPUs") leaves '' to fill in.
    private static string Literal(string value)
        => value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '.') ? "'" + value + "'" : "''";
}
