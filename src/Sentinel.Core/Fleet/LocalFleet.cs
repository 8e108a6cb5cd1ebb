using Sentinel.Collectors;

namespace Sentinel.Fleet;

/// <summary>The fleet of one: this machine, sampled on demand. What the cmdlets use with no master connected.</summary>
public sealed class LocalFleet : IFleet
{
    private readonly Sampler _sampler;
    private readonly TimeSpan _minSpan;

    /// <param name="sampler">The sampler to read from; defaults to this machine's.</param>
    /// <param name="minSpan">The shortest span a sample's rates are measured over (default 1 s).</param>
    public LocalFleet(Sampler? sampler = null, TimeSpan? minSpan = null)
    {
        _sampler = sampler ?? Sampler.ForThisMachine();
        _minSpan = minSpan ?? TimeSpan.FromSeconds(1);
    }

    public string Description => "local machine";

    public async Task<IReadOnlyList<Machine>> GetMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default)
    {
        // A reading older than a few intervals says nothing about now: start a fresh span then.
        var sample = await _sampler.SampleAsync(_minSpan, maxAge: TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var machine = new Machine
        {
            Name = _sampler.Inventory.HostName,
            Status = MachineStatus.Online,
            LastSeen = sample.Timestamp,
            Source = "local",
            Inventory = _sampler.Inventory,
            Latest = sample,
        };
        return query.Matches(machine) ? [machine] : [];
    }

    public Task<MetricSeries> GetMetricsAsync(string name, DateTimeOffset? since, DateTimeOffset? until, TimeSpan? step, CancellationToken cancellationToken = default)
        => throw new FleetException("NoHistory",
            "The local machine keeps no history: history is stored by a master. Start one with Start-SentinelMaster (and an agent with Start-SentinelAgent), or connect to one with Connect-SentinelMaster.");

    public ValueTask DisposeAsync()
    {
        _sampler.Dispose();
        return ValueTask.CompletedTask;
    }
}
