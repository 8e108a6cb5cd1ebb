using Sentinel.Benchmarks;

namespace Sentinel.Fleet;

/// <summary>What to list: names (wildcards allowed), a status, tags that must all match.</summary>
public sealed record MachineQuery(IReadOnlyList<string>? Names = null, MachineStatus? Status = null, IReadOnlyDictionary<string, string>? Tags = null)
{
    public static MachineQuery All { get; } = new();

    /// <summary>True when <paramref name="machine"/> passes every filter.</summary>
    public bool Matches(Machine machine)
    {
        if (Status is { } s && machine.Status != s)
        {
            return false;
        }
        if (Names is { Count: > 0 } && !Names.Any(n => Wildcard.IsMatch(machine.Name, n)))
        {
            return false;
        }
        if (Tags is { Count: > 0 })
        {
            foreach (var (key, value) in Tags)
            {
                if (!machine.Tags.TryGetValue(key, out var actual) || !Wildcard.IsMatch(actual, value))
                {
                    return false;
                }
            }
        }
        return true;
    }
}

/// <summary>
/// The machines a caller can see: this machine alone when nothing is connected, or a master's fleet.
/// The same pipeline means the same thing either way.
/// </summary>
public interface IFleet : IAsyncDisposable
{
    /// <summary>A description for messages: "local machine" or the master's URL.</summary>
    string Description { get; }

    /// <summary>The machines that match <paramref name="query"/>, each with its latest sample.</summary>
    Task<IReadOnlyList<Machine>> GetMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default);

    /// <summary>A machine's stored history. Throws <see cref="FleetException"/> when there is none (no master) or no such machine.</summary>
    Task<MetricSeries> GetMetricsAsync(string name, DateTimeOffset? since, DateTimeOffset? until, TimeSpan? step, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs a benchmark on <paramref name="machines"/> (all online ones when empty) at once: progress as it
    /// comes, and each machine's result as it finishes (failed and cancelled ones too). Cancelling the
    /// enumeration cancels the runs. Throws <see cref="FleetException"/> for an unknown benchmark,
    /// parameter or machine before anything runs.
    /// </summary>
    IAsyncEnumerable<BenchmarkEvent> RunBenchmarkAsync(string benchmark, IReadOnlyDictionary<string, string> parameters, IReadOnlyList<string> machines,
        CancellationToken cancellationToken = default);

    /// <summary>Results kept from earlier runs, newest first.</summary>
    Task<IReadOnlyList<BenchmarkResult>> GetBenchmarkResultsAsync(ResultQuery query, CancellationToken cancellationToken = default);
}

/// <summary>A moment of a benchmark run on a fleet: one machine's progress, or its result.</summary>
public sealed record BenchmarkEvent(string Machine, string? JobId, BenchmarkProgress? Progress, BenchmarkResult? Result);

/// <summary>Which stored results to read: by benchmark (either name form), machines, time, job; the newest <see cref="Last"/>.</summary>
public sealed record ResultQuery(string? Benchmark = null, IReadOnlyList<string>? Machines = null, DateTimeOffset? Since = null, string? JobId = null,
    int Last = 100, bool IncludeMetrics = false);

/// <summary>What a fleet could not do, with a stable reason for error ids.</summary>
public sealed class FleetException(string reason, string message, Exception? inner = null, string? code = null) : Exception(message, inner)
{
    /// <summary>The master's error code when the master refused the request (<c>unauthorized</c>, <c>forbidden</c>, <c>bad-parameter</c>, ...),
    /// <c>certificate-refused</c> when this side refused the master's certificate; null otherwise.</summary>
    public string? Code { get; } = code;

    /// <summary>MachineNotFound, JobNotFound, MasterUnreachable, NoHistory, NoMachines, BadRequest, Unauthorized, MasterError,
    /// InsecureMaster (a token would go in clear text), AlertNotFound, AlertRuleNotFound, AlertRuleExists.</summary>
    public string Reason { get; } = reason;
}
