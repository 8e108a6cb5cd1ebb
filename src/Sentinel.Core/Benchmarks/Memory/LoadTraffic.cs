namespace Sentinel.Benchmarks.Memory;

/// <summary>What the load threads of a loaded-latency run do.</summary>
internal enum LoadKind
{
    /// <summary>Sum their buffer (all reads).</summary>
    Read,
    /// <summary>Copy one half of their buffer to the other (one read, one write).</summary>
    Copy,
}

/// <summary>
/// Background traffic for loaded latency (as MLC's --loaded_latency): threads that stream through their own
/// buffers, away from the chain, until disposed, counting the bytes they move the STREAM way (read: 8 per
/// element, copy: 16). Each thread allocates and first-touches its own buffer and frees it when it stops.
/// </summary>
internal sealed unsafe class LoadTraffic : IDisposable
{
    private const long ChunkElements = 1 << 17; // 1 MiB of doubles between counter updates

    private readonly List<Thread> _threads = [];
    private readonly long[] _bytes;
    private volatile bool _stop;
    private Exception? _failure;

    /// <summary>Bytes moved by all load threads so far.</summary>
    public long Bytes
    {
        get
        {
            long sum = 0;
            for (int t = 0; t < _threads.Count; t++) sum += Volatile.Read(ref _bytes[t * 8]);
            return sum;
        }
    }

    /// <summary>Starts <paramref name="threads"/> threads, each streaming <paramref name="bytesPerThread"/>; returns once all stream.</summary>
    public LoadTraffic(int threads, long bytesPerThread, LoadKind kind, VectorWidth width, bool hugePages)
    {
        _bytes = new long[threads * 8];
        using var ready = new CountdownEvent(threads);
        long elements = bytesPerThread / sizeof(double) / 16 * 16;
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            var thread = new Thread(() => Stream(index, elements, kind, width, hugePages, ready)) { IsBackground = true, Name = $"sentinel-load-{t}" };
            thread.Start();
            _threads.Add(thread);
        }
        ready.Wait();
        if (_failure is { } e)
        {
            Dispose();
            throw new InvalidOperationException("a load thread failed: " + e.Message, e);
        }
    }

    private void Stream(int index, long elements, LoadKind kind, VectorWidth width, bool hugePages, CountdownEvent ready)
    {
        NativeBuffer? buffer = null;
        bool signalled = false;
        try
        {
            buffer = new NativeBuffer(elements * sizeof(double), hugePages);
            double* a = buffer.Doubles;
            for (long j = 0; j < elements; j++) a[j] = 1.0;
            ready.Signal();
            signalled = true;

            long half = elements / 2;
            double* source = a, target = a + half;
            var kernel = kind == LoadKind.Read ? StreamKernel.Read : StreamKernel.Copy;
            long span = kind == LoadKind.Read ? elements : half;
            long perElement = StreamKernels.BytesPerElement(kernel);
            double sink = 0;
            while (!_stop)
            {
                for (long lo = 0; lo < span && !_stop; lo += ChunkElements)
                {
                    long hi = Math.Min(span, lo + ChunkElements);
                    // Read sums a; copy writes c = a: a is the source half, c the target half.
                    sink += StreamKernels.Run(kernel, width, false, source, null, target, lo, hi);
                    Volatile.Write(ref _bytes[index * 8], _bytes[index * 8] + (hi - lo) * perElement);
                }
            }
            GC.KeepAlive(sink);
        }
        catch (Exception e)
        {
            _failure ??= e;
        }
        finally
        {
            buffer?.Dispose();
            if (!signalled) ready.Signal();
        }
    }

    public void Dispose()
    {
        _stop = true;
        foreach (var thread in _threads) thread.Join();
    }
}
