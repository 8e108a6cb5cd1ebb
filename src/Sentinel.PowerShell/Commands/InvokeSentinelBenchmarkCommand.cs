using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Sentinel.Benchmarks;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>
/// Runs a benchmark on this machine, or on machines of the connected master all at once, and writes each
/// machine's result as it finishes. With -AsJob, returns a job at once instead.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "SentinelBenchmark", SupportsShouldProcess = true)]
[OutputType(typeof(BenchmarkResult))]
[OutputType(typeof(Job))]
public sealed class InvokeSentinelBenchmarkCommand : SentinelCmdlet
{
    /// <summary>The benchmark: MemoryBandwidth, MemoryLatency, Cpu, Disk, Network or Command (or memory-bandwidth…).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(BenchmarkNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Machines from the pipeline: names, or objects with a Name property (Get-SentinelMachine).</summary>
    /// <remarks>Not bound by property name: a machine's Name would then be taken for the benchmark's.</remarks>
    [Parameter(ValueFromPipeline = true)]
    public PSObject[]? InputObject { get; set; }

    /// <summary>Machines by name. With none (and nothing piped), this machine, in this process.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Machine { get; set; }

    /// <summary>The benchmark's parameters by their names, e.g. @{ arrayBytes = '1G'; repetitions = 20 }.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(BenchmarkParameterCompleter))]
    [ValidateNotNull]
    public Hashtable? Parameter { get; set; }

    /// <summary>The benchmark's threads parameter (MemoryBandwidth, Cpu).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Threads { get; set; }

    /// <summary>The Disk benchmark's folder (its path parameter). Relative to the current location when run here.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The Command benchmark's program (its command parameter).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Command { get; set; }

    /// <summary>The Command benchmark's arguments, one string split as a shell would.</summary>
    [Parameter]
    public string? ArgumentList { get; set; }

    /// <summary>The Command benchmark's timeout: 90s, 10m, a number of seconds, or a TimeSpan.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Return a job at once; Receive-Job gives the results.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    private readonly List<string> _machines = [];
    private string _benchmark = "";

    protected override void BeginProcessing()
    {
        _benchmark = BenchmarkCatalog.Find(Name)?.Name ?? "";
        if (_benchmark.Length == 0)
        {
            ThrowTerminatingError(Error("UnknownBenchmark", ErrorCategory.InvalidArgument, Name,
                $"There is no benchmark '{Name}'. The benchmarks are {string.Join(", ", BenchmarkCatalog.Names)}.",
                "Use one of those names; Tab completes them after -Name."));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var item in InputObject ?? [])
        {
            var name = item?.BaseObject as string ?? item?.Properties["Name"]?.Value?.ToString();
            if (string.IsNullOrWhiteSpace(name))
            {
                WriteError(Error("NotAMachine", ErrorCategory.InvalidArgument, item,
                    $"'{item}' is neither a machine name nor an object with a Name property.", "Pipe machine names or Get-SentinelMachine's output."));
                continue;
            }
            AddMachine(name);
        }
    }

    protected override void EndProcessing()
    {
        foreach (var name in Machine ?? [])
        {
            AddMachine(name);
        }
        if (_machines.Count == 0 && MyInvocation.ExpectingInput)
        {
            // An empty pipeline (no machine matched a filter, say) must not turn into a run on this machine.
            WriteWarning($"No machines came through the pipeline, so {_benchmark} ran nowhere. Without pipeline input or -Machine it runs on this machine.");
            return;
        }
        var parameters = WireParameters();
        // No machines named: this machine, in-process, even with a master connected.
        var fleet = _machines.Count == 0 ? Session.Local : Session.Fleet;
        var machines = _machines.ToArray();
        if (!ShouldProcess(machines.Length == 0 ? "this machine, in this process" : $"{string.Join(", ", machines)} ({fleet.Description})", $"Run {_benchmark}"))
        {
            return;
        }

        if (AsJob)
        {
            var command = $"{MyInvocation.MyCommand.Name} -Name {_benchmark}" + (machines.Length > 0 ? " -Machine " + string.Join(", ", machines) : "");
            var job = new SentinelJob(command, fleet.Description, "SentinelBenchmarkJob");
            var jobRecords = new BenchmarkRecords(_benchmark, machines.Length, () => job.Stopping);
            JobRepository.Add(job);
            job.Start(token => fleet.RunBenchmarkAsync(_benchmark, parameters, machines, token), jobRecords);
            WriteObject(job);
            return;
        }

        var records = new BenchmarkRecords(_benchmark, machines.Length, () => CancellationToken.IsCancellationRequested);
        try
        {
            foreach (var e in Drain(fleet.RunBenchmarkAsync(_benchmark, parameters, machines, CancellationToken)))
            {
                WriteRecords(records.Translate(e));
            }
        }
        catch (FleetException e)
        {
            // Refused before anything ran (unknown parameter or machine, no machine online), or the master went away.
            ThrowTerminatingError(Error(e, e.Reason is "MachineNotFound" or "NoMachines" ? string.Join(", ", machines) : _benchmark));
        }
        WriteProgress(records.Finish());
    }

    private void AddMachine(string name)
    {
        if (!_machines.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            _machines.Add(name);
        }
    }

    /// <summary>-Parameter and the convenience parameters, as the wire has them: names as given, invariant text.</summary>
    private Dictionary<string, string> WireParameters()
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in Parameter ?? new Hashtable())
        {
            if (Text(entry.Value) is { } value)
            {
                result[entry.Key.ToString()!] = value;
            }
        }
        void Set(string wireName, string? value, string parameter)
        {
            if (value is null)
            {
                return;
            }
            if (result.ContainsKey(wireName))
            {
                ThrowTerminatingError(Error("ParameterGivenTwice", ErrorCategory.InvalidArgument, wireName,
                    $"'{wireName}' is given twice, by -{parameter} and in -Parameter.", $"Give it once: -{parameter}, or '{wireName}' in -Parameter."));
            }
            result[wireName] = value;
        }
        Set("threads", Text(Threads), nameof(Threads));
        // A folder here is a PowerShell path (relative to Get-Location, ~); on other machines it is theirs to read.
        Set("path", Path is null ? null : _machines.Count == 0 ? GetUnresolvedProviderPathFromPSPath(Path) : Path, nameof(Path));
        Set("command", Command, nameof(Command));
        Set("arguments", ArgumentList, nameof(ArgumentList));
        Set("timeout", Text(Timeout), nameof(Timeout));
        return result;
    }

    // What a benchmark reads back: invariant-culture numbers, durations as "90s", switches as true/false; null means not given.
    private static string? Text(object? value) => value switch
    {
        null => null,
        PSObject pso => Text(pso.BaseObject),
        SwitchParameter s => s.IsPresent ? "true" : "false",
        bool b => b ? "true" : "false",
        TimeSpan t => Durations.Format(t),
        string s => s,
        IConvertible c => Convert.ToString(c, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
