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

    /// <summary>An ErrorRecord with a Sentinel.* id, a category, the object at fault and what to do about it.</summary>
    protected static ErrorRecord Error(string id, ErrorCategory category, object? target, string message, string? recommendedAction = null)
    {
        var record = new ErrorRecord(new InvalidOperationException(message), "Sentinel." + id, category, target);
        if (recommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        }
        return record;
    }

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
