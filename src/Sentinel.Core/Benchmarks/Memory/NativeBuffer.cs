using System.Globalization;
using System.Runtime.InteropServices;
using Sentinel.Collectors.Linux;

namespace Sentinel.Benchmarks.Memory;

/// <summary>
/// Native memory for the memory benchmarks: aligned to 2 MiB (a huge page), rounded up to whole huge pages,
/// and on Linux madvise(MADV_HUGEPAGE)'d so transparent huge pages back it when the kernel allows
/// (THP "always" or "madvise"). Outside the GC, so nothing moves it and no GC scans it. Dispose frees it.
/// </summary>
internal sealed unsafe partial class NativeBuffer : IDisposable
{
    public const long HugePage = 2L << 20;
    private static long s_outstanding;

    private void* _pointer;

    /// <summary>Bytes held by buffers not yet disposed, over the whole process (tests check runs free theirs).</summary>
    public static long Outstanding => Interlocked.Read(ref s_outstanding);

    /// <summary>The start, aligned to <see cref="HugePage"/>.</summary>
    public byte* Pointer => (byte*)_pointer;
    /// <summary>The usable length: what was asked for, rounded up to whole huge pages.</summary>
    public long Length { get; }
    /// <summary>True when madvise(MADV_HUGEPAGE) was asked for and accepted.</summary>
    public bool HugePagesAdvised { get; }

    public NativeBuffer(long bytes, bool hugePages)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        Length = (bytes + HugePage - 1) / HugePage * HugePage;
        try
        {
            _pointer = NativeMemory.AlignedAlloc((nuint)Length, (nuint)HugePage);
        }
        catch (OutOfMemoryException)
        {
            throw new OutOfMemoryException($"cannot allocate {Units.Bytes(Length)} for the benchmark's arrays");
        }
        Interlocked.Add(ref s_outstanding, Length);
        if (hugePages && OperatingSystem.IsLinux())
        {
            HugePagesAdvised = madvise(_pointer, (nuint)Length, MadvHugePage) == 0;
        }
    }

    public double* Doubles => (double*)_pointer;

    /// <summary>The first <paramref name="count"/> doubles, for safe code (tests).</summary>
    public Span<double> AsDoubles(int count) => new(_pointer, Math.Min(count, checked((int)(Length / sizeof(double)))));

    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            Interlocked.Add(ref s_outstanding, -Length);
        }
    }

    /// <summary>
    /// How many bytes of [start, start+length) the kernel backs with huge pages now (AnonHugePages of the
    /// mappings overlapping it in /proc/self/smaps, clipped to the range); null when not on Linux or unreadable.
    /// </summary>
    public static long? HugePageBytes(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            ulong lo = (ulong)start, hi = lo + (ulong)length;
            long total = 0;
            bool inRange = false;
            ulong mapLo = 0, mapHi = 0;
            foreach (var line in File.ReadLines("/proc/self/smaps"))
            {
                int dash = line.IndexOf('-');
                int space = line.IndexOf(' ');
                if (dash > 0 && space > dash && IsHex(line.AsSpan(0, dash)))
                {
                    mapLo = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    mapHi = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    inRange = mapLo < hi && mapHi > lo;
                }
                else if (inRange && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.AsSpan(14).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    // A mapping larger than the range (allocator slack) counts for at most the overlap.
                    long overlap = (long)(Math.Min(hi, mapHi) - Math.Max(lo, mapLo));
                    total += Math.Min(kb * 1024, overlap);
                }
            }
            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        return s.Length > 0;
    }

    /// <summary>
    /// The result's hugePages parameter and any warning: "false" when not asked for; "true" when at least half of
    /// <paramref name="total"/> bytes got huge pages; "unavailable" (with a warning on Linux) when they did not or
    /// the OS has no madvise; "unknown" when /proc/self/smaps could not be read.
    /// </summary>
    public static (string Value, string? Warning) HugePageState(bool asked, long? backed, long total, string what, string consequence)
    {
        if (!asked) return ("false", null);
        if (!OperatingSystem.IsLinux()) return ("unavailable", null);
        if (backed is not { } b) return ("unknown", null);
        if (b >= total / 2) return ("true", null);
        return ("unavailable",
            $"huge pages asked for but {Units.Bytes(b)} of the {Units.Bytes(total)} {what} got them (transparent huge pages: {TransparentHugePagesMode() ?? "unknown"}): {consequence}");
    }

    /// <summary>What the kernel does with transparent huge pages ("always", "madvise", "never"), or null.</summary>
    public static string? TransparentHugePagesMode()
    {
        try
        {
            // "always [madvise] never": the bracketed one is in force.
            var text = File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled");
            int open = text.IndexOf('['), close = text.IndexOf(']');
            return open >= 0 && close > open ? text[(open + 1)..close] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Memory a run may take without pushing the machine into reclaim: MemAvailable on Linux, bounded by what the
    /// runtime sees as the limit (a cgroup limit in a container); elsewhere half of the runtime's limit.
    /// </summary>
    public static long AvailableBytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var info = ProcParsers.ParseMemInfo(File.ReadAllBytes("/proc/meminfo"));
                if (info.Available > 0)
                {
                    return limit > 0 ? Math.Min(info.Available, limit) : info.Available;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return limit > 0 ? limit / 2 : 1L << 30;
    }

    private const int MadvHugePage = 14;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(void* address, nuint length, int advice);
}
