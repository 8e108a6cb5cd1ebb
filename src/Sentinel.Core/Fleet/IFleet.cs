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
}

/// <summary>What a fleet could not do, with a stable reason for error ids.</summary>
public sealed class FleetException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>MachineNotFound, MasterUnreachable, NoHistory, BadRequest, MasterError.</summary>
    public string Reason { get; } = reason;
}
