namespace Sentinel.Benchmarks;

// PLACEHOLDER: being written; replaced before commit.
public sealed class CommandBenchmark : IBenchmark
{
    public string Name => "Command";
    public string Description => "";
    public IReadOnlyList<BenchmarkParameterInfo> Parameters => [];
    public Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken) => throw new NotImplementedException();
}
