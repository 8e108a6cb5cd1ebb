using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Adds an alert rule to the connected master.</summary>
[Cmdlet(VerbsCommon.New, "SentinelAlertRule", SupportsShouldProcess = true)]
[OutputType(typeof(AlertRule))]
public sealed class NewSentinelAlertRuleCommand : SentinelCmdlet
{
    /// <summary>What people read, e.g. "A100 above 80 °C".</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>What the rule watches.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateSet("Cpu", "Memory", "Disk", "GpuTemperature", "GpuUtilization", "Load", "Offline")]
    public string Metric { get; set; } = "";

    /// <summary>Fire past this value (ignored for Offline).</summary>
    [Parameter(Position = 2)]
    public double Threshold { get; set; }

    /// <summary>Resolve only once the value is back past this (default: the threshold).</summary>
    [Parameter]
    public double? ClearThreshold { get; set; }

    /// <summary>Above (default) or Below.</summary>
    [Parameter]
    [ValidateSet("Above", "Below")]
    public string Comparison { get; set; } = "Above";

    /// <summary>How long the condition must hold before the alert fires: 10s, 2m, a number of seconds.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan For { get; set; }

    /// <summary>Only machines whose name matches this pattern (* and ?).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Machine { get; set; }

    /// <summary>Only machines with this tag: 'key' or 'key=value'.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Tag { get; set; }

    /// <summary>Info, Warning (default) or Critical.</summary>
    [Parameter]
    [ValidateSet("Info", "Warning", "Critical")]
    public string Severity { get; set; } = "Warning";

    /// <summary>The rule's id (letters, digits, '.', '-', '_'); made from the name when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <summary>POST the alert as JSON here when it fires and when it resolves.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WebhookUrl { get; set; }

    /// <summary>Run this program on the master when the alert fires and resolves: the program, then its arguments (no shell). The master must allow it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Command { get; set; }

    /// <summary>Add the rule switched off.</summary>
    [Parameter]
    public SwitchParameter Disabled { get; set; }

    protected override void EndProcessing()
    {
        var master = ConnectedMaster();
        var rule = new AlertRule
        {
            Id = Id ?? "", Name = Name, Metric = Enum.Parse<AlertMetric>(Metric, ignoreCase: true), Threshold = Threshold, ClearThreshold = ClearThreshold,
            Comparison = Enum.Parse<AlertComparison>(Comparison, ignoreCase: true), ForSeconds = For.TotalSeconds, Machines = Machine, Tag = Tag,
            Severity = Enum.Parse<AlertSeverity>(Severity, ignoreCase: true), WebhookUrl = WebhookUrl, Command = Command?.ToList(), Enabled = !Disabled,
        };
        if (!ShouldProcess($"rule '{Name}' on {master.Description}", "Add Sentinel alert rule")) return;
        try
        {
            WriteObject(Await(master.AddAlertRuleAsync(rule, CancellationToken)));
        }
        catch (FleetException e)
        {
            WriteError(Error(e, Name));
        }
    }
}
