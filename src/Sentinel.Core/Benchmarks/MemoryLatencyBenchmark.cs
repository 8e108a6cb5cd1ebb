namespace Sentinel.Benchmarks;

// PLACEHOLDER: being written; replaced before commit.
public sealed class MemoryLatencyBenchmark : IBenchmark
{
    public string Name => "MemoryLatency";
    public string Description => "";
    public IReadOnlyList<BenchmarkParameterInfo> Parameters => [];
    public Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken) => throw new NotImplementedException();
}
