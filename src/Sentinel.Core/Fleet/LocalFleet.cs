using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Sentinel.Benchmarks;
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

    // Results of this session's runs: with no master, nothing else keeps them.
    private readonly List<BenchmarkResult> _results = [];

    public async IAsyncEnumerable<BenchmarkEvent> RunBenchmarkAsync(string benchmark, IReadOnlyDictionary<string, string> parameters, IReadOnlyList<string> machines,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var name = _sampler.Inventory.HostName;
        var others = machines.Where(m => !string.Equals(m, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (others.Count > 0)
        {
            throw new FleetException("MachineNotFound",
                $"{string.Join(", ", others.Select(o => $"'{o}'"))} is not this machine, and no master is connected to reach other machines. Connect-SentinelMaster first.");
        }
        var found = BenchmarkCatalog.Find(benchmark)
            ?? throw new FleetException("BadRequest", $"no benchmark '{benchmark}'; there are {string.Join(", ", BenchmarkCatalog.Names)}");
        var given = new BenchmarkParameters(parameters);
        try
        {
            given.RefuseUnknown(found.Name, found.Parameters);
        }
        catch (BenchmarkParameterException e)
        {
            throw new FleetException("BadRequest", e.Message, e);
        }
        var events = Channel.CreateUnbounded<BenchmarkEvent>(new UnboundedChannelOptions { SingleReader = true });
        var context = new BenchmarkContext
        {
            Inventory = _sampler.Inventory,
            Parameters = given,
            Progress = new Reporter(p => events.Writer.TryWrite(new BenchmarkEvent(name, null, p, null))),
        };
        var run = Task.Run(async () =>
        {
            try
            {
                var result = await BenchmarkRunner.RunAsync(found, context, name, null, cancellationToken).ConfigureAwait(false);
                lock (_results) _results.Add(result);
                events.Writer.TryWrite(new BenchmarkEvent(name, null, null, result));
            }
            finally
            {
                events.Writer.TryComplete();
            }
        }, CancellationToken.None);
        await foreach (var e in events.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            // A cancelled run still ends with its (cancelled) result: the caller decides whether to show it.
            yield return e;
        }
        await run.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    public Task<IReadOnlyList<BenchmarkResult>> GetBenchmarkResultsAsync(ResultQuery query, CancellationToken cancellationToken = default)
    {
        var benchmark = query.Benchmark is null ? null : BenchmarkCatalog.Find(query.Benchmark)?.Name
            ?? throw new FleetException("BadRequest", $"no benchmark '{query.Benchmark}'; there are {string.Join(", ", BenchmarkCatalog.Names)}");
        lock (_results)
        {
            IReadOnlyList<BenchmarkResult> list = _results
                .Where(r => benchmark is null || r.Benchmark == benchmark)
                .Where(r => query.Machines is not { Count: > 0 } m || m.Contains(r.Machine, StringComparer.OrdinalIgnoreCase))
                .Where(r => query.Since is not { } s || r.FinishedAt >= s)
                .Where(r => query.JobId is null)
                .Reverse().Take(query.Last).ToList();
            return Task.FromResult(list);
        }
    }

    private sealed class Reporter(Action<BenchmarkProgress> report) : IProgress<BenchmarkProgress>
    {
        public void Report(BenchmarkProgress value) => report(value);
    }

    public ValueTask DisposeAsync()
    {
        _sampler.Dispose();
        return ValueTask.CompletedTask;
    }
}
