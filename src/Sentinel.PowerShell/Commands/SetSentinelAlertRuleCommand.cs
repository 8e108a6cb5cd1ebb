using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Changes alert rules of the connected master: only the parameters given change. Their open alerts resolve; machines are judged afresh.</summary>
[Cmdlet(VerbsCommon.Set, "SentinelAlertRule", SupportsShouldProcess = true)]
[OutputType(typeof(AlertRule))]
public sealed class SetSentinelAlertRuleCommand : SentinelCmdlet
{
    /// <summary>The rule to change. Rules piped in bind by their Id.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>A new name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>A new metric.</summary>
    [Parameter]
    [ValidateSet("Cpu", "Memory", "Disk", "GpuTemperature", "GpuUtilization", "Load", "Offline")]
    public string? Metric { get; set; }

    /// <summary>A new threshold.</summary>
    [Parameter]
    public double? Threshold { get; set; }

    /// <summary>A new clear threshold.</summary>
    [Parameter]
    public double? ClearThreshold { get; set; }

    /// <summary>Above or Below.</summary>
    [Parameter]
    [ValidateSet("Above", "Below")]
    public string? Comparison { get; set; }

    /// <summary>A new for-duration.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? For { get; set; }

    /// <summary>A new machine name pattern; '*' for all machines.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Machine { get; set; }

    /// <summary>A new tag condition ('key' or 'key=value'); an empty string removes it.</summary>
    [Parameter]
    public string? Tag { get; set; }

    /// <summary>Info, Warning or Critical.</summary>
    [Parameter]
    [ValidateSet("Info", "Warning", "Critical")]
    public string? Severity { get; set; }

    /// <summary>A new webhook URL; an empty string removes it.</summary>
    [Parameter]
    public string? WebhookUrl { get; set; }

    /// <summary>A new command (program, then arguments); an empty array removes it.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? Command { get; set; }

    /// <summary>Switch the rule on ($true) or off ($false).</summary>
    [Parameter]
    public bool? Enabled { get; set; }

    /// <summary>Write the changed rule to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var master = ConnectedMaster();
        try
        {
            var rule = Await(master.GetAlertRuleAsync(Id, CancellationToken));
            var changed = rule with
            {
                Name = Name ?? rule.Name,
                Metric = Metric is null ? rule.Metric : Enum.Parse<AlertMetric>(Metric, ignoreCase: true),
                Threshold = Threshold ?? rule.Threshold,
                ClearThreshold = ClearThreshold ?? (Threshold is null ? rule.ClearThreshold : null),
                Comparison = Comparison is null ? rule.Comparison : Enum.Parse<AlertComparison>(Comparison, ignoreCase: true),
                ForSeconds = For?.TotalSeconds ?? rule.ForSeconds,
                Machines = Machine ?? rule.Machines,
                Tag = Tag is null ? rule.Tag : Tag.Length == 0 ? null : Tag,
                Severity = Severity is null ? rule.Severity : Enum.Parse<AlertSeverity>(Severity, ignoreCase: true),
                WebhookUrl = WebhookUrl is null ? rule.WebhookUrl : WebhookUrl.Length == 0 ? null : WebhookUrl,
                Command = Command is null ? rule.Command : Command.Length == 0 ? null : Command.ToList(),
                Enabled = Enabled ?? rule.Enabled,
            };
            if (!ShouldProcess($"rule '{Id}' on {master.Description}", "Change Sentinel alert rule")) return;
            var saved = Await(master.UpdateAlertRuleAsync(changed, CancellationToken));
            if (PassThru) WriteObject(saved);
        }
        catch (FleetException e)
        {
            WriteError(Error(e, Id));
        }
    }
}
