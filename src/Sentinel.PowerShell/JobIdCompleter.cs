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
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (SentinelSession.Current.Connected is not { } master)
        {
            return [];
        }
        var typed = (wordToComplete ?? "").Trim('\'', '"');
        IReadOnlyList<BenchmarkResult> results;
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            results = master.GetBenchmarkResultsAsync(new ResultQuery(Last: 1000), patience.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is FleetException or OperationCanceledException or HttpRequestException)
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
