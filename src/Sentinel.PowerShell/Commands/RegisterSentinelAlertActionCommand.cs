using System.Management.Automation;

namespace Sentinel.PowerShell.Commands;

/// <summary>
/// Runs a scriptblock in this session for every change of an alert of the connected master (fired, acknowledged, silenced,
/// resolved), with the alert as its argument. An engine event subscription: Get-EventSubscriber lists it, Unregister-Event ends it.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "SentinelAlertAction", SupportsShouldProcess = true)]
[OutputType(typeof(PSEventJob))]
public sealed class RegisterSentinelAlertActionCommand : SentinelCmdlet
{
    /// <summary>What to run: { param($alert) ... }. $Event.SourceArgs[0] is the alert too.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    /// <summary>The subscription's name, for Unregister-Event (default Sentinel.Alert.N).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SourceIdentifier { get; set; }

    /// <summary>How often the master is asked for changes (default 1 s).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    private static int s_count;

    protected override void EndProcessing()
    {
        var master = ConnectedMaster();
        if (!ShouldProcess(master.Description, "Run a scriptblock in this session for every alert change"))
        {
            return;
        }
        // What is there now is read before this returns: a change made right after is a change, whenever the first poll runs.
        IReadOnlyList<Alert> baseline;
        try
        {
            baseline = Await(master.GetAlertsAsync(openOnly: false, cancellationToken: CancellationToken));
        }
        catch (Fleet.FleetException e)
        {
            ThrowTerminatingError(Error(e, master.Description));
            return;
        }
        var id = SourceIdentifier ?? "Sentinel.Alert." + Interlocked.Increment(ref s_count);
        var events = Events;
        var subscriber = events.SubscribeEvent(null, null, id, null, ScriptBlock, false, false);
        var stop = new CancellationTokenSource();
        subscriber.Unsubscribed += (_, _) => stop.Cancel();
        var interval = Interval;
        // The watch runs off the pipeline thread; the engine runs the scriptblock in the session when it handles the event.
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var alert in master.WatchAlertsAsync(interval, baseline, stop.Token).ConfigureAwait(false))
                {
                    events.GenerateEvent(id, master, [alert], null);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // Unregister-Event, or the session let go of the master (Disconnect-SentinelMaster): the watch ends.
            }
            finally
            {
                stop.Dispose();
            }
        });
        WriteObject(subscriber.Action);
    }
}
