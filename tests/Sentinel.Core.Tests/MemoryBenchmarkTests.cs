using Sentinel.Benchmarks;
using Sentinel.Benchmarks.Memory;
using Sentinel.Collectors;

namespace Sentinel.Tests;

/// <summary>
/// MemoryBandwidth and MemoryLatency on this machine, with small arrays and short times so each test stays fast.
/// Nothing here asserts a speed: only that figures exist, are sane, are ordered, and that bad input, corruption
/// and cancellation are handled. (bench/ compares the speed with C.)
/// </summary>
public class MemoryBenchmarkTests
{
    private static readonly Lazy<Inventory> Machine = new(() =>
    {
        using var sampler = Sampler.ForThisMachine();
        return sampler.Inventory;
    });

    private static BenchmarkContext Context(Dictionary<string, string> parameters, IProgress<BenchmarkProgress>? progress = null) => new()
    {
        Inventory = Machine.Value,
        Parameters = new BenchmarkParameters(parameters),
        Progress = progress,
    };

    /// <summary>Reports on the reporting thread, at once (Progress&lt;T&gt; posts to the pool, too late to cancel at a set point).</summary>
    private sealed class Now(Action<BenchmarkProgress> onReport) : IProgress<BenchmarkProgress>
    {
        public void Report(BenchmarkProgress value) => onReport(value);
    }

    // ---------------------------------------------------------------- bandwidth

    [Fact]
    public async Task Bandwidth_reports_the_five_kernels_best_of_the_repetitions()
    {
        var stages = new List<string>();
        var bench = new MemoryBandwidthBenchmark();
        var r = await bench.RunAsync(Context(new() { ["arrayBytes"] = "4M", ["repetitions"] = "3" }, new Now(p => { lock (stages) stages.Add(p.Stage); })), default);

        Assert.Equal("MemoryBandwidth", r.Benchmark);
        Assert.Equal(Machine.Value.HostName, r.Machine);
        Assert.Equal(["copyGBs", "scaleGBs", "addGBs", "triadGBs", "readGBs"], r.Values.Keys);
        foreach (var (key, gbs) in r.Values)
        {
            Assert.InRange(gbs, 0.01, 1000);
            var spread = r.Spread[key];
            Assert.Equal(3, spread.Repetitions);
            Assert.True(spread.Min <= spread.Mean && spread.Mean <= spread.Max, key);
            Assert.Equal(spread.Max, gbs); // best rate is the shortest time
        }
        Assert.Equal("4194304", r.Parameters["arrayBytes"]);
        Assert.Equal("3", r.Parameters["repetitions"]);
        Assert.Equal(MemoryBandwidthBenchmark.DefaultThreads(Machine.Value).ToString(), r.Parameters["threads"]);
        Assert.Contains(r.Parameters["vector"], new[] { "avx2", "avx", "sse2", "neon", "scalar" });
        Assert.Contains(r.Parameters["nonTemporal"], new[] { "true", "false" });
        // Asked for by default; "unavailable" (with a warning) where transparent huge pages are off.
        Assert.Contains(r.Parameters["hugePages"], new[] { "true", "unavailable" });
        if (r.Parameters["hugePages"] == "unavailable") Assert.Contains(r.Warnings, w => w.StartsWith("huge pages asked for", StringComparison.Ordinal));
        // 4 MiB arrays are far below 4x any server's last-level cache: the result says the figures include cache.
        if (Machine.Value.LastLevelCacheBytes > 1 << 20) Assert.Contains(r.Warnings, w => w.Contains("last-level cache"));
        // One report per kernel per repetition, warm-up included.
        Assert.Equal(20, stages.Count);
        Assert.Equal("copy, warm-up", stages[0]);
        Assert.Equal("read, repetition 3 of 3", stages[^1]);
    }

    public static TheoryData<string, bool> Widths()
    {
        var data = new TheoryData<string, bool>();
        foreach (var w in new[] { VectorWidth.V256, VectorWidth.V128, VectorWidth.Scalar })
        {
            if (!StreamKernels.Supported(w)) continue;
            data.Add(StreamKernels.Name(w), false);
            if (StreamKernels.HasNonTemporal(w)) data.Add(StreamKernels.Name(w), true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Bandwidth_validates_with_every_width_and_store_kind_on_uneven_slices(string vector, bool nonTemporal)
    {
        // 3 threads over 1 MiB + 40 bytes: slices are not whole unrolled steps and the last one has a ragged tail.
        var r = await new MemoryBandwidthBenchmark().RunAsync(Context(new()
        {
            ["arrayBytes"] = ((1 << 20) + 40).ToString(),
            ["repetitions"] = "2",
            ["threads"] = "3",
            ["vector"] = vector,
            ["nonTemporal"] = nonTemporal.ToString(),
        }), default);
        Assert.Equal(vector, r.Parameters["vector"]);
        Assert.Equal(nonTemporal ? "true" : "false", r.Parameters["nonTemporal"]);
        Assert.Equal(((1 << 20) + 40).ToString(), r.Parameters["arrayBytes"]);
        Assert.All(r.Values.Values, v => Assert.True(v > 0));
    }

    [Fact]
    public void Check_finds_a_corrupted_element_and_a_short_read()
    {
        const int n = 10_000;
        const int passes = 3;
        using var a = new NativeBuffer(n * 8, false);
        using var b = new NativeBuffer(n * 8, false);
        using var c = new NativeBuffer(n * 8, false);
        a.AsDoubles(n).Fill(1);
        b.AsDoubles(n).Fill(2);
        c.AsDoubles(n).Fill(0);
        for (int k = 0; k < passes; k++)
        {
            foreach (var kernel in new[] { StreamKernel.Copy, StreamKernel.Scale, StreamKernel.Add, StreamKernel.Triad })
            {
                for (int t = 0; t < 2; t++)
                {
                    var (lo, hi) = StreamRun.Slice(n, t, 2);
                    StreamKernels.Run(kernel, StreamKernels.Best, false, a, b, c, lo, hi);
                }
            }
        }
        double sum = StreamKernels.Run(StreamKernel.Read, StreamKernels.Best, false, a, b, c, 0, n);
        Assert.Null(StreamCheck.Verify(a, b, c, n, passes, sum));
        Assert.Equal(StreamCheck.Expected(passes).A * n, sum, 1e-9 * sum);

        // One pass fewer than ran: every array is wrong.
        Assert.Contains("array a", StreamCheck.Verify(a, b, c, n, passes - 1, null));
        // The read kernel missed a slice.
        Assert.Contains("read kernel", StreamCheck.Verify(a, b, c, n, passes, sum / 2));

        var bs = b.AsDoubles(n);
        double keep = bs[4321];
        bs[4321] = keep * (1 + 1e-9);
        var error = StreamCheck.Verify(a, b, c, n, passes, sum);
        Assert.NotNull(error);
        Assert.Contains("array b has 1 of 10000 elements wrong (element 4321", error);
        bs[4321] = double.NaN;
        Assert.Contains("element 4321 is NaN", StreamCheck.Verify(a, b, c, n, passes, sum));
        bs[4321] = keep;
        Assert.Null(StreamCheck.Verify(a, b, c, n, passes, sum));
    }

    [Theory]
    [InlineData("arraySize", "64M", "arraySize")] // a typo
    [InlineData("threads", "0", "threads")]
    [InlineData("threads", "two", "threads")]
    [InlineData("repetitions", "0", "repetitions")]
    [InlineData("repetitions", "1000", "repetitions")]
    [InlineData("arrayBytes", "12Q", "arrayBytes")]
    [InlineData("arrayBytes", "1000", "arrayBytes")] // below 4 KiB
    [InlineData("arrayBytes", "100T", "arrayBytes")] // beyond memory
    [InlineData("vector", "avx9", "vector")]
    [InlineData("nonTemporal", "maybe", "nonTemporal")]
    public async Task Bandwidth_refuses_a_bad_parameter_by_name(string name, string value, string named)
    {
        var e = await Assert.ThrowsAsync<BenchmarkParameterException>(
            () => new MemoryBandwidthBenchmark().RunAsync(Context(new() { [name] = value }), default));
        Assert.Equal(named, e.Parameter);
        Assert.Contains(named, e.Message);
        Assert.Equal(0, StreamRun.LiveThreads);
    }

    [Fact]
    public async Task Bandwidth_refuses_non_temporal_stores_where_there_are_none()
    {
        var e = await Assert.ThrowsAsync<BenchmarkParameterException>(() => new MemoryBandwidthBenchmark().RunAsync(
            Context(new() { ["vector"] = "scalar", ["nonTemporal"] = "true" }), default));
        Assert.Equal("nonTemporal", e.Parameter);
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public async Task Runner_turns_a_bad_parameter_into_a_failed_result_naming_it()
    {
        var r = await BenchmarkRunner.RunAsync(new MemoryBandwidthBenchmark(), Context(new() { ["threads"] = "0" }), "here", null, default);
        Assert.Equal(BenchmarkState.Failed, r.State);
        Assert.Contains("threads", r.Error);
        Assert.Contains("'0'", r.Error);

        r = await BenchmarkRunner.RunAsync(new MemoryLatencyBenchmark(), Context(new() { ["maxByte"] = "1G" }), "here", null, default);
        Assert.Equal(BenchmarkState.Failed, r.State);
        Assert.Contains("'maxByte' is not a parameter", r.Error);
        Assert.Contains("maxBytes", r.Error); // the list of what it takes
    }

    [Fact]
    public async Task Bandwidth_cancelled_mid_run_stops_its_threads_and_frees_its_arrays()
    {
        using var cts = new CancellationTokenSource();
        var bench = new MemoryBandwidthBenchmark();
        // 200 repetitions would take far longer than the test: it ends because the cancellation is seen.
        var context = Context(new() { ["arrayBytes"] = "16M", ["repetitions"] = "200", ["threads"] = "2" },
            new Now(p => { if (p.Stage.StartsWith("add, repetition 2", StringComparison.Ordinal)) cts.Cancel(); }));
        var run = bench.RunAsync(context, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(0, StreamRun.LiveThreads);
        Assert.Equal(0, NativeBuffer.Outstanding);

        // Through the runner: a Cancelled result, not an exception.
        using var cts2 = new CancellationTokenSource();
        var context2 = Context(new() { ["arrayBytes"] = "16M", ["repetitions"] = "200" },
            new Now(p => { if (p.Stage.StartsWith("triad, repetition 1", StringComparison.Ordinal)) cts2.Cancel(); }));
        var r = await BenchmarkRunner.RunAsync(bench, context2, "here", null, cts2.Token);
        Assert.Equal(BenchmarkState.Cancelled, r.State);
        Assert.Equal(0, StreamRun.LiveThreads);
        Assert.Equal(0, NativeBuffer.Outstanding);
    }

    [Fact]
    public void Huge_pages_are_reported_as_got_not_as_asked()
    {
        Assert.Equal(("false", null), NativeBuffer.HugePageState(false, 0, 64 << 20, "arrays", "x"));
        Assert.Equal(("true", null), NativeBuffer.HugePageState(true, 64 << 20, 64 << 20, "arrays", "x"));
        Assert.Equal(("unknown", null), NativeBuffer.HugePageState(true, null, 64 << 20, "arrays", "x"));
        var (value, warning) = NativeBuffer.HugePageState(true, 2 << 20, 64 << 20, "arrays", "TLB misses cost a little");
        Assert.Equal("unavailable", value);
        Assert.StartsWith("huge pages asked for but 2.0 MiB of the 64.0 MiB arrays got them (transparent huge pages: ", warning);
        Assert.EndsWith("TLB misses cost a little", warning);
    }

    // ---------------------------------------------------------------- latency

    [Fact]
    public void Sizes_are_powers_of_two_and_midpoints()
    {
        var sizes = MemoryLatencyBenchmark.Sizes(16 << 10, 256 << 20);
        Assert.Equal(16 << 10, sizes[0]);
        Assert.Equal(24 << 10, sizes[1]);
        Assert.Equal(32 << 10, sizes[2]);
        Assert.Equal(192 << 20, sizes[^2]);
        Assert.Equal(256 << 20, sizes[^1]);
        Assert.Equal(29, sizes.Count);
        Assert.Equal(sizes.Order(), sizes);
        // Ends that are not on the grid are kept (in whole 4 KiB pages).
        Assert.Equal([20 << 10, 24 << 10, 32 << 10, 40 << 10], MemoryLatencyBenchmark.Sizes(20 << 10, 40 << 10));
    }

    [Theory]
    [InlineData("random", 64 << 10)]
    [InlineData("page", 64 << 10)]
    [InlineData("random", 24 << 10)]
    public void Chain_is_one_cycle_through_every_line(string kindName, int bytes)
    {
        var kind = kindName == "page" ? ChainKind.Page : ChainKind.Random;
        using var buffer = new NativeBuffer(bytes, false);
        long start = PointerChain.Build(buffer, bytes, kind);
        var offsets = PointerChain.Walk(buffer, start, bytes);

        Assert.Equal(bytes / 64, offsets.Count); // came back to the start after exactly every line
        Assert.Equal(bytes / 64, offsets.Distinct().Count());
        Assert.All(offsets, o => Assert.Equal(0, o % 64));
        // Not the identity or a stride: few steps go to the next line.
        Assert.True(offsets.Zip(offsets.Skip(1)).Count(x => x.Second - x.First == 64) < offsets.Count / 8);
        if (kind == ChainKind.Page)
        {
            // All 64 lines of a page before the next page.
            for (int i = 0; i < offsets.Count; i++) Assert.Equal(offsets[i / 64 * 64] / 4096, offsets[i] / 4096);
        }
        // The same seed gives the same chain (bench/c/pointer_chase.c relies on it).
        using var again = new NativeBuffer(bytes, false);
        Assert.Equal(offsets, PointerChain.Walk(again, PointerChain.Build(again, bytes, kind), bytes));
    }

    [Fact]
    public void Cache_levels_come_only_from_sizes_inside_each_level()
    {
        var sizes = MemoryLatencyBenchmark.Sizes(16 << 10, 256 << 20);
        var ns = sizes.Select((_, i) => (double)i).ToList();
        CacheInfo Cache(int level, string type, long size) => new() { Level = level, Type = type, SizeBytes = size, Instances = 1 };
        var caches = new[] { Cache(1, "Data", 48 << 10), Cache(1, "Instruction", 32 << 10), Cache(2, "Unified", 1 << 20), Cache(3, "Unified", 32 << 20) };
        var levels = MemoryLatencyBenchmark.CacheLevels(caches, sizes, ns).ToDictionary();
        double At(long size) => ns[sizes.IndexOf(size)];
        // The median of the sizes inside each level: L1 16K and 24K; L2 96K to 512K; L3 2M to 16M.
        Assert.Equal((At(16 << 10) + At(24 << 10)) / 2, levels["l1Ns"]);
        Assert.Equal((At(192 << 10) + At(256 << 10)) / 2, levels["l2Ns"]);
        Assert.Equal(At(6 << 20), levels["l3Ns"]);

        Assert.Empty(MemoryLatencyBenchmark.CacheLevels([], sizes, ns));
        // An L2 hardly bigger than L1 has no size of its own: no l2Ns rather than a guess.
        var tight = new[] { Cache(1, "Data", 48 << 10), Cache(2, "Unified", 128 << 10) };
        Assert.Equal(["l1Ns"], MemoryLatencyBenchmark.CacheLevels(tight, sizes, ns).Select(x => x.Key));
    }

    [Fact]
    public async Task Latency_rises_from_the_first_level_to_memory()
    {
        long llc = Machine.Value.LastLevelCacheBytes > 0 ? Machine.Value.LastLevelCacheBytes : 32 << 20;
        var max = 4 * llc;
        var r = await new MemoryLatencyBenchmark().RunAsync(Context(new()
        {
            ["maxBytes"] = max.ToString(),
            ["secondsPerSize"] = "0.01",
        }), default);

        var sizes = r.Rows.Select(x => (long)x["sizeBytes"]).ToList();
        Assert.Equal(MemoryLatencyBenchmark.Sizes(16 << 10, max), sizes);
        Assert.All(r.Rows, x => Assert.InRange(x["latencyNs"], 0.05, 10_000));
        double first = r.Rows[0]["latencyNs"], last = r.Rows[^1]["latencyNs"];
        // L1 answers in a few cycles; memory four times beyond the last-level cache in tens to hundreds of ns.
        Assert.True(first * 3 < last, $"16 KiB: {first:0.00} ns, {Units.Bytes(max)}: {last:0.00} ns");
        Assert.Equal(last, r.Values["latencyNs"]);
        Assert.Equal(max.ToString(), r.Parameters["maxBytes"]);
        Assert.Equal("16384", r.Parameters["minBytes"]);
        Assert.Equal("0", r.Parameters["loadThreads"]);
        Assert.Contains(r.Parameters["chain"], new[] { "random", "page" });
        Assert.DoesNotContain("loadGBs", r.Values.Keys);
        if (Machine.Value.Caches.Any(c => c.Level == 1 && c.Type == "Data" && c.SizeBytes >= 32 << 10))
        {
            Assert.True(r.Values["l1Ns"] * 3 < last);
        }
        Assert.Equal(0, NativeBuffer.Outstanding);
    }

    [Fact]
    public async Task Loaded_latency_reports_the_load_threads_bandwidth()
    {
        var r = await new MemoryLatencyBenchmark().RunAsync(Context(new()
        {
            ["minBytes"] = "1M",
            ["maxBytes"] = "2M",
            ["secondsPerSize"] = "0.02",
            ["loadThreads"] = "1",
            ["loadKind"] = "copy",
        }), default);
        Assert.Equal(3, r.Rows.Count); // 1M, 1.5M, 2M
        Assert.All(r.Rows, x => Assert.True(x["loadGBs"] > 0));
        Assert.Equal(r.Rows[^1]["loadGBs"], r.Values["loadGBs"]);
        Assert.Equal("copy", r.Parameters["loadKind"]);
        Assert.Equal(0, NativeBuffer.Outstanding);
    }

    [Theory]
    [InlineData("minBytes", "lots", "minBytes")]
    [InlineData("maxBytes", "8K", "maxBytes")] // below minBytes
    [InlineData("secondsPerSize", "0", "secondsPerSize")]
    [InlineData("secondsPerSize", "fast", "secondsPerSize")]
    [InlineData("loadThreads", "-1", "loadThreads")]
    [InlineData("loadKind", "write", "loadKind")]
    [InlineData("chain", "zigzag", "chain")]
    [InlineData("hugepage", "true", "hugepage")]
    public async Task Latency_refuses_a_bad_parameter_by_name(string name, string value, string named)
    {
        var e = await Assert.ThrowsAsync<BenchmarkParameterException>(
            () => new MemoryLatencyBenchmark().RunAsync(Context(new() { [name] = value }), default));
        Assert.Equal(named, e.Parameter);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public async Task Latency_cancelled_mid_sweep_frees_its_memory()
    {
        using var cts = new CancellationTokenSource();
        var context = Context(new() { ["maxBytes"] = "64M", ["secondsPerSize"] = "60", ["loadThreads"] = "1" },
            new Now(p => { if (p.Stage.Contains("(1 of", StringComparison.Ordinal)) cts.CancelAfter(300); }));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new MemoryLatencyBenchmark().RunAsync(context, cts.Token).WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(0, NativeBuffer.Outstanding);
    }
}
