using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Sentinel.Benchmarks;

/// <summary>
/// Integer and floating-point throughput on one thread and on all threads, with the scaling between them.
/// Integer: four independent xorshift64 generators each folded into a multiply hash (8 integer operations per
/// generator step), in millions of operations per second. Floating point: eight independent chains of
/// double-precision multiply-adds on SIMD vectors (fused where the CPU has FMA; 2 flops per element), in GFLOPS.
/// Each phase is timed in <c>repetitions</c> parts; the figure is the best part, its spread over all parts.
/// </summary>
public sealed class CpuBenchmark : IBenchmark
{
    private const int IntLanes = 4, IntOpsPerLaneStep = 8, IntStepsPerCall = 1 << 14;
    private const int FloatChains = 8, FloatStepsPerCall = 1 << 12;

    /// <summary>Keeps every kernel's result alive, so the JIT cannot drop the work.</summary>
    private static ulong s_sink;

    public string Name => "Cpu";

    public string Description => "Integer (xorshift + multiply hash, MOPS) and double-precision multiply-add (GFLOPS) throughput on one thread and on all threads, with the all/one scaling.";

    public IReadOnlyList<BenchmarkParameterInfo> Parameters { get; } =
    [
        new("threads", "logical CPU count", "Threads for the all-thread phases."),
        new("seconds", "2", "Seconds each of the four phases runs (integer/float × one/all threads)."),
        new("repetitions", "3", "Timed parts each phase is split into; the figure is the best part, the spread covers all."),
    ];

    /// <summary>The float kernel this CPU runs: fma-256 (x86 AVX2+FMA), fma-128 (Arm64 AdvSimd) or mul-add-N (portable vectors of N bits).</summary>
    /// <summary>True when /proc/cpuinfo lists avx2 and fma but this process cannot use them (a build for an older baseline).</summary>
    internal static bool CpuHasUnusedFma(string cpuinfo = "/proc/cpuinfo")
    {
        if (Fma.IsSupported && Avx.IsSupported) return false;
        try
        {
            var flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            if (flags is null) return false;
            var set = flags[(flags.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return set.Contains("avx2") && set.Contains("fma");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static string FloatKernelName
        => Fma.IsSupported && Avx.IsSupported ? "fma-256"
         : AdvSimd.Arm64.IsSupported ? "fma-128"
         : $"mul-add-{Vector<double>.Count * 64}";

    public async Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        p.RefuseUnknown(Name, Parameters);
        int logical = context.Inventory.Threads > 0 ? context.Inventory.Threads : Environment.ProcessorCount;
        int threads = p.Int("threads", logical, 1, 4096);
        double seconds = p.Double("seconds", 2, 0.01, 3600);
        int repetitions = p.Int("repetitions", 3, 1, 1000);
        cancellationToken.ThrowIfCancellationRequested();

        var warnings = new List<string>();
        if (threads > Environment.ProcessorCount)
        {
            warnings.Add($"{threads} threads on {Environment.ProcessorCount} logical CPUs: the all-thread figures measure time-sharing, not more hardware.");
        }
        if (CpuHasUnusedFma())
        {
            warnings.Add("The CPU has AVX2 and FMA but this build cannot use them (the NativeAOT sentinel targets x86-64-v2 unless published with " +
                "-p:IlcInstructionSet=x86-64-v3): the float figures are for " + FloatKernelName + ", well below what the CPU can do.");
        }

        var part = TimeSpan.FromSeconds(seconds / repetitions);
        var phases = new (string Key, string Label, bool Float, int Threads)[]
        {
            ("intSingleMops", "integer, 1 thread", false, 1),
            ("intAllMops", $"integer, {threads} threads", false, threads),
            ("floatSingleGflops", "floating point, 1 thread", true, 1),
            ("floatAllGflops", $"floating point, {threads} threads", true, threads),
        };
        int totalParts = phases.Length * repetitions, done = 0;
        var values = new Dictionary<string, double>();
        var spread = new Dictionary<string, BenchmarkSpread>();

        await Task.Factory.StartNew(() =>
        {
            foreach (var phase in phases)
            {
                var samples = new List<double>(repetitions);
                for (int rep = 1; rep <= repetitions; rep++)
                {
                    context.Report((double)done / totalParts, $"{phase.Label}, repetition {rep} of {repetitions}");
                    double opsPerSecond = Measure(phase.Float, phase.Threads, part, cancellationToken);
                    samples.Add(opsPerSecond / (phase.Float ? 1e9 : 1e6));
                    done++;
                }
                values[phase.Key] = samples.Max();
                spread[phase.Key] = BenchmarkSpread.Of(samples);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);

        values["intScaling"] = values["intAllMops"] / values["intSingleMops"];
        values["floatScaling"] = values["floatAllGflops"] / values["floatSingleGflops"];
        // Order as documented: the four figures, then the two scalings.
        var ordered = new Dictionary<string, double>();
        foreach (var key in new[] { "intSingleMops", "intAllMops", "intScaling", "floatSingleGflops", "floatAllGflops", "floatScaling" })
        {
            ordered[key] = values[key];
        }

        return new BenchmarkResult
        {
            Benchmark = Name,
            Machine = context.Inventory.HostName,
            Values = ordered,
            Spread = spread,
            Warnings = warnings,
            Parameters = new Dictionary<string, string>
            {
                ["threads"] = threads.ToString(CultureInfo.InvariantCulture),
                ["seconds"] = seconds.ToString(CultureInfo.InvariantCulture),
                ["repetitions"] = repetitions.ToString(CultureInfo.InvariantCulture),
                ["intKernel"] = "xorshift64-multiply-hash",
                ["floatKernel"] = FloatKernelName,
            },
        };
    }

    /// <summary>Runs the kernel on <paramref name="threads"/> threads started together for <paramref name="duration"/>; operations per second.</summary>
    private static double Measure(bool isFloat, int threads, TimeSpan duration, CancellationToken cancellationToken)
    {
        var ops = new long[threads];
        var results = new ulong[threads];
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim(false);
        long end = 0;
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                long deadline = Volatile.Read(ref end);
                long count = 0;
                ulong fold = (ulong)index;
                if (isFloat)
                {
                    var state = new FloatState(index);
                    do
                    {
                        fold ^= BitConverter.DoubleToUInt64Bits(FloatKernel(ref state, FloatStepsPerCall));
                        count += (long)FloatStepsPerCall * FloatChains * FloatWidth * 2;
                    }
                    while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested);
                }
                else
                {
                    var state = new IntState(index);
                    do
                    {
                        fold ^= IntKernel(ref state, IntStepsPerCall);
                        count += (long)IntStepsPerCall * IntLanes * IntOpsPerLaneStep;
                    }
                    while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested);
                }
                ops[index] = count;
                results[index] = fold;
            })
            { IsBackground = true, Name = $"sentinel-cpu-{index}" };
            workers[t].Start();
        }
        ready.Wait(CancellationToken.None);
        long start = Stopwatch.GetTimestamp();
        Volatile.Write(ref end, start + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        go.Set();
        foreach (var w in workers) w.Join();
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();
        ulong all = 0;
        foreach (var r in results) all ^= r;
        Interlocked.Exchange(ref s_sink, s_sink ^ all);
        return ops.Sum() / elapsed;
    }

    private struct IntState(int seed)
    {
        public ulong A = 0x9E3779B97F4A7C15UL ^ (ulong)(seed * 4 + 1), B = 0xBF58476D1CE4E5B9UL ^ (ulong)(seed * 4 + 2),
                     C = 0x94D049BB133111EBUL ^ (ulong)(seed * 4 + 3), D = 0xD6E8FEB86659FD93UL ^ (ulong)(seed * 4 + 4);
        public ulong HA, HB, HC, HD;
    }

    /// <summary>Four independent xorshift64 generators, each folded into its own multiply hash: 8 integer operations per generator step.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static ulong IntKernel(ref IntState s, int steps)
    {
        const ulong K = 0x2545F4914F6CDD1DUL;
        ulong a = s.A, b = s.B, c = s.C, d = s.D;
        ulong ha = s.HA, hb = s.HB, hc = s.HC, hd = s.HD;
        for (int i = 0; i < steps; i++)
        {
            a ^= a << 13; a ^= a >> 7; a ^= a << 17; ha = (ha ^ a) * K;
            b ^= b << 13; b ^= b >> 7; b ^= b << 17; hb = (hb ^ b) * K;
            c ^= c << 13; c ^= c >> 7; c ^= c << 17; hc = (hc ^ c) * K;
            d ^= d << 13; d ^= d >> 7; d ^= d << 17; hd = (hd ^ d) * K;
        }
        s.A = a; s.B = b; s.C = c; s.D = d;
        s.HA = ha; s.HB = hb; s.HC = hc; s.HD = hd;
        return ha ^ hb ^ hc ^ hd;
    }

    /// <summary>Doubles per vector in the float kernel this CPU runs.</summary>
    private static int FloatWidth => Fma.IsSupported && Avx.IsSupported ? 4 : AdvSimd.Arm64.IsSupported ? 2 : Vector<double>.Count;

    private struct FloatState(int seed)
    {
        // acc = acc * x + c stays near c / (1 - x) = 1: no overflow, no denormals, however long it runs.
        public double X = 0.9999 - seed * 1e-9, C = 1e-4 + seed * 1e-13;
        public double Acc = 0.5;
    }

    /// <summary>Eight independent multiply-add chains on SIMD vectors: 2 flops per element per step.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FloatKernel(ref FloatState s, int steps)
    {
        if (Fma.IsSupported && Avx.IsSupported)
        {
            var x = Vector256.Create(s.X, s.X - 1e-7, s.X - 2e-7, s.X - 3e-7);
            var c = Vector256.Create(s.C);
            var a0 = Vector256.Create(s.Acc); var a1 = a0 + Vector256.Create(0.01); var a2 = a0 + Vector256.Create(0.02); var a3 = a0 + Vector256.Create(0.03);
            var a4 = a0 + Vector256.Create(0.04); var a5 = a0 + Vector256.Create(0.05); var a6 = a0 + Vector256.Create(0.06); var a7 = a0 + Vector256.Create(0.07);
            for (int i = 0; i < steps; i++)
            {
                a0 = Fma.MultiplyAdd(a0, x, c); a1 = Fma.MultiplyAdd(a1, x, c); a2 = Fma.MultiplyAdd(a2, x, c); a3 = Fma.MultiplyAdd(a3, x, c);
                a4 = Fma.MultiplyAdd(a4, x, c); a5 = Fma.MultiplyAdd(a5, x, c); a6 = Fma.MultiplyAdd(a6, x, c); a7 = Fma.MultiplyAdd(a7, x, c);
            }
            var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
            s.Acc = Vector256.Sum(sum) / 32;
            return s.Acc;
        }
        if (AdvSimd.Arm64.IsSupported)
        {
            var x = Vector128.Create(s.X, s.X - 1e-7);
            var c = Vector128.Create(s.C);
            var a0 = Vector128.Create(s.Acc); var a1 = a0 + Vector128.Create(0.01); var a2 = a0 + Vector128.Create(0.02); var a3 = a0 + Vector128.Create(0.03);
            var a4 = a0 + Vector128.Create(0.04); var a5 = a0 + Vector128.Create(0.05); var a6 = a0 + Vector128.Create(0.06); var a7 = a0 + Vector128.Create(0.07);
            for (int i = 0; i < steps; i++)
            {
                a0 = AdvSimd.Arm64.FusedMultiplyAdd(c, a0, x); a1 = AdvSimd.Arm64.FusedMultiplyAdd(c, a1, x);
                a2 = AdvSimd.Arm64.FusedMultiplyAdd(c, a2, x); a3 = AdvSimd.Arm64.FusedMultiplyAdd(c, a3, x);
                a4 = AdvSimd.Arm64.FusedMultiplyAdd(c, a4, x); a5 = AdvSimd.Arm64.FusedMultiplyAdd(c, a5, x);
                a6 = AdvSimd.Arm64.FusedMultiplyAdd(c, a6, x); a7 = AdvSimd.Arm64.FusedMultiplyAdd(c, a7, x);
            }
            var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
            s.Acc = Vector128.Sum(sum) / 16;
            return s.Acc;
        }
        {
            var x = new Vector<double>(s.X);
            var c = new Vector<double>(s.C);
            var a0 = new Vector<double>(s.Acc); var a1 = a0 + new Vector<double>(0.01); var a2 = a0 + new Vector<double>(0.02); var a3 = a0 + new Vector<double>(0.03);
            var a4 = a0 + new Vector<double>(0.04); var a5 = a0 + new Vector<double>(0.05); var a6 = a0 + new Vector<double>(0.06); var a7 = a0 + new Vector<double>(0.07);
            for (int i = 0; i < steps; i++)
            {
                a0 = a0 * x + c; a1 = a1 * x + c; a2 = a2 * x + c; a3 = a3 * x + c;
                a4 = a4 * x + c; a5 = a5 * x + c; a6 = a6 * x + c; a7 = a7 * x + c;
            }
            var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
            s.Acc = Vector.Sum(sum) / (8 * Vector<double>.Count);
            return s.Acc;
        }
    }
}
