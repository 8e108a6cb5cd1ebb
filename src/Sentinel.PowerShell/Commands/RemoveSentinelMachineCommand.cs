using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>
/// Forgets offline machines on the connected master, with their samples, roll-ups and connection history. Benchmark
/// results and the audit log stay.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SentinelMachine", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveSentinelMachineCommand : SentinelCmdlet
{
    /// <summary>The machines to remove, by exact name. Machines piped in (Get-SentinelMachine) bind by their Name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        var master = ConnectedMaster("Machines are remembered");
        foreach (var name in Name)
        {
            if (!ShouldProcess($"machine '{name}' and its history on {master.Description}", "Remove Sentinel machine")) continue;
            try
            {
                Await(master.RemoveMachineAsync(name, CancellationToken).ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }, TaskScheduler.Default));
            }
            catch (FleetException e)
            {
                WriteError(Error(e, name));
            }
        }
    }
}
