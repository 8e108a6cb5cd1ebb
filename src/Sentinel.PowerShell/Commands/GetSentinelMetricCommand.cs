using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>A machine's stored history (headline figures per step), from the connected master.</summary>
[Cmdlet(VerbsCommon.Get, "SentinelMetric")]
[OutputType(typeof(MetricPoint))]
public sealed class GetSentinelMetricCommand : SentinelCmdlet
{
    /// <summary>Machine names; piped machines bind by their Name property, benchmark and command results by their Machine property.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Machine")]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>Start of the range (default: one hour before -Until).</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>End of the range (default: now).</summary>
    [Parameter]
    public DateTime? Until { get; set; }

    /// <summary>Width of each point: 1s, 10s, 1m, 5m… (default: about 500 points over the range).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? Step { get; set; }

    private const string Activity = "Get-SentinelMetric";
    private int _read;
    private readonly HashSet<string> _seen = new(StringComparer.OrdinalIgnoreCase);

    protected override void ProcessRecord()
    {
        var fleet = Session.Fleet;
        foreach (var name in Name)
        {
            if (!_seen.Add(name))
            {
                continue; // several results of one machine piped in: its history once
            }
            // Machines come one by one down the pipeline, so there is no total: say which and how many so far.
            WriteProgress(new ProgressRecord(1, Activity, $"Reading the history of {name} (machine {++_read})"));
            try
            {
                var series = Await(fleet.GetMetricsAsync(name, ToUtc(Since), ToUtc(Until), Step, CancellationToken));
                WriteObject(series.Points, enumerateCollection: true);
            }
            catch (FleetException e) when (e.Reason is "MachineNotFound" or "BadRequest")
            {
                WriteError(Error(e, name));
            }
            catch (FleetException e)
            {
                ThrowTerminatingError(Error(e, name));
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_read > 0)
        {
            WriteProgress(new ProgressRecord(1, Activity, $"Read the history of {_read} machine(s)") { RecordType = ProgressRecordType.Completed });
        }
    }

    // A DateTime without a zone is the user's local time, as Get-Date gives it.
    private static DateTimeOffset? ToUtc(DateTime? t) => t is { } v ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Local) : v).ToUniversalTime() : null;
}
