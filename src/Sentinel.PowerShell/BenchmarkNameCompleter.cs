using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Sentinel.Benchmarks;

namespace Sentinel.PowerShell;

/// <summary>Tab completion for -Name: the benchmarks' PowerShell names, each with its one-line description.</summary>
public sealed class BenchmarkNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? "").Trim('\'', '"');
        return BenchmarkCatalog.Benchmarks
            .Where(b => b.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(b => new CompletionResult(b.Name, b.Name, CompletionResultType.ParameterValue, string.IsNullOrEmpty(b.Description) ? b.Name : b.Description))
            .ToList();
    }
}
