using System.Runtime.InteropServices;

namespace Sentinel.Bench;

/// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), so other threads and processes do not count.</summary>
internal static partial class ThreadCpu
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec ts);

    private const int ClockThreadCpuTime = 3;

    public static double Microseconds()
    {
        ClockGetTime(ClockThreadCpuTime, out var ts);
        return ts.Seconds * 1e6 + ts.Nanoseconds / 1e3;
    }
}
