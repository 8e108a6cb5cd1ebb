using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Alerts of the connected master: open ones (firing, acknowledged, silenced), newest first, then recently resolved ones.</summary>
[Cmdlet(VerbsCommon.Get, "SentinelAlert", DefaultParameterSetName = "List")]
[OutputType(typeof(Alert))]
public sealed class GetSentinelAlertCommand : SentinelCmdlet
{
    /// <summary>Open: only alerts not resolved. All (default): also those resolved in the last day.</summary>
    [Parameter(ParameterSetName = "List")]
    [ValidateSet("Open", "All")]
    public string State { get; set; } = "All";

    /// <summary>Only this machine's alerts.</summary>
    [Parameter(ParameterSetName = "List", Position = 0)]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Machine { get; set; }

    /// <summary>One alert by its number, open or resolved.</summary>
    [Parameter(ParameterSetName = "Id", Mandatory = true)]
    public long Id { get; set; }

    protected override void EndProcessing()
    {
        var master = ConnectedMaster();
        try
        {
            if (ParameterSetName == "Id") WriteObject(Await(master.GetAlertAsync(Id, CancellationToken)));
            else WriteObject(Await(master.GetAlertsAsync(State == "Open", Machine, CancellationToken)), enumerateCollection: true);
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, ParameterSetName == "Id" ? Id : master.Description));
        }
    }
}
