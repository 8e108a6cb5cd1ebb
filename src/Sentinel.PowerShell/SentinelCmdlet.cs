using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell;

/// <summary>
/// Base of every Sentinel cmdlet: owns cancellation (Ctrl+C cancels the engine call) and waits for
/// engine tasks on the pipeline thread, so only that thread ever writes to the pipeline.
/// </summary>
public abstract class SentinelCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancellationToken => _stop.Token;

    internal SentinelSession Session
    {
        get
        {
            ListenToTheFleet();
            return SentinelSession.Current;
        }
    }

    // Requests to a master made for this cmdlet, shown by -Verbose. The engine's calls run on pool threads; what they
    // report waits here until the pipeline thread is back (Await, Drain) and writes it.
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _trace = new();
    private bool _listening;
    private volatile bool _ended;

    /// <summary>
    /// From each use of the session on, the fleet's calls made in this cmdlet's flow report to it. Work that outlives
    /// the cmdlet (an alert watch, a job) reports nowhere once it has ended; a job listens for itself.
    /// </summary>
    private void ListenToTheFleet()
    {
        // Set at each use: cmdlets of one pipeline share its thread, and each should hear its own requests.
        _listening = true;
        FleetTrace.Listen(_sink ??= message =>
        {
            if (!_ended) _trace.Enqueue(message);
        });
    }

    private Action<string>? _sink;

    private void WriteTrace()
    {
        while (_trace.TryDequeue(out var message))
        {
            WriteVerbose(message);
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Waits for an engine task; a cancellation caused by Ctrl+C stops the pipeline quietly.</summary>
    protected T Await<T>(Task<T> task)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            WriteTrace();
        }
    }

    /// <summary>
    /// Enumerates an engine stream on the pipeline thread, so the caller writes what it yields itself;
    /// Ctrl+C cancels the stream (the engine call gets <see cref="CancellationToken"/>) and stops the pipeline quietly.
    /// </summary>
    protected IEnumerable<T> Drain<T>(IAsyncEnumerable<T> source)
    {
        var items = source.GetAsyncEnumerator(CancellationToken);
        try
        {
            while (Await(items.MoveNextAsync().AsTask()))
            {
                yield return items.Current;
            }
        }
        finally
        {
            // Leaving early (an error, a stop) must not leave the stream's work running unobserved.
            try
            {
                items.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Writes what an <see cref="IRunRecords{TEvent}"/> translated, each to its stream.</summary>
    internal void WriteRecords(IEnumerable<object> records)
    {
        foreach (var record in records)
        {
            switch (record)
            {
                case ProgressRecord p: WriteProgress(p); break;
                case ErrorRecord r: WriteError(r); break;
                case InformationRecord i: WriteInformation(i); break;
                default: WriteObject(record); break;
            }
        }
    }

    /// <summary>The connected master (alerts live there); a terminating error when the session has none.</summary>
    /// <param name="what">What only a master keeps, for the message: "Alerts are kept".</param>
    protected Fleet.RemoteFleet ConnectedMaster(string what = "Alerts are kept")
    {
        if (Session.Connected is { } master) return master;
        ThrowTerminatingError(Error("NoMaster", ErrorCategory.InvalidOperation, null, what + " by a master, and this session is connected to none.",
            "Start-SentinelMaster, or Connect-SentinelMaster -Url http://HOST:PORT."));
        return null!;
    }

    /// <summary>An ErrorRecord with a Sentinel.* id, a category, the object at fault and what to do about it.</summary>
    protected internal static ErrorRecord Error(string id, ErrorCategory category, object? target, string message, string? recommendedAction = null)
    {
        var record = new ErrorRecord(new InvalidOperationException(message), "Sentinel." + id, category, target);
        if (recommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        }
        return record;
    }

    /// <summary>The ErrorRecord for something a fleet could not do.</summary>
    protected internal static ErrorRecord Error(Fleet.FleetException e, object? target)
    {
        var (category, action) = e.Reason switch
        {
            "MachineNotFound" => (ErrorCategory.ObjectNotFound, "Run Get-SentinelMachine to list the machines there are."),
            "MasterUnreachable" when e.Code == "certificate-refused" => (ErrorCategory.SecurityError,
                "Trust the master's certificate: its CA with -CertificateAuthority FILE.pem, or its SHA-256 with -CertificatePin (docs/tls.md)."),
            "MasterUnreachable" => (ErrorCategory.ConnectionError, "Check the URL and that the master is running (sentinel master, or Start-SentinelMaster)."),
            "NoHistory" => (ErrorCategory.InvalidOperation, "Start-SentinelMaster and Start-SentinelAgent, or Connect-SentinelMaster -Url http://HOST:PORT."),
            "BadRequest" => (ErrorCategory.InvalidArgument, "Check the parameter the message names."),
            "HttpsRequired" => (ErrorCategory.ConnectionError, "Use https:// in the URL; with a self-signed certificate add -CertificateAuthority CA.pem or -CertificatePin SHA256."),
            "NoMachines" => (ErrorCategory.ResourceUnavailable, "Start an agent on the machines (Start-SentinelAgent, or sentinel agent --master URL); Get-SentinelMachine -Status Offline lists those that went away."),
            "JobNotFound" => (ErrorCategory.ObjectNotFound, "Get-SentinelBenchmarkResult lists the results and their JobIds."),
            "AlertNotFound" => (ErrorCategory.ObjectNotFound, "Get-SentinelAlert -State Open lists the open alerts and their Ids."),
            "AlertRuleNotFound" => (ErrorCategory.ObjectNotFound, "Get-SentinelAlertRule lists the rules and their Ids."),
"MachineOnline" => (ErrorCategory.ResourceBusy, "Stop its agent first (Stop-SentinelAgent, or end the job that runs it); once Get-SentinelMachine shows it Offline, remove it."),
            "AlertRuleExists" => (ErrorCategory.ResourceExists, "Choose another -Id, or change that rule with Set-SentinelAlertRule."),
            "Unauthorized" => (ErrorCategory.PermissionDenied, "Connect with the right credentials."),
            _ => (ErrorCategory.ProtocolError, "Check that the URL is a Sentinel master of the same version."),
        };
        var record = new ErrorRecord(e, "Sentinel." + e.Reason, category, target);
        record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = action };
        return record;
    }

    public void Dispose()
    {
        _ended = true;
        if (_listening) FleetTrace.Listen(null);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
