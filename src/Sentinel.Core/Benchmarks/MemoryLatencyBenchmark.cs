using System.Globalization;
using System.Runtime.InteropServices;
using Sentinel.Benchmarks.Memory;

namespace Sentinel.Benchmarks;

/// <summary>
/// Memory latency: dependent loads along a random cyclic chain of cache lines, for working sets from 16 KiB to well
/// beyond the last-level cache, in ns per load. With <c>loadThreads</c> > 0, other threads stream through their own
/// memory meanwhile (loaded latency, as Intel MLC's), and the bandwidth they got is reported beside each figure.
/// </summary>
public sealed class MemoryLatencyBenchmark : IBenchmark
{
    private const long MinSize = 16 << 10;

    public string Name => "MemoryLatency";

    public string Description =>
        "Pointer chase over a random chain of cache lines, 16 KiB to beyond the last-level cache: ns per dependent load per working-set size; optionally under load from other threads";

    public IReadOnlyList<BenchmarkParameterInfo> Parameters { get; } =
    [
        new("minBytes", "16K", "Smallest working set"),
        new("maxBytes", "max(4 x LLC, 256M)", "Largest working set; sizes are the powers of two and their midpoints in between"),
        new("secondsPerSize", "0.2", "Time spent timing each size (0.01 to 60); the figure is the median of at least five batches"),
        new("loadThreads", "0", "Threads streaming through other memory while the chase runs (loaded latency); 0 measures idle latency"),
        new("loadKind", "read", "What the load threads do: read (sum their buffer) or copy (half to half)"),
        new("chain", "random", "Chain order: random (all lines shuffled) or page (4 KiB pages shuffled, lines shuffled within each, as lmbench; region prefetchers can follow it, so it reads lower)"),
        new("hugePages", "true", "Ask the kernel for transparent huge pages for the chain (Linux madvise), so TLB misses do not add to the figures; the result says true, false or unavailable"),
    ];

    public async Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        p.RefuseUnknown(Name, Parameters);
        var inventory = context.Inventory;
        var warnings = new List<string>();

        long llc = inventory.LastLevelCacheBytes;
        long available = NativeBuffer.AvailableBytes();
        // The chain, its order (4 bytes a line) and the load buffers stay under half of available memory.
        long limit = Math.Max(MinSize, available / 2 / 17 * 16 / PointerChain.PageBytes * PointerChain.PageBytes);
        long minBytes = Round(p.Bytes("minBytes", MinSize, PointerChain.PageBytes, limit));
        long wantMax = Math.Max(4 * llc, 256L << 20);
        long maxBytes;
        if (p.Text("maxBytes") is null)
        {
            maxBytes = Math.Max(minBytes, Math.Min(wantMax, limit));
            if (maxBytes < wantMax && llc > 0 && maxBytes < 4 * llc)
            {
                warnings.Add($"largest working set cut to {Units.Bytes(maxBytes)} to fit in available memory ({Units.Bytes(available)}): below 4x the last-level cache ({Units.Bytes(4 * llc)})");
            }
        }
        else
        {
            maxBytes = Round(p.Bytes("maxBytes", 0, PointerChain.PageBytes, limit));
        }
        if (maxBytes < minBytes)
        {
            throw new BenchmarkParameterException("maxBytes", p.Text("maxBytes")!, $"at least minBytes ({Units.Bytes(minBytes)})");
        }
        double seconds = p.Double("secondsPerSize", 0.2, 0.01, 60);
        int loadThreads = p.Int("loadThreads", 0, 0, 1024);
        var loadKind = p.String("loadKind", "read").ToLowerInvariant() switch
        {
            "read" => LoadKind.Read,
            "copy" => LoadKind.Copy,
            var other => throw new BenchmarkParameterException("loadKind", other, "read or copy"),
        };
        var chain = p.String("chain", "random").ToLowerInvariant() switch
        {
            "random" => ChainKind.Random,
            "page" => ChainKind.Page,
            var other => throw new BenchmarkParameterException("chain", other, "random or page"),
        };
        bool hugePages = p.Bool("hugePages", true);

        var sizes = Sizes(minBytes, maxBytes);
        long loadBytesPerThread = loadThreads == 0 ? 0 : Math.Max(2 * llc, 64L << 20);
        if (loadThreads > 0 && maxBytes + (long)loadThreads * loadBytesPerThread > available / 2)
        {
            throw new BenchmarkParameterException("loadThreads", loadThreads.ToString(CultureInfo.InvariantCulture),
                $"a count whose buffers ({Units.Bytes(loadBytesPerThread)} each) fit beside the chain in half of available memory ({Units.Bytes(available)})");
        }
        if (loadThreads > 0 && loadThreads >= Environment.ProcessorCount)
        {
            warnings.Add($"{loadThreads} load threads and the chase on {Environment.ProcessorCount} CPUs: they share CPUs, so the chase is slowed by more than memory traffic");
        }
        cancellationToken.ThrowIfCancellationRequested();

        var probe = new Probe
        {
            Sizes = sizes,
            Seconds = seconds,
            Chain = chain,
            HugePages = hugePages,
            LoadThreads = loadThreads,
            LoadBytesPerThread = loadBytesPerThread,
            LoadKind = loadKind,
            Report = context.Report,
        };
        var outcome = await MemoryBandwidthBenchmark.RunOnOwnThread(probe.Run, cancellationToken, "sentinel-latency").ConfigureAwait(false);

        var rows = new List<Dictionary<string, double>>();
        for (int i = 0; i < sizes.Count; i++)
        {
            var row = new Dictionary<string, double> { ["sizeBytes"] = sizes[i], ["latencyNs"] = outcome.Figures[i].Ns };
            if (loadThreads > 0) row["loadGBs"] = outcome.Figures[i].LoadGBs;
            rows.Add(row);
        }
        var values = new Dictionary<string, double> { ["latencyNs"] = outcome.Figures[^1].Ns };
        foreach (var (key, ns) in CacheLevels(inventory.Caches, sizes, outcome.Figures.Select(f => f.Ns).ToList()))
        {
            values[key] = ns;
        }
        if (loadThreads > 0) values["loadGBs"] = outcome.Figures[^1].LoadGBs;
        var (hugeState, hugeWarning) = NativeBuffer.HugePageState(hugePages, outcome.HugePageBytes, outcome.ChainBytes, "chain",
            "TLB misses add to the largest sizes' figures");
        if (hugeWarning is not null) warnings.Add(hugeWarning);

        var parameters = new Dictionary<string, string>
        {
            ["minBytes"] = minBytes.ToString(CultureInfo.InvariantCulture),
            ["maxBytes"] = maxBytes.ToString(CultureInfo.InvariantCulture),
            ["secondsPerSize"] = seconds.ToString("R", CultureInfo.InvariantCulture),
            ["loadThreads"] = loadThreads.ToString(CultureInfo.InvariantCulture),
            ["chain"] = chain == ChainKind.Random ? "random" : "page",
            ["hugePages"] = hugeState,
        };
        if (loadThreads > 0)
        {
            parameters["loadKind"] = loadKind == LoadKind.Read ? "read" : "copy";
            parameters["loadBytes"] = loadBytesPerThread.ToString(CultureInfo.InvariantCulture);
        }
        return new BenchmarkResult
        {
            Benchmark = Name,
            Machine = inventory.HostName,
            Values = values,
            Rows = rows,
            Parameters = parameters,
            Warnings = warnings,
        };
    }

    private static long Round(long bytes) => Math.Max(PointerChain.PageBytes, bytes / PointerChain.PageBytes * PointerChain.PageBytes);

    /// <summary>The powers of two and their midpoints (1.5x) in [min, max], plus min and max themselves, in 4 KiB steps.</summary>
    internal static List<long> Sizes(long min, long max)
    {
        var sizes = new SortedSet<long> { Round(min), Round(max) };
        for (long power = PointerChain.PageBytes; power <= max; power *= 2)
        {
            foreach (var s in new[] { power, power / 2 * 3 })
            {
                if (s >= min && s <= max) sizes.Add(Round(s));
            }
        }
        return [.. sizes];
    }

    /// <summary>
    /// l1Ns, l2Ns, … only where the inventory says how big each level is: the median figure over the working sets
    /// that fit in half of one instance of that level's data (or unified) cache and are at least twice one instance
    /// of the level below, so they are served by that level. The median, not the edge: a virtual machine may be
    /// given less of a shared cache than it reports, and the sizes nearest the top then already reach the next
    /// level. Nothing for a level with no such size, or when the inventory lists no caches.
    /// </summary>
    internal static IEnumerable<(string Key, double Ns)> CacheLevels(IReadOnlyList<CacheInfo> caches, IReadOnlyList<long> sizes, IReadOnlyList<double> ns)
    {
        var levels = caches
            .Where(c => c.Type is "Data" or "Unified" && c.SizeBytes > 0)
            .GroupBy(c => c.Level)
            .OrderBy(g => g.Key)
            .Select(g => (Level: g.Key, Size: g.Max(c => c.SizeBytes)))
            .ToList();
        long below = 0;
        foreach (var (level, size) in levels)
        {
            var inside = new List<double>();
            for (int i = 0; i < sizes.Count; i++)
            {
                if (sizes[i] <= size / 2 && sizes[i] >= 2 * below) inside.Add(ns[i]);
            }
            if (inside.Count > 0) yield return ($"l{level}Ns", LatencyProbe.Median(inside));
            below = size;
        }
    }

    private sealed class ProbeOutcome
    {
        public required List<LatencyFigure> Figures { get; init; }
        public long? HugePageBytes { get; init; }
        public long ChainBytes { get; init; }
    }

    /// <summary>The sweep, on its own thread: one buffer for the largest size, a chain rebuilt in its start for each size.</summary>
    private sealed unsafe class Probe
    {
        public required List<long> Sizes { get; init; }
        public required double Seconds { get; init; }
        public ChainKind Chain { get; init; }
        public bool HugePages { get; init; }
        public int LoadThreads { get; init; }
        public long LoadBytesPerThread { get; init; }
        public LoadKind LoadKind { get; init; }
        public required Action<double, string> Report { get; init; }

        public ProbeOutcome Run(CancellationToken cancellationToken)
        {
            long largest = Sizes[^1];
            using var buffer = new NativeBuffer(largest, HugePages);
            uint* scratch = (uint*)NativeMemory.Alloc((nuint)(largest / PointerChain.LineBytes), sizeof(uint));
            LoadTraffic? load = null;
            try
            {
                // Touch the whole buffer now, so page faults (and huge page assembly) are not timed.
                new Span<byte>(buffer.Pointer, checked((int)Math.Min(buffer.Length, int.MaxValue))).Clear();
                for (long off = int.MaxValue; off < buffer.Length; off += int.MaxValue)
                {
                    new Span<byte>(buffer.Pointer + off, (int)Math.Min(buffer.Length - off, int.MaxValue)).Clear();
                }
                long? huge = HugePages ? NativeBuffer.HugePageBytes(buffer.Pointer, buffer.Length) : 0;

                if (LoadThreads > 0)
                {
                    Report(0, $"starting {LoadThreads} load threads");
                    load = new LoadTraffic(LoadThreads, LoadBytesPerThread, LoadKind, StreamKernels.Best, HugePages);
                }
                var figures = new List<LatencyFigure>();
                for (int i = 0; i < Sizes.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Report((double)i / Sizes.Count, $"{Units.Bytes(Sizes[i])} ({i + 1} of {Sizes.Count})");
                    nint start = PointerChain.Build(buffer.Pointer, Sizes[i], Chain, scratch);
                    figures.Add(LatencyProbe.Measure(start, Sizes[i] / PointerChain.LineBytes, Seconds, load, cancellationToken));
                }
                return new ProbeOutcome { Figures = figures, HugePageBytes = huge, ChainBytes = buffer.Length };
            }
            finally
            {
                load?.Dispose();
                NativeMemory.Free(scratch);
            }
        }
    }
}
