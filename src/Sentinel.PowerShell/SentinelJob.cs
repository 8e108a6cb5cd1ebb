using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell;

/// <summary>
/// What a fleet run's events become in PowerShell: output objects, <see cref="ErrorRecord"/>s, <see cref="ProgressRecord"/>s
/// and <see cref="InformationRecord"/>s. One translation feeds both the pipeline and a job's streams (-AsJob), so the two
/// cannot drift apart; it never writes anything itself.
/// </summary>
internal interface IRunRecords<in TEvent>
{
    /// <summary>What to write before the first event (the run's overall progress, when events may be slow to come).</summary>
    IEnumerable<object> Begin() => [];

    /// <summary>What to write for one event.</summary>
    IEnumerable<object> Translate(TEvent e);

    /// <summary>The overall progress record, completed: written once the run is over.</summary>
    ProgressRecord Finish();

    /// <summary>Machines whose part completed (written as output).</summary>
    int Completed { get; }

    /// <summary>Machines whose part failed (written as an error).</summary>
    int Failed { get; }
}

/// <summary>
/// Invoke-SentinelBenchmark -AsJob and Invoke-SentinelCommand -AsJob: the run in the background, its results in Output,
/// failures in Error, progress in Progress and shown lines in Information, so Get-Job, Wait-Job, Receive-Job, Stop-Job
/// and Remove-Job work as with any job. Completed when at least one machine completed; Failed when the run was refused
/// or every machine failed; Stopped after Stop-Job.
/// </summary>
internal sealed class SentinelJob : Job
{
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new(); // the run ending and Stop-Job must not both set the final state
    private readonly string _location;
    private Task _run = Task.CompletedTask;
    private volatile string _status = "Running";

    /// <param name="command">The command line Get-Job shows.</param>
    /// <param name="location">Where it runs (the fleet's description).</param>
    /// <param name="typeName">PSJobTypeName: SentinelBenchmarkJob or SentinelCommandJob.</param>
    public SentinelJob(string command, string location, string typeName) : base(command)
    {
        PSJobTypeName = typeName;
        _location = location;
    }

    public override string StatusMessage => _status;

    public override string Location => _location;

    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Progress.Count > 0
        || Warning.Count > 0 || Verbose.Count > 0 || Debug.Count > 0 || Information.Count > 0;

    /// <summary>Starts the run on a pool thread; the streams are thread-safe, the pipeline is never touched.</summary>
    /// <param name="run">The engine call, given the job's cancellation.</param>
    /// <param name="records">The translation of events into records.</param>
    public void Start<TEvent>(Func<CancellationToken, IAsyncEnumerable<TEvent>> run, IRunRecords<TEvent> records)
    {
        SetJobState(JobState.Running);
        _run = Task.Run(() => RunAsync(run, records));
    }

    /// <summary>True once Stop-Job was called: cancelled parts are then expected, not errors.</summary>
    public bool Stopping => JobStateInfo.State is JobState.Stopping or JobState.Stopped || _stop.IsCancellationRequested;

    private async Task RunAsync<TEvent>(Func<CancellationToken, IAsyncEnumerable<TEvent>> run, IRunRecords<TEvent> records)
    {
        bool refused = false;
        FleetTrace.Listen(message => Verbose.Add(new VerboseRecord(message))); // this flow's requests, for Receive-Job -Verbose
        try
        {
            Add(records.Begin());
            await foreach (var e in run(_stop.Token).ConfigureAwait(false))
            {
                Add(records.Translate(e));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (FleetException e)
        {
            refused = true;
            Error.Add(SentinelCmdlet.Error(e, Command));
        }
        catch (Exception e)
        {
            refused = true;
            // Not a refusal the fleet explained: say what failed and where to look.
            Error.Add(new ErrorRecord(e, "Sentinel.JobFailed", ErrorCategory.InvalidOperation, Command)
            {
                ErrorDetails = new ErrorDetails($"The job ({Command}) failed: {e.Message}")
                {
                    RecommendedAction = "Run the same command without -AsJob to see it fail in front of you; $error[0].Exception holds the details.",
                },
            });
        }
        Progress.Add(records.Finish());
        _status = $"{records.Completed} completed, {records.Failed} failed";
        lock (_gate)
        {
            // No Reason on Failed: Receive-Job would repeat it as a JobStateFailed error after the Sentinel.* one already in Error.
            SetJobState(_stop.IsCancellationRequested ? JobState.Stopped
                : refused || (records.Completed == 0 && records.Failed > 0) ? JobState.Failed
                : JobState.Completed);
        }
    }

    private void Add(IEnumerable<object> records)
    {
        foreach (var record in records)
        {
            switch (record)
            {
                case ProgressRecord p: Progress.Add(p); break;
                case ErrorRecord r: Error.Add(r); break;
                case InformationRecord i: Information.Add(i); break;
                default: Output.Add(PSObject.AsPSObject(record)); break;
            }
        }
    }

    /// <summary>Cancels the run (a master is asked to cancel its job) and returns once the job has stopped.</summary>
    public override void StopJob()
    {
        lock (_gate)
        {
            if (!IsFinished && !_stop.IsCancellationRequested)
            {
                SetJobState(JobState.Stopping);
                _stop.Cancel();
            }
        }
        // A local run ends at once; a master gets up to 5 s to acknowledge the cancel.
        _run.Wait(TimeSpan.FromSeconds(15));
    }

    private bool IsFinished => JobStateInfo.State is JobState.Completed or JobState.Failed or JobState.Stopped;

    protected override void Dispose(bool disposing)
    {
        if (disposing && IsFinished)
        {
            _stop.Dispose();
        }
        base.Dispose(disposing);
    }
}
