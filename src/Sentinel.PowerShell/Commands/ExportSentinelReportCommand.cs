using System.Collections.Concurrent;
using System.Globalization;
using System.Management.Automation;
using Sentinel.Fleet;
using Sentinel.Reports;

namespace Sentinel.PowerShell.Commands;

/// <summary>
/// Writes one self-contained HTML report (plotly.js inside, opens offline) of the machines, metrics or benchmark
/// results that come down the pipeline, or of the whole fleet: summary, history, benchmark comparison, inventory.
/// </summary>
[Cmdlet(VerbsData.Export, "SentinelReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportSentinelReportCommand : SentinelCmdlet
{
    /// <summary>The HTML file to write, relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Machines (Get-SentinelMachine, or names), metrics (Get-SentinelMetric) or results (Get-SentinelBenchmarkResult). None: the whole fleet.</summary>
    [Parameter(ValueFromPipeline = true)]
    public PSObject[]? InputObject { get; set; }

    /// <summary>Start of the range: a time, or how long ago (24h, 7d, a TimeSpan). Default: 24 hours ago.</summary>
    [Parameter]
    [SinceTransformation]
    public DateTime? Since { get; set; }

    /// <summary>The report's heading.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Title { get; set; }

    /// <summary>Open the report in the default viewer once written.</summary>
    [Parameter]
    public SwitchParameter Open { get; set; }

    /// <summary>Replace the file if it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the report's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private const string Activity = "Export-SentinelReport";
    private readonly ReportInputs _inputs = new();
    private int _received;

    protected override void ProcessRecord()
    {
        foreach (var item in InputObject ?? [])
        {
            if (item is null) continue;
            // Engine objects go as they are; anything else with a Name (a deserialized machine, a custom object) as a machine name.
            if (!_inputs.TryAdd(item.BaseObject) && !_inputs.TryAdd(item.Properties["Name"]?.Value?.ToString()))
            {
                WriteError(Error("NotReportable", ErrorCategory.InvalidArgument, item,
                    $"'{item}' is not a machine, a metric, a benchmark result or a machine name.",
                    "Pipe Get-SentinelMachine, Get-SentinelMetric or Get-SentinelBenchmarkResult output, or machine names."));
            }
            if (++_received % 1000 == 0)
            {
                WriteProgress(new ProgressRecord(1, Activity, $"Reading pipeline input: {_received.ToString("#,0", CultureInfo.InvariantCulture)} objects"));
            }
        }
    }

    protected override void EndProcessing()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if (!Directory.Exists(System.IO.Path.GetDirectoryName(path)))
        {
            ThrowTerminatingError(Error("PathNotFound", ErrorCategory.ObjectNotFound, Path, $"The folder of {path} does not exist.", "Create the folder, or choose another -Path."));
        }
        if (File.Exists(path) && !Force)
        {
            ThrowTerminatingError(Error("FileExists", ErrorCategory.ResourceExists, path, $"{path} already exists.", "Use -Force to replace it, or choose another -Path."));
        }
        if (_received > 0 && _inputs.IsEmpty)
        {
            WriteWarning("Nothing reportable came through the pipeline, so no report was written. Without pipeline input the report covers the whole fleet.");
            return;
        }
        var fleet = Session.Fleet;
        var until = DateTimeOffset.UtcNow;
        var since = Since is { } s ? new DateTimeOffset(s.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(s, DateTimeKind.Local) : s).ToUniversalTime() : until.AddHours(-24);
        if (since >= until)
        {
            ThrowTerminatingError(Error("BadRange", ErrorCategory.InvalidArgument, Since, $"-Since {since:u} is not in the past.", "Give a time before now, or how long ago: -Since 24h."));
        }
        if (!ShouldProcess(path, $"Write a Sentinel report of the {fleet.Description}"))
        {
            return;
        }

        var options = new ReportOptions { Title = Title ?? "Sentinel report", Since = since, Until = until };
        ReportData data;
        try
        {
            data = Collect(new ReportCollector(fleet), options);
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, fleet.Description));
            return;
        }
        WriteProgress(new ProgressRecord(1, Activity, "Writing " + path) { PercentComplete = 90 });
        try
        {
            ReportFile.Write(path, ReportBuilder.Build(data), Force);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "Sentinel.WriteFailed", ErrorCategory.WriteError, path)
            {
                ErrorDetails = new ErrorDetails($"Could not write {path}: {e.Message}") { RecommendedAction = "Check that you may write to the folder and that the disk has room, or choose another -Path." },
            });
        }
        WriteProgress(new ProgressRecord(1, Activity, "Done") { RecordType = ProgressRecordType.Completed });
        if (Open && ReportFile.Open(path) is { } why)
        {
            WriteWarning($"The report is written to {path}, but it could not be opened: {why}.");
        }
        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }

    /// <summary>Runs the engine's collection, writing its progress from this (the pipeline) thread as it comes.</summary>
    private ReportData Collect(ReportCollector collector, ReportOptions options)
    {
        var queue = new ConcurrentQueue<ReportProgress>();
        var task = collector.CollectAsync(_inputs, options, new QueueProgress(queue), CancellationToken);
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(100))
        {
            Flush(queue);
        }
        Flush(queue);
        return Await(task);
    }

    private void Flush(ConcurrentQueue<ReportProgress> queue)
    {
        while (queue.TryDequeue(out var p))
        {
            WriteProgress(new ProgressRecord(1, Activity, p.Activity) { PercentComplete = p.Total > 0 ? 80 * p.Done / p.Total : 0 });
        }
    }

    private sealed class QueueProgress(ConcurrentQueue<ReportProgress> queue) : IProgress<ReportProgress>
    {
        public void Report(ReportProgress value) => queue.Enqueue(value);
    }

    /// <summary>-Since takes a time, or how long ago: 24h, 7d, 90m, a number of seconds, or a TimeSpan.</summary>
    private sealed class SinceTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            return value switch
            {
                DateTime t => t,
                DateTimeOffset t => t.UtcDateTime,
                string text when !Durations.TryParse(text, out _) && DateTime.TryParse(text, CultureInfo.CurrentCulture, DateTimeStyles.None, out var t) => t,
                _ => DateTime.UtcNow - (TimeSpan)new DurationTransformationAttribute().Transform(engineIntrinsics, inputData),
            };
        }
    }
}
