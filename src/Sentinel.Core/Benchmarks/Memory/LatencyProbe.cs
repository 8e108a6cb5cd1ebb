using System.Diagnostics;

namespace Sentinel.Benchmarks.Memory;

/// <summary>One working set's latency.</summary>
internal readonly record struct LatencyFigure(double Ns, long Loads, double Seconds, double LoadGBs);

/// <summary>
/// Times a chain: a warm-up pass (at least the whole chain, at least 64 Ki loads), batches doubling from 1024 loads
/// until one lasts a twentieth of the time asked for (at least 1 ms, at most 50 ms, so cancellation is seen
/// within one such batch), then batches of that size until the time asked for is spent
/// (at least five); the figure is the median batch's ns per load, so a batch an interrupt or a neighbour spoiled
/// does not move it. bench/c/pointer_chase.c times the same way.
/// </summary>
internal static class LatencyProbe
{
    /// <summary>Where the last chase ended; written so the chase is never dead code.</summary>
    public static nint Sink;

    public static LatencyFigure Measure(nint start, long lines, double seconds, LoadTraffic? load, CancellationToken cancellationToken)
    {
        nint p = PointerChain.Chase(start, (Math.Max(lines, 1 << 16) + 15) & ~15L);

        double segment = Math.Clamp(seconds / 20, 0.001, 0.05);
        long batch = 1024;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            p = PointerChain.Chase(p, batch);
            double dt = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (dt >= segment || batch >= 1L << 40) break;
            batch *= 2;
        }

        var samples = new List<double>();
        double total = 0;
        long loadBefore = load?.Bytes ?? 0;
        long windowStart = Stopwatch.GetTimestamp();
        while (total < seconds || samples.Count < 5)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            p = PointerChain.Chase(p, batch);
            long t1 = Stopwatch.GetTimestamp();
            double dt = (double)(t1 - t0) / Stopwatch.Frequency;
            samples.Add(dt * 1e9 / batch);
            total += dt;
        }
        double window = Stopwatch.GetElapsedTime(windowStart).TotalSeconds;
        long loadBytes = (load?.Bytes ?? 0) - loadBefore;
        Sink = p;
        return new LatencyFigure(Median(samples), batch * samples.Count, total, load is null ? 0 : loadBytes / window / 1e9);
    }

    internal static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
