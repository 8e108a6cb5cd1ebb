using System.Management.Automation;

namespace Sentinel.PowerShell.Commands;

/// <summary>Stops agents started in this session; each says goodbye, so its machine is offline at once.</summary>
[Cmdlet(VerbsLifecycle.Stop, "SentinelAgent", SupportsShouldProcess = true)]
[OutputType(typeof(SentinelAgentInstance))]
public sealed class StopSentinelAgentCommand : SentinelCmdlet
{
    /// <summary>The agents to stop, as Start-SentinelAgent returned them. All of this session's when omitted.</summary>
    [Parameter(ValueFromPipeline = true, Position = 0)]
    public SentinelAgentInstance[]? InputObject { get; set; }

    /// <summary>Write the stopped agents to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly List<SentinelAgentInstance> _targets = [];

    protected override void ProcessRecord() => _targets.AddRange(InputObject ?? []);

    protected override void EndProcessing()
    {
        var targets = _targets.Count > 0 ? _targets : Session.Agents.ToList();
        foreach (var a in targets)
        {
            if (!ShouldProcess($"'{a.Name}' ({a.Master})", "Stop Sentinel agent"))
            {
                continue;
            }
            if (a.Status == "Running")
            {
                Await(a.Agent.DisposeAsync().AsTask().ContinueWith(_ => 0, TaskScheduler.Default));
                a.Status = "Stopped";
            }
            Session.Agents.Remove(a);
            if (PassThru)
            {
                WriteObject(a);
            }
        }
    }
}
