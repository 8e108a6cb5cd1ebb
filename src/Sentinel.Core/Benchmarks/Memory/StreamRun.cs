using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Sentinel.Benchmarks.Memory;

/// <summary>What a STREAM run measured.</summary>
internal sealed class StreamOutcome
{
    /// <summary>Seconds per kernel (index = <see cref="StreamKernel"/>) per timed repetition (the warm-up left out).</summary>
    public required double[][] Seconds { get; init; }
    /// <summary>Bytes of the three arrays backed by huge pages after the run (null: unknown).</summary>
    public long? HugePageBytes { get; init; }
    /// <summary>Bytes allocated for the three arrays (whole huge pages).</summary>
    public long AllocatedBytes { get; init; }
}

/// <summary>
/// One STREAM run, OpenMP style: <see cref="Threads"/> dedicated threads, each owning one contiguous slice of
/// every array (whole cache lines), first-touching it and streaming it in every kernel. The calling thread is
/// thread 0 and keeps the time: a kernel's time runs from its release of the other threads to the moment the
/// last of them is done (a fork and a join), as STREAM times its parallel loops. One untimed warm-up
/// repetition (STREAM skips its first iteration too), then <see cref="Repetitions"/> timed ones, then the
/// arrays are checked. Cancellation is seen before each kernel; the threads stop and the memory is freed
/// before <see cref="Execute"/> returns or throws. Everything on the timed path is compiled fully optimised at
/// first call: no tier-0 code and no tiering recompilation on a CPU the run needs.
/// </summary>
internal sealed unsafe class StreamRun
{
    private const int Stop = -1;
    private const int Init = -2;
    private static int s_liveThreads;

    public required int Threads { get; init; }
    public required long Elements { get; init; }
    public required int Repetitions { get; init; }
    public required VectorWidth Width { get; init; }
    public required bool NonTemporal { get; init; }
    public bool HugePages { get; init; } = true;
    /// <summary>Called on thread 0 before each kernel, outside the timed region: (repetition, 0 = warm-up; kernel).</summary>
    public Action<int, StreamKernel>? BeforeKernel { get; init; }

    /// <summary>Worker threads (besides thread 0) alive in the process now; tests check a run leaves none behind.</summary>
    public static int LiveThreads => Volatile.Read(ref s_liveThreads);

    private static readonly StreamKernel[] Kernels = [StreamKernel.Copy, StreamKernel.Scale, StreamKernel.Add, StreamKernel.Triad, StreamKernel.Read];

    private double* _a, _b, _c;
    private volatile int _command;
    private SpinBarrier _go = null!, _done = null!;
    private double[] _sums = [];
    private Exception? _failure;

    /// <summary>Thread <paramref name="t"/>'s slice: whole cache lines, the last thread also takes the remainder.</summary>
    public static (long Lo, long Hi) Slice(long n, int t, int threads)
    {
        long chunk = n / threads / 8 * 8;
        return (chunk * t, t == threads - 1 ? n : chunk * (t + 1));
    }

    public StreamOutcome Execute(CancellationToken cancellationToken)
    {
        long bytes = Elements * sizeof(double);
        NativeBuffer? a = null, b = null, c = null;
        var workers = new List<Thread>();
        _go = new SpinBarrier(Threads);
        _done = new SpinBarrier(Threads);
        _sums = new double[Threads * 8]; // a cache line per thread: no false sharing
        try
        {
            a = new NativeBuffer(bytes, HugePages);
            b = new NativeBuffer(bytes, HugePages);
            c = new NativeBuffer(bytes, HugePages);
            _a = a.Doubles;
            _b = b.Doubles;
            _c = c.Doubles;
            for (int t = 1; t < Threads; t++)
            {
                var thread = new Thread(Worker) { IsBackground = true, Name = $"sentinel-stream-{t}" };
                Interlocked.Increment(ref s_liveThreads);
                try
                {
                    thread.Start(t);
                }
                catch
                {
                    Interlocked.Decrement(ref s_liveThreads);
                    throw;
                }
                workers.Add(thread);
            }

            cancellationToken.ThrowIfCancellationRequested();
            Command(Init);
            var seconds = Kernels.Select(_ => new double[Repetitions]).ToArray();
            for (int rep = 0; rep <= Repetitions; rep++)
            {
                foreach (var kernel in Kernels)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    BeforeKernel?.Invoke(rep, kernel);
                    long t0 = Stopwatch.GetTimestamp();
                    Command((int)kernel);
                    long t1 = Stopwatch.GetTimestamp();
                    if (rep > 0)
                    {
                        seconds[(int)kernel][rep - 1] = (double)(t1 - t0) / Stopwatch.Frequency;
                    }
                }
            }

            double sum = 0;
            for (int t = 0; t < Threads; t++) sum += _sums[t * 8];
            if (StreamCheck.Verify(_a, _b, _c, Elements, Repetitions + 1, sum) is { } error)
            {
                throw new InvalidOperationException(error);
            }
            long allocated = a.Length * 3;
            long? huge = HugePages
                ? NativeBuffer.HugePageBytes(a.Pointer, a.Length) + NativeBuffer.HugePageBytes(b.Pointer, b.Length) + NativeBuffer.HugePageBytes(c.Pointer, c.Length)
                : 0;
            return new StreamOutcome { Seconds = seconds, HugePageBytes = huge, AllocatedBytes = allocated };
        }
        finally
        {
            _command = Stop;
            _go.Abort();
            _done.Abort();
            foreach (var thread in workers) thread.Join();
            _a = _b = _c = null;
            a?.Dispose();
            b?.Dispose();
            c?.Dispose();
        }
    }

    /// <summary>Thread 0: hands out <paramref name="command"/>, does its own slice, waits for the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Command(int command)
    {
        _command = command;
        if (!_go.SignalAndWait()) throw Failed();
        Do(command, 0);
        if (!_done.SignalAndWait()) throw Failed();
    }

    private Exception Failed() => new InvalidOperationException("a benchmark thread failed: " + _failure?.Message, _failure);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Worker(object? state)
    {
        int t = (int)state!;
        try
        {
            while (_go.SignalAndWait())
            {
                int command = _command;
                if (command == Stop) break;
                Do(command, t);
                if (!_done.SignalAndWait()) break;
            }
        }
        catch (Exception e)
        {
            _failure ??= e;
            _go.Abort();
            _done.Abort();
        }
        finally
        {
            Interlocked.Decrement(ref s_liveThreads);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Do(int command, int t)
    {
        var (lo, hi) = Slice(Elements, t, Threads);
        if (command == Init)
        {
            // First touch by the thread that streams the slice: its pages come from that thread's NUMA node.
            for (long j = lo; j < hi; j++)
            {
                _a[j] = 1.0;
                _b[j] = 2.0;
                _c[j] = 0.0;
            }
            return;
        }
        double sum = StreamKernels.Run((StreamKernel)command, Width, NonTemporal, _a, _b, _c, lo, hi);
        if (command == (int)StreamKernel.Read)
        {
            _sums[t * 8] = sum;
        }
    }
}
