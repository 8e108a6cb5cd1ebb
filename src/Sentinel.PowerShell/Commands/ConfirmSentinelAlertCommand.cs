using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Acknowledges open alerts of the connected master: someone is on it. They stay open until their value clears.</summary>
[Cmdlet(VerbsLifecycle.Confirm, "SentinelAlert", SupportsShouldProcess = true)]
[OutputType(typeof(Alert))]
public sealed class ConfirmSentinelAlertCommand : SentinelCmdlet
{
    /// <summary>The alerts to acknowledge. Alerts piped in from Get-SentinelAlert bind by their Id.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = [];

    protected override void ProcessRecord()
    {
        var master = ConnectedMaster();
        foreach (var id in Id)
        {
            if (!ShouldProcess($"alert {id} on {master.Description}", "Acknowledge Sentinel alert")) continue;
            try
            {
                WriteObject(Await(master.AcknowledgeAlertAsync(id, CancellationToken)));
            }
            catch (FleetException e)
            {
                WriteError(Error(e, id));
            }
        }
    }
}
