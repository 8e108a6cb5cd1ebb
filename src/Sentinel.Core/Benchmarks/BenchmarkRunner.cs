using System.Diagnostics;

namespace Sentinel.Benchmarks;

/// <summary>
/// Runs one benchmark on this machine with the bookkeeping every run shares: the pre-run checks, times,
/// inventory, and a result (never an exception) for a failure or a cancellation, so a remote caller
/// always gets an answer. Parameter errors are failures too, named in <see cref="BenchmarkResult.Error"/>.
/// </summary>
public static class BenchmarkRunner
{
    public static async Task<BenchmarkResult> RunAsync(IBenchmark benchmark, BenchmarkContext context, string machine, string? jobId, CancellationToken cancellationToken)
    {
        var started = context.Time.GetUtcNow();
        var (conditions, warnings) = Preflight.Check(context.Inventory);
        BenchmarkResult Finish(BenchmarkResult r, BenchmarkState state, string? error) => r with
        {
            Machine = machine,
            JobId = jobId,
            State = state,
            Error = error,
            StartedAt = started,
            FinishedAt = context.Time.GetUtcNow(),
            Inventory = context.Inventory,
            Conditions = conditions,
            Warnings = [.. warnings, .. r.Warnings],
            Parameters = r.Parameters.Count > 0 ? r.Parameters : new Dictionary<string, string>(context.Parameters.Values),
        };
        var empty = new BenchmarkResult { Benchmark = benchmark.Name, Machine = machine };
        try
        {
            context.Report(0, "starting");
            var result = await benchmark.RunAsync(context, cancellationToken).ConfigureAwait(false);
            context.Report(1, "done");
            return Finish(result, BenchmarkState.Completed, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Finish(empty, BenchmarkState.Cancelled, "cancelled");
        }
        catch (BenchmarkParameterException e)
        {
            return Finish(empty, BenchmarkState.Failed, e.Message);
        }
        catch (Exception e)
        {
            Debug.WriteLine(e);
            return Finish(empty, BenchmarkState.Failed, $"{benchmark.Name} failed: {e.Message}");
        }
    }
}
