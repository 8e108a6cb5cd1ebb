namespace Sentinel.Benchmarks;

/// <summary>
/// One kind of benchmark. Implementations are stateless: everything a run needs comes in
/// <see cref="BenchmarkContext"/>, so one instance can serve several runs (not at once on one machine:
/// the master runs at most one benchmark per machine).
/// </summary>
public interface IBenchmark
{
    /// <summary>The PowerShell name: MemoryBandwidth, MemoryLatency, Cpu, Disk, Network, Command.</summary>
    string Name { get; }

    /// <summary>One line for help and listings.</summary>
    string Description { get; }

    /// <summary>The parameters this benchmark reads, with their defaults, for help and validation.</summary>
    IReadOnlyList<BenchmarkParameterInfo> Parameters { get; }

    /// <summary>
    /// Runs to the end and returns the figures. Throws <see cref="BenchmarkParameterException"/> for a bad
    /// parameter (before any work), <see cref="OperationCanceledException"/> when cancelled (after cleaning
    /// up), and anything else for a failure the result cannot describe.
    /// </summary>
    Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}

/// <summary>A parameter a benchmark reads: its name (camelCase, as on the wire), default and meaning.</summary>
public sealed record BenchmarkParameterInfo(string Name, string Default, string Description);

/// <summary>Everything one run needs.</summary>
public sealed class BenchmarkContext
{
    /// <summary>What was asked for (camelCase names, invariant-culture text values).</summary>
    public BenchmarkParameters Parameters { get; init; } = BenchmarkParameters.Empty;

    /// <summary>The machine the run is on (cache sizes pick array sizes; recorded in the result).</summary>
    public required Inventory Inventory { get; init; }

    /// <summary>Progress as it goes; may be null.</summary>
    public IProgress<BenchmarkProgress>? Progress { get; init; }

    /// <summary>The master this run was sent by, when there is one (the Network benchmark measures against it).</summary>
    public Uri? Master { get; init; }

    /// <summary>The agent token for <see cref="Master"/>, when it requires one.</summary>
    public string? Token { get; init; }

    /// <summary>How to check <see cref="Master"/>'s certificate, and whether the token may go in clear text.</summary>
    public Security.MasterTrust Trust { get; init; } = Security.MasterTrust.Default;

    /// <summary>Clock for durations.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reports progress, when anyone listens.</summary>
    public void Report(double fraction, string stage) => Progress?.Report(new BenchmarkProgress(Math.Clamp(fraction, 0, 1), stage));
}

/// <summary>How far a run is: 0..1 and what it is doing ("triad, repetition 3 of 10").</summary>
public sealed record BenchmarkProgress(double Fraction, string Stage);
