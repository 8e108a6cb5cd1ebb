using Sentinel.Fleet;

namespace Sentinel.Reports;

/// <summary>
/// Fills a <see cref="ReportData"/> from a fleet and what came down the pipeline: machines bring their history
/// and benchmark results; series, points and results are used as given; nothing means the whole fleet.
/// A machine without history (the local machine, one the master does not know) is named in the report, not an error.
/// </summary>
public sealed class ReportCollector(IFleet fleet, TimeProvider? time = null)
{
    /// <summary>The most results a master returns for one query.</summary>
    private const int ResultLimit = 1000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Gathers the report's data. Throws <see cref="FleetException"/> when the fleet cannot be read at all (master unreachable).</summary>
    public async Task<ReportData> CollectAsync(ReportInputs inputs, ReportOptions options, IProgress<ReportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (options.Until <= options.Since)
        {
            throw new ArgumentException($"the range must start before it ends ({options.Since:O} to {options.Until:O})", nameof(options));
        }
        var notes = new List<string>();
        var given = inputs.AllSeries().ToList();
        var givenNames = new HashSet<string>(given.Select(s => s.Name), StringComparer.OrdinalIgnoreCase);

        progress?.Report(new ReportProgress("Reading the machines of the " + fleet.Description, 0, 1));
        var everyMachine = await fleet.GetMachinesAsync(MachineQuery.All, cancellationToken).ConfigureAwait(false);
        var byName = everyMachine.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

        // The machines whose history and results the report fetches.
        var machines = new List<Machine>();
        void AddMachine(Machine m)
        {
            if (!machines.Any(x => string.Equals(x.Name, m.Name, StringComparison.OrdinalIgnoreCase))) machines.Add(m);
        }
        if (inputs.IsEmpty)
        {
            foreach (var m in everyMachine) AddMachine(m);
        }
        foreach (var m in inputs.Machines) AddMachine(m);
        foreach (var name in inputs.MachineNames)
        {
            if (byName.TryGetValue(name, out var m)) AddMachine(m);
            else notes.Add($"The {fleet.Description} has no machine named '{name}'.");
        }
        var fetchFor = machines.Select(m => m.Name).Where(n => !givenNames.Contains(n)).ToList();

        // Machines that only came as series or results still get a row in the summary and inventory, when the fleet knows them.
        var shown = new List<Machine>(machines);
        foreach (var name in givenNames.Concat(inputs.Results.Select(r => r.Machine)))
        {
            if (!shown.Any(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) && byName.TryGetValue(name, out var m)) shown.Add(m);
        }

        var results = new List<BenchmarkResult>(inputs.Results);
        if (machines.Count > 0)
        {
            progress?.Report(new ReportProgress("Reading benchmark results", 0, 1));
            var stored = await fleet.GetBenchmarkResultsAsync(new ResultQuery(Since: options.Since, Last: ResultLimit), cancellationToken).ConfigureAwait(false);
            var wanted = new HashSet<string>(machines.Select(m => m.Name), StringComparer.OrdinalIgnoreCase);
            // A result piped in and read back again is the same run: one row, not two.
            var seen = new HashSet<(string, string, string?, DateTimeOffset)>(results.Select(Key));
            results.AddRange(stored.Where(r => wanted.Contains(r.Machine) && r.FinishedAt <= options.Until && seen.Add(Key(r))));
            if (stored.Count >= ResultLimit)
            {
                notes.Add($"Only the newest {ResultLimit} benchmark results since {options.Since.UtcDateTime:yyyy-MM-dd HH:mm} UTC were read; a shorter range shows older runs.");
            }
        }

        var history = given.Select(s => new MachineHistory(s.Name, s)).ToList();
        history.AddRange(await FetchHistoryAsync(fetchFor, byName, options, progress, cancellationToken).ConfigureAwait(false));
        var order = shown.Select(m => m.Name).ToList();
        history = history.OrderBy(h => order.FindIndex(n => string.Equals(n, h.Machine, StringComparison.OrdinalIgnoreCase)) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(h => h.Machine, StringComparer.OrdinalIgnoreCase).ToList();

        return new ReportData
        {
            Title = options.Title,
            GeneratedAt = _time.GetUtcNow(),
            Source = fleet.Description,
            Since = options.Since,
            Until = options.Until,
            Machines = shown,
            History = history,
            Results = results,
            Notes = notes,
        };
    }

    private static (string, string, string?, DateTimeOffset) Key(BenchmarkResult r) => (r.Benchmark, r.Machine.ToUpperInvariant(), r.JobId, r.FinishedAt);

    private async Task<List<MachineHistory>> FetchHistoryAsync(List<string> names, Dictionary<string, Machine> byName, ReportOptions options,
        IProgress<ReportProgress>? progress, CancellationToken cancellationToken)
    {
        var found = new MachineHistory[names.Count];
        int done = 0;
        double range = (options.Until - options.Since).TotalSeconds;
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.ThrottleLimit), CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var name = names[i];
                double interval = byName.TryGetValue(name, out var m) && m.Latest is { IntervalSeconds: > 0 } latest ? latest.IntervalSeconds : 1;
                // A sample's span is its interval as measured (1.003 s for a 1 s agent): rounded, not ceiled, or 1 s agents read at 2 s.
                var step = TimeSpan.FromSeconds(Math.Max(Math.Max(1, Math.Round(interval)), Math.Ceiling(range / Math.Max(1, options.PointsPerMachine))));
                try
                {
                    found[i] = new MachineHistory(name, await fleet.GetMetricsAsync(name, options.Since, options.Until, step, token).ConfigureAwait(false));
                }
                catch (FleetException e) when (e.Reason is "NoHistory" or "MachineNotFound" or "BadRequest" or "MasterError")
                {
                    found[i] = new MachineHistory(name, null, e.Message);
                }
                progress?.Report(new ReportProgress($"Reading history of {name}", Interlocked.Increment(ref done), names.Count));
            }).ConfigureAwait(false);
        return [.. found];
    }
}
