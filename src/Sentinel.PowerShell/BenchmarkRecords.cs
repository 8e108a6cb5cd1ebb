using System.Globalization;
using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell;

/// <summary>
/// Turns a benchmark run's events into what PowerShell shows: each machine's result as output (a failed or
/// cancelled one as an ErrorRecord instead), and progress as one child record per machine under an overall
/// record. One translation feeds both the pipeline (Invoke-SentinelBenchmark) and a job's streams (-AsJob),
/// so the two cannot drift apart; it never writes anything itself.
/// </summary>
internal sealed class BenchmarkRecords : IRunRecords<BenchmarkEvent>
{
    private const int OverallActivityId = 1;

    private readonly string _benchmark;
    private readonly int _requested;
    private readonly Func<bool> _stopping;
    private readonly Dictionary<string, int> _activityIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, double> _fractions = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _finished = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="benchmark">The benchmark's PowerShell name, for activity texts.</param>
    /// <param name="machines">How many machines were asked for (this machine alone counts as one).</param>
    /// <param name="stopping">True once the user stopped the run: its cancelled results are then expected, not errors.</param>
    public BenchmarkRecords(string benchmark, int machines, Func<bool> stopping)
    {
        _benchmark = benchmark;
        _requested = Math.Max(1, machines);
        _stopping = stopping;
    }

    /// <summary>Results that completed (written as output).</summary>
    public int Completed { get; private set; }

    /// <summary>Results that failed or were cancelled by something other than the user's stop.</summary>
    public int Failed { get; private set; }

    // What to do about a failed run. The reason is the engine's text; an offline machine needs its agent, anything else its parameters or program.
    private static string FailedAction(BenchmarkResult result)
        => (result.Error ?? "").Contains("offline", StringComparison.OrdinalIgnoreCase)
            ? $"Start the agent on {result.Machine} again (Get-SentinelMachine -Status Offline lists the machines without one), then rerun. The other machines' results are not affected."
            : "Fix what the message names and rerun. The error's TargetObject is the result, with the parameters the run was given and the machine's conditions before it.";

    /// <summary>What to write for one event: <see cref="ProgressRecord"/>s, then a result or an <see cref="ErrorRecord"/>.</summary>
    public IEnumerable<object> Translate(BenchmarkEvent e)
    {
        if (_finished.Contains(e.Machine))
        {
            yield break;
        }
        int id = ActivityId(e.Machine);
        if (e.Result is { } result)
        {
            _finished.Add(e.Machine);
            _fractions[e.Machine] = 1;
            yield return Overall();
            yield return new ProgressRecord(id, Activity(e.Machine), result.State.ToString())
            {
                ParentActivityId = OverallActivityId,
                PercentComplete = 100,
                RecordType = ProgressRecordType.Completed,
            };
            switch (result.State)
            {
                case BenchmarkState.Failed:
                    Failed++;
                    yield return SentinelCmdlet.Error("BenchmarkFailed", ErrorCategory.InvalidOperation, result,
                        $"{result.Benchmark} failed on {result.Machine}: {Reason(result)}",
                        FailedAction(result));
                    break;
                case BenchmarkState.Cancelled when !_stopping():
                    Failed++;
                    yield return SentinelCmdlet.Error("BenchmarkCancelled", ErrorCategory.OperationStopped, result,
                        $"{result.Benchmark} on {result.Machine} was cancelled" + (result.Error is { Length: > 0 } why && why != "cancelled" ? ": " + why : "."),
                        "Run it again; a run is cancelled when its machine's agent restarts or someone cancels the job on the master.");
                    break;
                case BenchmarkState.Cancelled:
                    break; // the user stopped it and knows
                default:
                    Completed++;
                    yield return result;
                    break;
            }
        }
        else if (e.Progress is { } progress)
        {
            _fractions[e.Machine] = progress.Fraction;
            yield return Overall();
            yield return new ProgressRecord(id, Activity(e.Machine), string.IsNullOrWhiteSpace(progress.Stage) ? "running" : progress.Stage)
            {
                ParentActivityId = OverallActivityId,
                PercentComplete = Percent(progress.Fraction),
            };
        }
    }

    /// <summary>The overall record, completed: written once the run is over.</summary>
    public ProgressRecord Finish()
    {
        var record = Overall();
        record.RecordType = ProgressRecordType.Completed;
        return record;
    }

    private int Total => Math.Max(_requested, _activityIds.Count);

    private ProgressRecord Overall() => new(OverallActivityId,
        $"{_benchmark} on {Total} machine{(Total == 1 ? "" : "s")}",
        $"{_finished.Count.ToString(CultureInfo.InvariantCulture)} done")
    {
        PercentComplete = Percent(_fractions.Values.Sum() / Total),
    };

    private int ActivityId(string machine)
    {
        if (!_activityIds.TryGetValue(machine, out var id))
        {
            id = OverallActivityId + 1 + _activityIds.Count;
            _activityIds[machine] = id;
        }
        return id;
    }

    private string Activity(string machine) => $"{_benchmark} on {machine}";

    private static int Percent(double fraction) => double.IsFinite(fraction) ? (int)Math.Round(Math.Clamp(fraction, 0, 1) * 100) : 0;

    // The runner words a failure "<Benchmark> failed: why"; the message already says which benchmark failed where.
    private static string Reason(BenchmarkResult result)
    {
        var why = result.Error ?? "no reason given";
        var prefix = result.Benchmark + " failed: ";
        return why.StartsWith(prefix, StringComparison.Ordinal) ? why[prefix.Length..] : why;
    }
}
