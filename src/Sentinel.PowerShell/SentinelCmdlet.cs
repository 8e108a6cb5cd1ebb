using System.Management.Automation;

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

    internal SentinelSession Session => SentinelSession.Current;

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

    /// <summary>The connected master (alerts live there); a terminating error when the session has none.</summary>
    protected Fleet.RemoteFleet ConnectedMaster()
    {
        if (Session.Connected is { } master) return master;
        ThrowTerminatingError(Error("NoMaster", ErrorCategory.InvalidOperation, null, "Alerts are kept by a master, and this session is connected to none.",
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
            "NoMachines" => (ErrorCategory.ResourceUnavailable, "Start an agent on the machines (Start-SentinelAgent, or sentinel agent --master URL); Get-SentinelMachine -Status Offline lists those that went away."),
            "JobNotFound" => (ErrorCategory.ObjectNotFound, "Get-SentinelBenchmarkResult lists the results and their JobIds."),
            "AlertNotFound" => (ErrorCategory.ObjectNotFound, "Get-SentinelAlert -State Open lists the open alerts and their Ids."),
            "AlertRuleNotFound" => (ErrorCategory.ObjectNotFound, "Get-SentinelAlertRule lists the rules and their Ids."),
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
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
