using System.Management.Automation;
using Sentinel.Benchmarks;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Benchmark results kept from earlier runs, newest first: the connected master's, or this session's.</summary>
[Cmdlet(VerbsCommon.Get, "SentinelBenchmarkResult")]
[OutputType(typeof(BenchmarkResult))]
public sealed class GetSentinelBenchmarkResultCommand : SentinelCmdlet
{
    /// <summary>Only this benchmark (either name form). All benchmarks when omitted.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(BenchmarkNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>Only these machines. Results piped back in bind by their Machine and JobId properties.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Machine { get; set; }

    /// <summary>Only the results of this job of the master.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(JobIdCompleter))]
    public string? JobId { get; set; }

    /// <summary>Only results that finished at or after this time (without a zone: local time).</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>At most this many results, the newest.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Last { get; set; } = 100;

    /// <summary>Add each result's Metrics: the machine's history from a minute before the run to a minute after.</summary>
    [Parameter]
    public SwitchParameter IncludeMetrics { get; set; }

    private string? _benchmark;

    protected override void BeginProcessing()
    {
        if (Name is not null)
        {
            _benchmark = BenchmarkCatalog.Find(Name)?.Name ?? "";
            if (_benchmark.Length == 0)
            {
                ThrowTerminatingError(Error("UnknownBenchmark", ErrorCategory.InvalidArgument, Name,
                    $"There is no benchmark '{Name}'. The benchmarks are {string.Join(", ", BenchmarkCatalog.Names)}.",
                    "Use one of those names, or leave -Name out for every benchmark."));
            }
        }
        if (IncludeMetrics && Session.Connected is null)
        {
            WriteWarning("-IncludeMetrics needs a master: this machine keeps no history, so the results carry no Metrics.");
        }
    }

    protected override void ProcessRecord()
    {
        var fleet = Session.Fleet;
        var query = new ResultQuery(_benchmark, Machine, ToUtc(Since), string.IsNullOrEmpty(JobId) ? null : JobId, Last, IncludeMetrics);
        try
        {
            WriteObject(Await(fleet.GetBenchmarkResultsAsync(query, CancellationToken)), enumerateCollection: true);
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, fleet.Description));
        }
    }

    // A DateTime without a zone is the user's local time, as Get-Date gives it.
    private static DateTimeOffset? ToUtc(DateTime? t) => t is { } v ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Local) : v).ToUniversalTime() : null;
}
