using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sentinel.Benchmarks.Memory;

/// <summary>The STREAM kernels plus a read-only one.</summary>
internal enum StreamKernel
{
    Copy,
    Scale,
    Add,
    Triad,
    Read,
}

/// <summary>Which vector width the kernels use.</summary>
internal enum VectorWidth
{
    Scalar,
    /// <summary>Vector128 (SSE2 on x64, AdvSimd on arm64).</summary>
    V128,
    /// <summary>Vector256 (AVX/AVX2 on x64).</summary>
    V256,
}

/// <summary>
/// STREAM's kernels over one thread's slice [lo, hi) of the arrays, in three widths, with plain or
/// non-temporal (streaming, cache-bypassing) stores. The slice must start 64-byte aligned (the arrays are
/// 2 MiB aligned and slices start on whole cache lines); a tail shorter than one unrolled step is done
/// element by element. Stores are <c>b + s*c</c> as two roundings, like the scalar model the check uses.
/// </summary>
internal static unsafe class StreamKernels
{
    /// <summary>STREAM's scalar.</summary>
    public const double Scalar = 3.0;

    /// <summary>Bytes STREAM counts per element: copy and scale move 2 arrays, add and triad 3, read 1.</summary>
    public static int BytesPerElement(StreamKernel kernel) => kernel switch
    {
        StreamKernel.Copy or StreamKernel.Scale => 16,
        StreamKernel.Add or StreamKernel.Triad => 24,
        _ => 8,
    };

    /// <summary>The widest width this machine runs in hardware.</summary>
    public static VectorWidth Best =>
        Vector256.IsHardwareAccelerated && Avx.IsSupported ? VectorWidth.V256
        : Vector128.IsHardwareAccelerated ? VectorWidth.V128
        : VectorWidth.Scalar;

    /// <summary>Whether non-temporal stores exist for <paramref name="width"/> here (x86: movntpd/vmovntpd).</summary>
    public static bool HasNonTemporal(VectorWidth width) => width switch
    {
        VectorWidth.V256 => Avx.IsSupported,
        VectorWidth.V128 => Sse2.IsSupported,
        _ => false,
    };

    public static bool Supported(VectorWidth width) => width switch
    {
        VectorWidth.V256 => Vector256.IsHardwareAccelerated && Avx.IsSupported,
        VectorWidth.V128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>The name results use: avx2 (or avx without AVX2), sse2 (neon on arm64), scalar.</summary>
    public static string Name(VectorWidth width) => width switch
    {
        VectorWidth.V256 => Avx2.IsSupported ? "avx2" : "avx",
        VectorWidth.V128 => Sse2.IsSupported ? "sse2" : "neon",
        _ => "scalar",
    };

    /// <summary>Runs <paramref name="kernel"/> over [lo, hi); returns the read kernel's sum (0 for the others).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Run(StreamKernel kernel, VectorWidth width, bool nonTemporal, double* a, double* b, double* c, long lo, long hi)
    {
        nint n = (nint)(hi - lo);
        a += lo;
        b += lo;
        c += lo;
        double sum = 0;
        switch (width)
        {
            case VectorWidth.V256 when nonTemporal:
                sum = Run256<On>(kernel, a, b, c, n);
                Sse.StoreFence();
                break;
            case VectorWidth.V256:
                sum = Run256<Off>(kernel, a, b, c, n);
                break;
            case VectorWidth.V128 when nonTemporal:
                sum = Run128<On>(kernel, a, b, c, n);
                Sse.StoreFence();
                break;
            case VectorWidth.V128:
                sum = Run128<Off>(kernel, a, b, c, n);
                break;
            default:
                sum = RunScalar(kernel, a, b, c, n);
                break;
        }
        return sum;
    }

    /// <summary><see cref="Run(StreamKernel, VectorWidth, bool, double*, double*, double*, long, long)"/> on whole buffers, for safe code.</summary>
    public static double Run(StreamKernel kernel, VectorWidth width, bool nonTemporal, NativeBuffer a, NativeBuffer b, NativeBuffer c, long lo, long hi)
    {
        long n = Math.Min(a.Length, Math.Min(b.Length, c.Length)) / sizeof(double);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hi, n);
        ArgumentOutOfRangeException.ThrowIfNotEqual(lo % 8, 0);
        return Run(kernel, width, nonTemporal, a.Doubles, b.Doubles, c.Doubles, lo, hi);
    }

    // Compile-time flags: the JIT specialises each kernel per struct type, so the store choice costs nothing.
    private interface IFlag
    {
        static abstract bool Value { get; }
    }

    private readonly struct On : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct Off : IFlag
    {
        public static bool Value => false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Run256<TNt>(StreamKernel kernel, double* a, double* b, double* c, nint n) where TNt : struct, IFlag
    {
        switch (kernel)
        {
            case StreamKernel.Copy: Copy256<TNt>(c, a, n); return 0;
            case StreamKernel.Scale: Scale256<TNt>(b, c, n); return 0;
            case StreamKernel.Add: Add256<TNt>(c, a, b, n); return 0;
            case StreamKernel.Triad: Triad256<TNt>(a, b, c, n); return 0;
            default: return Read256(a, n);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Run128<TNt>(StreamKernel kernel, double* a, double* b, double* c, nint n) where TNt : struct, IFlag
    {
        switch (kernel)
        {
            case StreamKernel.Copy: Copy128<TNt>(c, a, n); return 0;
            case StreamKernel.Scale: Scale128<TNt>(b, c, n); return 0;
            case StreamKernel.Add: Add128<TNt>(c, a, b, n); return 0;
            case StreamKernel.Triad: Triad128<TNt>(a, b, c, n); return 0;
            default: return Read128(a, n);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TNt>(double* p, Vector256<double> v) where TNt : struct, IFlag
    {
        if (TNt.Value) Avx.StoreAlignedNonTemporal(p, v);
        else v.StoreAligned(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TNt>(double* p, Vector128<double> v) where TNt : struct, IFlag
    {
        if (TNt.Value) Sse2.StoreAlignedNonTemporal(p, v);
        else v.StoreAligned(p);
    }

    // 256-bit: four vectors (16 doubles, two cache lines) a step.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Copy256<TNt>(double* dst, double* src, nint n) where TNt : struct, IFlag
    {
        nint i = 0;
        for (; i <= n - 16; i += 16)
        {
            Store<TNt>(dst + i, Vector256.LoadAligned(src + i));
            Store<TNt>(dst + i + 4, Vector256.LoadAligned(src + i + 4));
            Store<TNt>(dst + i + 8, Vector256.LoadAligned(src + i + 8));
            Store<TNt>(dst + i + 12, Vector256.LoadAligned(src + i + 12));
        }
        for (; i < n; i++) dst[i] = src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale256<TNt>(double* dst, double* src, nint n) where TNt : struct, IFlag
    {
        var s = Vector256.Create(Scalar);
        nint i = 0;
        for (; i <= n - 16; i += 16)
        {
            Store<TNt>(dst + i, s * Vector256.LoadAligned(src + i));
            Store<TNt>(dst + i + 4, s * Vector256.LoadAligned(src + i + 4));
            Store<TNt>(dst + i + 8, s * Vector256.LoadAligned(src + i + 8));
            Store<TNt>(dst + i + 12, s * Vector256.LoadAligned(src + i + 12));
        }
        for (; i < n; i++) dst[i] = Scalar * src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add256<TNt>(double* dst, double* x, double* y, nint n) where TNt : struct, IFlag
    {
        nint i = 0;
        for (; i <= n - 16; i += 16)
        {
            Store<TNt>(dst + i, Vector256.LoadAligned(x + i) + Vector256.LoadAligned(y + i));
            Store<TNt>(dst + i + 4, Vector256.LoadAligned(x + i + 4) + Vector256.LoadAligned(y + i + 4));
            Store<TNt>(dst + i + 8, Vector256.LoadAligned(x + i + 8) + Vector256.LoadAligned(y + i + 8));
            Store<TNt>(dst + i + 12, Vector256.LoadAligned(x + i + 12) + Vector256.LoadAligned(y + i + 12));
        }
        for (; i < n; i++) dst[i] = x[i] + y[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Triad256<TNt>(double* dst, double* x, double* y, nint n) where TNt : struct, IFlag
    {
        var s = Vector256.Create(Scalar);
        nint i = 0;
        for (; i <= n - 16; i += 16)
        {
            Store<TNt>(dst + i, Vector256.LoadAligned(x + i) + s * Vector256.LoadAligned(y + i));
            Store<TNt>(dst + i + 4, Vector256.LoadAligned(x + i + 4) + s * Vector256.LoadAligned(y + i + 4));
            Store<TNt>(dst + i + 8, Vector256.LoadAligned(x + i + 8) + s * Vector256.LoadAligned(y + i + 8));
            Store<TNt>(dst + i + 12, Vector256.LoadAligned(x + i + 12) + s * Vector256.LoadAligned(y + i + 12));
        }
        for (; i < n; i++) dst[i] = x[i] + Scalar * y[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Read256(double* src, nint n)
    {
        // Four accumulators: one add chain would cap the rate at one vector per add latency.
        Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
        nint i = 0;
        for (; i <= n - 16; i += 16)
        {
            s0 += Vector256.LoadAligned(src + i);
            s1 += Vector256.LoadAligned(src + i + 4);
            s2 += Vector256.LoadAligned(src + i + 8);
            s3 += Vector256.LoadAligned(src + i + 12);
        }
        double sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) sum += src[i];
        return sum;
    }

    // 128-bit: four vectors (8 doubles, one cache line) a step.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Copy128<TNt>(double* dst, double* src, nint n) where TNt : struct, IFlag
    {
        nint i = 0;
        for (; i <= n - 8; i += 8)
        {
            Store<TNt>(dst + i, Vector128.LoadAligned(src + i));
            Store<TNt>(dst + i + 2, Vector128.LoadAligned(src + i + 2));
            Store<TNt>(dst + i + 4, Vector128.LoadAligned(src + i + 4));
            Store<TNt>(dst + i + 6, Vector128.LoadAligned(src + i + 6));
        }
        for (; i < n; i++) dst[i] = src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale128<TNt>(double* dst, double* src, nint n) where TNt : struct, IFlag
    {
        var s = Vector128.Create(Scalar);
        nint i = 0;
        for (; i <= n - 8; i += 8)
        {
            Store<TNt>(dst + i, s * Vector128.LoadAligned(src + i));
            Store<TNt>(dst + i + 2, s * Vector128.LoadAligned(src + i + 2));
            Store<TNt>(dst + i + 4, s * Vector128.LoadAligned(src + i + 4));
            Store<TNt>(dst + i + 6, s * Vector128.LoadAligned(src + i + 6));
        }
        for (; i < n; i++) dst[i] = Scalar * src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add128<TNt>(double* dst, double* x, double* y, nint n) where TNt : struct, IFlag
    {
        nint i = 0;
        for (; i <= n - 8; i += 8)
        {
            Store<TNt>(dst + i, Vector128.LoadAligned(x + i) + Vector128.LoadAligned(y + i));
            Store<TNt>(dst + i + 2, Vector128.LoadAligned(x + i + 2) + Vector128.LoadAligned(y + i + 2));
            Store<TNt>(dst + i + 4, Vector128.LoadAligned(x + i + 4) + Vector128.LoadAligned(y + i + 4));
            Store<TNt>(dst + i + 6, Vector128.LoadAligned(x + i + 6) + Vector128.LoadAligned(y + i + 6));
        }
        for (; i < n; i++) dst[i] = x[i] + y[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Triad128<TNt>(double* dst, double* x, double* y, nint n) where TNt : struct, IFlag
    {
        var s = Vector128.Create(Scalar);
        nint i = 0;
        for (; i <= n - 8; i += 8)
        {
            Store<TNt>(dst + i, Vector128.LoadAligned(x + i) + s * Vector128.LoadAligned(y + i));
            Store<TNt>(dst + i + 2, Vector128.LoadAligned(x + i + 2) + s * Vector128.LoadAligned(y + i + 2));
            Store<TNt>(dst + i + 4, Vector128.LoadAligned(x + i + 4) + s * Vector128.LoadAligned(y + i + 4));
            Store<TNt>(dst + i + 6, Vector128.LoadAligned(x + i + 6) + s * Vector128.LoadAligned(y + i + 6));
        }
        for (; i < n; i++) dst[i] = x[i] + Scalar * y[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Read128(double* src, nint n)
    {
        Vector128<double> s0 = default, s1 = default, s2 = default, s3 = default;
        nint i = 0;
        for (; i <= n - 8; i += 8)
        {
            s0 += Vector128.LoadAligned(src + i);
            s1 += Vector128.LoadAligned(src + i + 2);
            s2 += Vector128.LoadAligned(src + i + 4);
            s3 += Vector128.LoadAligned(src + i + 6);
        }
        double sum = Vector128.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) sum += src[i];
        return sum;
    }

    // Scalar: what any CPU runs; the read sum in four chains, like the vector ones.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double RunScalar(StreamKernel kernel, double* a, double* b, double* c, nint n)
    {
        switch (kernel)
        {
            case StreamKernel.Copy:
                for (nint i = 0; i < n; i++) c[i] = a[i];
                return 0;
            case StreamKernel.Scale:
                for (nint i = 0; i < n; i++) b[i] = Scalar * c[i];
                return 0;
            case StreamKernel.Add:
                for (nint i = 0; i < n; i++) c[i] = a[i] + b[i];
                return 0;
            case StreamKernel.Triad:
                for (nint i = 0; i < n; i++) a[i] = b[i] + Scalar * c[i];
                return 0;
            default:
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                nint j = 0;
                for (; j <= n - 4; j += 4)
                {
                    s0 += a[j];
                    s1 += a[j + 1];
                    s2 += a[j + 2];
                    s3 += a[j + 3];
                }
                double sum = (s0 + s1) + (s2 + s3);
                for (; j < n; j++) sum += a[j];
                return sum;
        }
    }
}
