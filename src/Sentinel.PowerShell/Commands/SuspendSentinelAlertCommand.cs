using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Silences open alerts of the connected master for a while: no actions, not counted as firing.</summary>
[Cmdlet(VerbsLifecycle.Suspend, "SentinelAlert", SupportsShouldProcess = true, DefaultParameterSetName = "For")]
[OutputType(typeof(Alert))]
public sealed class SuspendSentinelAlertCommand : SentinelCmdlet
{
    /// <summary>The alerts to silence. Alerts piped in from Get-SentinelAlert bind by their Id.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = [];

    /// <summary>How long: 30m, 2h, a number of seconds (default 1 hour).</summary>
    [Parameter(ParameterSetName = "For")]
    [DurationTransformation]
    public TimeSpan For { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Until this time (without a zone: local time).</summary>
    [Parameter(ParameterSetName = "Until", Mandatory = true)]
    public DateTime Until { get; set; }

    protected override void ProcessRecord()
    {
        var master = ConnectedMaster();
        var until = ParameterSetName == "Until"
            ? new DateTimeOffset(Until.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(Until, DateTimeKind.Local) : Until).ToUniversalTime()
            : DateTimeOffset.UtcNow + For;
        foreach (var id in Id)
        {
            if (!ShouldProcess($"alert {id} on {master.Description}", $"Silence Sentinel alert until {until.ToLocalTime():g}")) continue;
            try
            {
                WriteObject(Await(master.SilenceAlertAsync(id, until, CancellationToken)));
            }
            catch (FleetException e)
            {
                WriteError(Error(e, id));
            }
        }
    }
}
