using System.Management.Automation;

namespace Sentinel.PowerShell.Commands;

/// <summary>Stops masters started in this session (all of them, or those piped in).</summary>
[Cmdlet(VerbsLifecycle.Stop, "SentinelMaster", SupportsShouldProcess = true)]
[OutputType(typeof(SentinelMasterInstance))]
public sealed class StopSentinelMasterCommand : SentinelCmdlet
{
    /// <summary>The masters to stop, as Start-SentinelMaster returned them. All of this session's when omitted.</summary>
    [Parameter(ValueFromPipeline = true, Position = 0)]
    public SentinelMasterInstance[]? InputObject { get; set; }

    /// <summary>Write the stopped masters to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly List<SentinelMasterInstance> _targets = [];

    protected override void ProcessRecord() => _targets.AddRange(InputObject ?? []);

    protected override void EndProcessing()
    {
        var targets = _targets.Count > 0 ? _targets : Session.Masters.ToList();
        foreach (var m in targets)
        {
            if (!ShouldProcess(m.Url, "Stop Sentinel master"))
            {
                continue;
            }
            if (m.Status == "Running")
            {
                Await(m.Server.StopAsync().ContinueWith(_ => 0, TaskScheduler.Default));
                m.Status = "Stopped";
            }
            Session.Masters.Remove(m);
            if (Session.Connected?.Master.ToString().TrimEnd('/') == m.Url)
            {
                Session.Disconnect();
            }
            if (PassThru)
            {
                WriteObject(m);
            }
        }
    }
}
