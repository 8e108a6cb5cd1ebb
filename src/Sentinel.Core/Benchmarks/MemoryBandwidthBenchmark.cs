using System.Globalization;
using Sentinel.Benchmarks.Memory;

namespace Sentinel.Benchmarks;

/// <summary>
/// Memory bandwidth, the STREAM way: copy (c = a), scale (b = s·c), add (c = a + b), triad (a = b + s·c) and a
/// read-only sum over a, on arrays of doubles at least four times the last-level cache, one thread per logical CPU,
/// each streaming its own slice. Best of the timed repetitions in GB/s (1e9 bytes) with STREAM's byte counting.
/// </summary>
public sealed class MemoryBandwidthBenchmark : IBenchmark
{
    /// <summary>Values can grow as 15^passes; 200 passes stay far from double's range.</summary>
    private const int MaxRepetitions = 200;
    private const long MinArrayBytes = 4096;

    private static readonly string[] Keys = ["copyGBs", "scaleGBs", "addGBs", "triadGBs", "readGBs"];

    public string Name => "MemoryBandwidth";

    public string Description =>
        "STREAM copy, scale, add and triad plus a read-only kernel on all cores, arrays at least 4x the last-level cache; best of the repetitions in GB/s";

    public IReadOnlyList<BenchmarkParameterInfo> Parameters { get; } =
    [
        new("threads", "logical CPUs", "Threads, each streaming its own slice of the arrays (1 to 1024)"),
        new("arrayBytes", "max(4 x LLC, 64M)", "Size of each of the three arrays (e.g. 512M); the default is kept under a sixth of available memory"),
        new("repetitions", "10", $"Timed repetitions of the five kernels after one untimed warm-up (1 to {MaxRepetitions})"),
        new("nonTemporal", "true where the CPU has them", "Write with non-temporal (streaming) stores, which skip the read-for-ownership of the destination"),
        new("vector", "auto", "Vector width: auto, avx2 (256-bit), sse2 (128-bit; neon on arm64) or scalar"),
        new("hugePages", "true", "Ask the kernel for transparent huge pages for the arrays (Linux madvise); the result says true, false or unavailable"),
    ];

    public async Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        p.RefuseUnknown(Name, Parameters);
        var inventory = context.Inventory;
        var warnings = new List<string>();

        int threads = p.Int("threads", DefaultThreads(inventory), 1, 1024);
        int repetitions = p.Int("repetitions", 10, 1, MaxRepetitions);
        var width = ParseWidth(p.String("vector", "auto"));
        bool nonTemporal = p.Bool("nonTemporal", StreamKernels.HasNonTemporal(width));
        if (nonTemporal && !StreamKernels.HasNonTemporal(width))
        {
            throw new BenchmarkParameterException("nonTemporal", "true", $"possible with vector={StreamKernels.Name(width)} on this CPU (it has no non-temporal stores); use false");
        }
        bool hugePages = p.Bool("hugePages", true);

        long llc = inventory.LastLevelCacheBytes;
        long available = NativeBuffer.AvailableBytes();
        // Three arrays in at most ~90% of available memory when asked for; the default stays under half.
        long maxArray = Math.Max(MinArrayBytes, available / 10 * 9 / 3 / 8 * 8);
        long arrayBytes;
        if (p.Text("arrayBytes") is null)
        {
            long want = Math.Max(4 * llc, 64L << 20);
            long comfortable = Math.Max(MinArrayBytes, available / 2 / 3 / (1 << 20) * (1 << 20));
            arrayBytes = Math.Min(want, comfortable);
            if (arrayBytes < want && llc > 0 && arrayBytes < 4 * llc)
            {
                warnings.Add($"arrays cut to {Units.Bytes(arrayBytes)} each to fit in available memory ({Units.Bytes(available)}): below 4x the last-level cache ({Units.Bytes(4 * llc)}), so the figures include some cache bandwidth");
            }
        }
        else
        {
            arrayBytes = p.Bytes("arrayBytes", 0, MinArrayBytes, maxArray);
            if (llc > 0 && arrayBytes < 4 * llc)
            {
                warnings.Add($"arrays of {Units.Bytes(arrayBytes)} are smaller than 4x the last-level cache ({Units.Bytes(4 * llc)}): the figures include cache bandwidth");
            }
        }
        long elements = arrayBytes / sizeof(double);
        if (threads > Environment.ProcessorCount)
        {
            warnings.Add($"{threads} threads on {Environment.ProcessorCount} CPUs: threads share CPUs, the figures are lower than the memory can give");
        }
        cancellationToken.ThrowIfCancellationRequested();

        int steps = (repetitions + 1) * 5;
        var run = new StreamRun
        {
            Threads = threads,
            Elements = elements,
            Repetitions = repetitions,
            Width = width,
            NonTemporal = nonTemporal,
            HugePages = hugePages,
            BeforeKernel = (rep, kernel) => context.Report(
                (double)(rep * 5 + (int)kernel) / steps,
                rep == 0
                    ? $"{kernel.ToString().ToLowerInvariant()}, warm-up"
                    : $"{kernel.ToString().ToLowerInvariant()}, repetition {rep} of {repetitions}"),
        };
        var outcome = await RunOnOwnThread(run.Execute, cancellationToken).ConfigureAwait(false);

        var values = new Dictionary<string, double>();
        var spread = new Dictionary<string, BenchmarkSpread>();
        for (int k = 0; k < Keys.Length; k++)
        {
            double bytes = (double)StreamKernels.BytesPerElement((StreamKernel)k) * elements;
            var rates = outcome.Seconds[k].Select(s => bytes / s / 1e9).ToArray();
            values[Keys[k]] = rates.Max(); // best rate = STREAM's minimum time
            spread[Keys[k]] = BenchmarkSpread.Of(rates);
        }
        var (hugeState, hugeWarning) = NativeBuffer.HugePageState(hugePages, outcome.HugePageBytes, outcome.AllocatedBytes, "arrays",
            "TLB misses cost a little bandwidth");
        if (hugeWarning is not null) warnings.Add(hugeWarning);

        return new BenchmarkResult
        {
            Benchmark = Name,
            Machine = inventory.HostName,
            Values = values,
            Spread = spread,
            Parameters = new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
                ["arrayBytes"] = (elements * sizeof(double)).ToString(CultureInfo.InvariantCulture),
                ["repetitions"] = repetitions.ToString(CultureInfo.InvariantCulture),
                ["nonTemporal"] = nonTemporal ? "true" : "false",
                ["vector"] = StreamKernels.Name(width),
                ["hugePages"] = hugeState,
            },
            Warnings = warnings,
        };
    }

    /// <summary>Logical CPUs this process may run on: the inventory's count, bounded by affinity and cgroup quota.</summary>
    internal static int DefaultThreads(Inventory inventory)
        => inventory.Threads > 0 ? Math.Min(inventory.Threads, Environment.ProcessorCount) : Environment.ProcessorCount;

    internal static VectorWidth ParseWidth(string text)
    {
        VectorWidth? width = text.ToLowerInvariant() switch
        {
            "auto" => StreamKernels.Best,
            "avx2" or "avx" or "256" => VectorWidth.V256,
            "sse2" or "neon" or "128" => VectorWidth.V128,
            "scalar" or "none" => VectorWidth.Scalar,
            _ => null,
        };
        if (width is not { } w || !StreamKernels.Supported(w))
        {
            var supported = new[] { VectorWidth.V256, VectorWidth.V128, VectorWidth.Scalar }.Where(StreamKernels.Supported).Select(StreamKernels.Name);
            throw new BenchmarkParameterException("vector", text, "one of auto, " + string.Join(", ", supported) + " (what this CPU runs)");
        }
        return w;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a dedicated thread (not the thread pool's: it spins and streams for seconds),
    /// completing the task with its result or exception.
    /// </summary>
    internal static Task<T> RunOnOwnThread<T>(Func<CancellationToken, T> body, CancellationToken cancellationToken, string name = "sentinel-stream-0")
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(body(cancellationToken));
            }
            catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
            {
                done.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }
}
