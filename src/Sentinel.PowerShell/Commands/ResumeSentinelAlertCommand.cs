using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Lifts the silence of alerts of the connected master: they count as firing (or acknowledged) again and run their actions.</summary>
[Cmdlet(VerbsLifecycle.Resume, "SentinelAlert", SupportsShouldProcess = true)]
[OutputType(typeof(Alert))]
public sealed class ResumeSentinelAlertCommand : SentinelCmdlet
{
    /// <summary>The alerts whose silence ends. Alerts piped in from Get-SentinelAlert bind by their Id.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = [];

    protected override void ProcessRecord()
    {
        var master = ConnectedMaster();
        foreach (var id in Id)
        {
            if (!ShouldProcess($"alert {id} on {master.Description}", "Lift the silence of Sentinel alert")) continue;
            try
            {
                WriteObject(Await(master.SilenceAlertAsync(id, DateTimeOffset.UnixEpoch, CancellationToken)));
            }
            catch (FleetException e)
            {
                WriteError(Error(e, id));
            }
        }
    }
}
