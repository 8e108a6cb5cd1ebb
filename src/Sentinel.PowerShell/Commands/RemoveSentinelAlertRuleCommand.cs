using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Removes alert rules from the connected master; their open alerts resolve.</summary>
[Cmdlet(VerbsCommon.Remove, "SentinelAlertRule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveSentinelAlertRuleCommand : SentinelCmdlet
{
    /// <summary>The rules to remove. Rules piped in bind by their Id.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    protected override void ProcessRecord()
    {
        var master = ConnectedMaster();
        foreach (var id in Id)
        {
            if (!ShouldProcess($"rule '{id}' on {master.Description}", "Remove Sentinel alert rule")) continue;
            try
            {
                Await(master.RemoveAlertRuleAsync(id, CancellationToken).ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }, TaskScheduler.Default));
            }
            catch (FleetException e)
            {
                WriteError(Error(e, id));
            }
        }
    }
}
