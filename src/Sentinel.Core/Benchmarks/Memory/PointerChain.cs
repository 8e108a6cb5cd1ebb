using System.Runtime.CompilerServices;

namespace Sentinel.Benchmarks.Memory;

/// <summary>How the chain orders the cache lines it visits.</summary>
internal enum ChainKind
{
    /// <summary>One random cyclic permutation of all lines: no prefetcher can follow it, and with huge pages the TLB covers it.</summary>
    Random,
    /// <summary>
    /// Pages (4 KiB) in random order, the lines of each page in random order before the next page (lmbench style):
    /// one TLB miss per 64 loads instead of one per load without huge pages, but a CPU with region prefetchers
    /// (AMD Zen, recent Intel) fetches the rest of a page ahead and the figure drops well below the memory's latency.
    /// </summary>
    Page,
}

/// <summary>
/// A pointer-chasing chain: one pointer per 64-byte cache line, each holding the address of the next line in a
/// random cyclic order, so every load depends on the one before and the time per load is the memory's latency.
/// The order comes from a fixed-seed splitmix64 and a Fisher-Yates shuffle; bench/c/pointer_chase.c builds the
/// very same chain from the same seed, so the C reference and this code chase identical addresses.
/// </summary>
internal static unsafe class PointerChain
{
    public const int LineBytes = 64;
    public const int PageBytes = 4096;
    public const int LinesPerPage = PageBytes / LineBytes;
    public const ulong Seed = 0x5E471E1C0FFEE;

    /// <summary>splitmix64 (Steele, Lea, Flood), and an index below n by multiply-shift (Lemire).</summary>
    internal struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public ulong Below(ulong n) => Math.BigMul(Next(), n, out _);
    }

    /// <summary>
    /// Links the lines of [buffer, buffer + bytes) into one cycle in <paramref name="kind"/> order and returns the
    /// first line. <paramref name="scratch"/> holds at least bytes / 64 entries (random) or bytes / 4096 (page).
    /// <paramref name="bytes"/> is a multiple of 4096.
    /// </summary>
    public static nint Build(byte* buffer, long bytes, ChainKind kind, uint* scratch, ulong seed = Seed)
    {
        var rng = new SplitMix64(seed);
        long lines = bytes / LineBytes;
        if (kind == ChainKind.Random)
        {
            Shuffle(scratch, lines, ref rng);
            byte* first = buffer + (long)scratch[0] * LineBytes;
            byte* prev = first;
            for (long k = 1; k < lines; k++)
            {
                byte* line = buffer + (long)scratch[k] * LineBytes;
                *(byte**)prev = line;
                prev = line;
            }
            *(byte**)prev = first;
            return (nint)first;
        }
        else
        {
            long pages = bytes / PageBytes;
            Shuffle(scratch, pages, ref rng);
            uint* inPage = stackalloc uint[LinesPerPage];
            byte* first = null, prev = null;
            for (long p = 0; p < pages; p++)
            {
                byte* page = buffer + (long)scratch[p] * PageBytes;
                Shuffle(inPage, LinesPerPage, ref rng);
                for (int l = 0; l < LinesPerPage; l++)
                {
                    byte* line = page + inPage[l] * LineBytes;
                    if (first == null) first = line;
                    else *(byte**)prev = line;
                    prev = line;
                }
            }
            *(byte**)prev = first;
            return (nint)first;
        }
    }

    /// <summary>Builds in <paramref name="buffer"/> and returns the first line's offset, for safe code.</summary>
    public static long Build(NativeBuffer buffer, long bytes, ChainKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, buffer.Length);
        var scratch = new uint[bytes / LineBytes];
        fixed (uint* s = scratch)
        {
            return Build(buffer.Pointer, bytes, kind, s) - (nint)buffer.Pointer;
        }
    }

    /// <summary>The line offsets the chain from <paramref name="start"/> visits until it comes back (at most <paramref name="max"/>).</summary>
    public static List<long> Walk(NativeBuffer buffer, long start, long max)
    {
        var offsets = new List<long>();
        byte* p = buffer.Pointer + start;
        do
        {
            offsets.Add(p - buffer.Pointer);
            p = *(byte**)p;
        } while (p != buffer.Pointer + start && offsets.Count < max);
        return offsets;
    }

    /// <summary>0..n-1 in random order: Fisher-Yates from the top, j = Below(i + 1).</summary>
    private static void Shuffle(uint* order, long n, ref SplitMix64 rng)
    {
        for (long i = 0; i < n; i++) order[i] = (uint)i;
        for (long i = n - 1; i > 0; i--)
        {
            long j = (long)rng.Below((ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>
    /// Follows the chain from <paramref name="p"/> for <paramref name="loads"/> loads (rounded down to a multiple
    /// of 16) and returns where it stopped. Sixteen dependent loads a step: the loop counter runs beside the
    /// chain, off its critical path. Fully optimised from the first call (no tier-0 code keeping p on the stack).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static nint Chase(nint p, long loads)
    {
        for (long i = loads >> 4; i > 0; i--)
        {
            p = *(nint*)p; p = *(nint*)p; p = *(nint*)p; p = *(nint*)p;
            p = *(nint*)p; p = *(nint*)p; p = *(nint*)p; p = *(nint*)p;
            p = *(nint*)p; p = *(nint*)p; p = *(nint*)p; p = *(nint*)p;
            p = *(nint*)p; p = *(nint*)p; p = *(nint*)p; p = *(nint*)p;
        }
        return p;
    }
}
