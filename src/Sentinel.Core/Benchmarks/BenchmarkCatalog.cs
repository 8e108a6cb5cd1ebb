namespace Sentinel.Benchmarks;

/// <summary>
/// The benchmarks by name. PowerShell names (MemoryBandwidth) and CLI names (memory-bandwidth) both resolve,
/// case-insensitively.
/// </summary>
public static class BenchmarkCatalog
{
    private static readonly IBenchmark[] All =
    [
        new MemoryBandwidthBenchmark(),
        new MemoryLatencyBenchmark(),
        new CpuBenchmark(),
        new DiskBenchmark(),
        new NetworkBenchmark(),
        new CommandBenchmark(),
    ];

    /// <summary>Every benchmark, in the order of the docs.</summary>
    public static IReadOnlyList<IBenchmark> Benchmarks => All;

    /// <summary>The PowerShell names.</summary>
    public static IReadOnlyList<string> Names => All.Select(b => b.Name).ToArray();

    /// <summary>memory-bandwidth for MemoryBandwidth.</summary>
    public static string CliName(string name)
        => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>The benchmark called <paramref name="name"/> (either form), or null.</summary>
    public static IBenchmark? Find(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var key = name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        return All.FirstOrDefault(b => string.Equals(b.Name, key, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The benchmark, or an exception naming the known ones.</summary>
    public static IBenchmark Get(string? name)
        => Find(name) ?? throw new BenchmarkParameterException("name", name ?? "", "a benchmark: " + string.Join(", ", All.Select(b => $"{b.Name} ({CliName(b.Name)})")));
}
