using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using Sentinel.Benchmarks;
using Sentinel.Fleet;

namespace Sentinel.PowerShell;

/// <summary>
/// Tab completion for Get-SentinelBenchmarkResult -JobId: the connected master's recent jobs, newest first, each
/// with its benchmark, machines and time as the tooltip. Nothing without a master (runs here have no job).
/// </summary>
public sealed class JobIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (SentinelSession.Current.Connected is not { } master)
        {
            return [];
        }
        var typed = (wordToComplete ?? "").Trim('\'', '"');
        if (MachineNameCompleter.Ask(token => master.GetBenchmarkResultsAsync(new ResultQuery(Last: 1000), token)) is not { } results)
        {
            return [];
        }
        return results
            .Where(r => r.JobId is { } id && id.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .GroupBy(r => r.JobId!)
            .OrderByDescending(g => g.Max(r => r.FinishedAt))
            .Select(g => new CompletionResult(MachineNameCompleter.Quote(g.Key), g.Key, CompletionResultType.ParameterValue,
                $"{g.First().Benchmark} on {string.Join(", ", g.Select(r => r.Machine).Distinct().Order(StringComparer.OrdinalIgnoreCase))}, " +
                g.Max(r => r.FinishedAt).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)))
            .ToList();
    }
}
