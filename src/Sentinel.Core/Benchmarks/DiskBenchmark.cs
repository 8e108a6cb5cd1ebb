using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sentinel.Collectors.Linux;

namespace Sentinel.Benchmarks;

/// <summary>
/// Sequential write then read throughput and random 4 KiB read and write IOPS of a test file in a folder.
/// The page cache is bypassed where the OS allows: O_DIRECT on Linux (unbuffered on Windows), else fsync and
/// "drop these pages" advice (posix_fadvise DONTNEED) between and during phases; which one was used is the
/// <c>cacheBypass</c> parameter of the result (direct, fadvise or none). Writes are timed up to and including
/// an fsync. <c>queueDepth</c> threads keep that many I/Os outstanding in every phase. The test file is removed
/// whatever happens: success, failure or cancellation.
/// </summary>
public sealed class DiskBenchmark : IBenchmark
{
    private const int RandomBlock = 4096;
    private const int Alignment = 4096;
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    /// <summary>Tests: skip O_DIRECT, as on a file system that refuses it.</summary>
    internal bool NoDirectIo { get; init; }

    /// <summary>Tests: the free bytes in a folder (null when unknown).</summary>
    internal Func<string, long?> FreeSpace { get; init; } = FreeBytes;

    /// <summary>Tests: called as each phase starts, with its name (write, read, random read, random write).</summary>
    internal Action<string>? BeforePhase { get; init; }

    public string Name => "Disk";

    public string Description => "Sequential write and read throughput (writeMBs, readMBs; 1 MB = 1,000,000 bytes) and random 4 KiB read and write IOPS of a test file in a folder, bypassing the page cache where the OS allows.";

    public IReadOnlyList<BenchmarkParameterInfo> Parameters { get; } =
    [
        new("path", "the system temp folder", "Folder to test in; a test file is created there and always removed."),
        new("fileBytes", "1G", "Size of the test file; cut to 80% of the free space (with a warning) when there is less."),
        new("blockBytes", "1M", "Size of each sequential read and write (a multiple of 4K)."),
        new("randomSeconds", "10", "Seconds each random 4 KiB phase (reads, then writes) runs; 0 skips them."),
        new("queueDepth", "1", "I/Os kept outstanding at once (one thread each)."),
        new("randomWrite", "true", "Also measure random 4 KiB writes."),
    ];

    public async Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        p.RefuseUnknown(Name, Parameters);
        var folderText = p.String("path", Path.GetTempPath());
        long fileBytes = p.Bytes("fileBytes", 1L << 30, 64 << 10);
        long blockBytes = p.Bytes("blockBytes", 1 << 20, Alignment, 1L << 30);
        double randomSeconds = p.Double("randomSeconds", 10, 0, 86400);
        int queueDepth = p.Int("queueDepth", 1, 1, 256);
        bool randomWrite = p.Bool("randomWrite", true);
        if (blockBytes % Alignment != 0)
        {
            throw new BenchmarkParameterException("blockBytes", p.Text("blockBytes")!, "a multiple of 4K (unbuffered I/O needs whole 4 KiB blocks)");
        }
        if (!Directory.Exists(folderText))
        {
            throw new BenchmarkParameterException("path", folderText, "an existing folder");
        }
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folderText));
        cancellationToken.ThrowIfCancellationRequested();

        var warnings = new List<string>();
        long requested = fileBytes;
        long? free = FreeSpace(folder);
        if (free is { } f && fileBytes > f * 8 / 10)
        {
            fileBytes = f * 8 / 10;
        }
        if (fileBytes < blockBytes)
        {
            blockBytes = Math.Max(Alignment, fileBytes / Alignment * Alignment);
        }
        fileBytes = fileBytes / blockBytes * blockBytes;
        if (fileBytes < RandomBlock)
        {
            throw new IOException($"not enough free space in {folder} for a test file ({Units.Bytes(free ?? 0)} free)");
        }
        if (fileBytes < requested && free is not null)
        {
            warnings.Add($"Only {Units.Bytes(free.Value)} free in {folder}: the test file is {Units.Bytes(fileBytes)} instead of {Units.Bytes(requested)}.");
        }

        var fsType = FileSystemType(folder);
        var file = Path.Combine(folder, $"sentinel-disk-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        var values = new Dictionary<string, double>();
        var spread = new Dictionary<string, BenchmarkSpread>();
        Bypass bypass = Bypass.None;
        try
        {
            SafeFileHandle handle;
            (handle, bypass) = Open(file, fsType, NoDirectIo, warnings);
            using (handle)
            {
                var io = new Io(handle, bypass, fileBytes, blockBytes, queueDepth, context, cancellationToken);
                await Task.Factory.StartNew(() =>
                {
                    bool random = randomSeconds > 0;
                    double seqShare = random ? 0.5 : 1.0;

                    BeforePhase?.Invoke("write");
                    Record("writeMBs", io.Sequential(write: true, 0, seqShare * 0.6), 1e6);
                    io.DropCache();
                    BeforePhase?.Invoke("read");
                    Record("readMBs", io.Sequential(write: false, seqShare * 0.6, seqShare), 1e6);
                    io.DropCache();

                    if (random)
                    {
                        var duration = TimeSpan.FromSeconds(randomSeconds);
                        BeforePhase?.Invoke("random read");
                        var rr = io.RandomPhase(write: false, duration, 0.5, randomWrite ? 0.75 : 1.0);
                        Record("randomReadIops", rr, 1);
                        values["randomReadLatencyUs"] = rr.MeanLatencyUs;
                        if (randomWrite)
                        {
                            BeforePhase?.Invoke("random write");
                            var rw = io.RandomPhase(write: true, duration, 0.75, 1.0);
                            Record("randomWriteIops", rw, 1);
                            values["randomWriteLatencyUs"] = rw.MeanLatencyUs;
                        }
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        finally
        {
            TryDelete(file);
        }

        if (bypass == Bypass.None && !warnings.Any(w => w.Contains("page cache", StringComparison.Ordinal)))
        {
            warnings.Add("The page cache could not be bypassed here: reads may come from memory and the figures be too high.");
        }

        return new BenchmarkResult
        {
            Benchmark = Name,
            Machine = context.Inventory.HostName,
            Values = values,
            Spread = spread,
            Warnings = warnings,
            Parameters = new Dictionary<string, string>
            {
                ["path"] = folder,
                ["fileBytes"] = fileBytes.ToString(CultureInfo.InvariantCulture),
                ["blockBytes"] = blockBytes.ToString(CultureInfo.InvariantCulture),
                ["randomSeconds"] = randomSeconds.ToString(CultureInfo.InvariantCulture),
                ["queueDepth"] = queueDepth.ToString(CultureInfo.InvariantCulture),
                ["randomWrite"] = randomWrite ? "true" : "false",
                ["cacheBypass"] = bypass.ToString().ToLowerInvariant(),
                ["fileSystem"] = fsType ?? "unknown",
            },
        };

        void Record(string key, PhaseResult r, double unit)
        {
            values[key] = r.PerSecond / unit;
            if (r.Windows.Count >= 2)
            {
                spread[key] = BenchmarkSpread.Of(r.Windows.Select(w => w / unit).ToList());
            }
        }
    }

    internal enum Bypass { Direct, Fadvise, None }

    private static void TryDelete(string file)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                File.Delete(file);
                return;
            }
            catch (IOException) when (attempt < 2)
            {
                Thread.Sleep(50);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file-system type of the mount holding <paramref name="folder"/> (Linux), or null.</summary>
    internal static string? FileSystemType(string folder, string root = "/")
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var mounts = ProcParsers.ParseMountInfo(File.ReadAllBytes(Path.Combine(root, "proc/self/mountinfo")));
            MountEntry? best = null;
            foreach (var m in mounts)
            {
                var mp = m.MountPoint.TrimEnd('/');
                bool under = mp.Length == 0 || folder == mp || folder.StartsWith(mp + "/", StringComparison.Ordinal);
                if (under && (best is null || m.MountPoint.Length >= best.MountPoint.Length)) best = m;
            }
            return best?.FsType;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static (SafeFileHandle, Bypass) Open(string file, string? fsType, bool noDirect, List<string> warnings)
    {
        if (fsType is "tmpfs" or "ramfs")
        {
            warnings.Add($"The folder is on {fsType}, which lives in memory: the figures measure RAM, not a disk, and no page cache can be bypassed.");
            return (File.OpenHandle(file, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None), Bypass.None);
        }
        if (OperatingSystem.IsLinux())
        {
            if (!noDirect && DiskNative.DirectFlag is { } direct)
            {
                int fd = DiskNative.Open(file, DiskNative.O_RDWR | DiskNative.O_CREAT | DiskNative.O_EXCL | DiskNative.O_CLOEXEC | direct, 0x180 /* 0600 */);
                if (fd >= 0)
                {
                    return (new SafeFileHandle(fd, ownsHandle: true), Bypass.Direct);
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno != DiskNative.EINVAL)
                {
                    throw new IOException($"could not create {file}: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
                warnings.Add($"The file system here ({fsType ?? "unknown"}) refuses O_DIRECT: using fsync and posix_fadvise(DONTNEED) to keep the page cache out instead.");
            }
            // Some kernels create the file before refusing O_DIRECT: open whatever is there.
            return (File.OpenHandle(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), Bypass.Fadvise);
        }
        if (OperatingSystem.IsWindows())
        {
            const FileOptions NoBuffering = (FileOptions)0x20000000; // FILE_FLAG_NO_BUFFERING
            return (File.OpenHandle(file, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, NoBuffering | FileOptions.WriteThrough), Bypass.Direct);
        }
        warnings.Add("This OS offers no page-cache bypass here: reads may come from memory and the figures be too high.");
        return (File.OpenHandle(file, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None), Bypass.None);
    }

    private sealed record PhaseResult(double PerSecond, IReadOnlyList<double> Windows, double MeanLatencyUs);

    /// <summary>The phases over one open test file.</summary>
    private sealed class Io(SafeFileHandle handle, Bypass bypass, long fileBytes, long blockBytes, int queueDepth, BenchmarkContext context, CancellationToken cancellationToken)
    {
        private volatile bool _failed;

        /// <summary>Whether workers should go on: not cancelled, and no worker has failed.</summary>
        private bool Go => !_failed && !cancellationToken.IsCancellationRequested;

        public void DropCache()
        {
            if (bypass == Bypass.Fadvise)
            {
                DiskNative.Fsync(handle);
                DiskNative.DontNeed(handle, 0, 0);
            }
        }

        private void Flush()
        {
            if (OperatingSystem.IsLinux()) DiskNative.Fsync(handle);
        }

        /// <summary>Writes (or reads) the whole file in blocks; bytes per second, writes including the final fsync.</summary>
        public PhaseResult Sequential(bool write, double from, double to)
        {
            long blocks = fileBytes / blockBytes;
            long next = -1, done = 0;
            string what = write ? "sequential write" : "sequential read";
            return Run(
                worker: _ =>
                {
                    using var buffer = new AlignedBuffer((int)blockBytes);
                    if (write) Random.Shared.NextBytes(buffer.Span);
                    long i;
                    while (Go && (i = Interlocked.Increment(ref next)) < blocks)
                    {
                        if (write) RandomAccess.Write(handle, buffer.Span, i * blockBytes);
                        else ReadFully(buffer.Span, i * blockBytes);
                        Interlocked.Add(ref done, blockBytes);
                    }
                    return (0, 0);
                },
                finish: write ? Flush : null,
                progress: () => Volatile.Read(ref done),
                fraction: d => (double)d / fileBytes,
                stage: d => $"{what}, {d >> 20} of {fileBytes >> 20} MiB",
                from, to);
        }

        /// <summary>Random 4 KiB reads (or writes) for <paramref name="duration"/>; I/Os per second, writes including the final fsync.</summary>
        public PhaseResult RandomPhase(bool write, TimeSpan duration, double from, double to)
        {
            long slots = fileBytes / RandomBlock;
            long ops = 0;
            long end = 0;
            string what = write ? "random 4 KiB writes" : "random 4 KiB reads";
            var clock = Stopwatch.StartNew();
            return Run(
                worker: index =>
                {
                    using var buffer = new AlignedBuffer(RandomBlock);
                    if (write) Random.Shared.NextBytes(buffer.Span);
                    ulong rng = (ulong)Stopwatch.GetTimestamp() ^ ((ulong)(index + 1) * 0x9E3779B97F4A7C15UL);
                    long deadline = Interlocked.CompareExchange(ref end, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency), 0);
                    if (deadline == 0) deadline = Volatile.Read(ref end);
                    long count = 0, ticks = 0;
                    while (Go)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        if (t0 >= deadline) break;
                        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                        long offset = (long)(rng % (ulong)slots) * RandomBlock;
                        if (write)
                        {
                            BitConverter.TryWriteBytes(buffer.Span, count); // no two writes alike
                            RandomAccess.Write(handle, buffer.Span, offset);
                        }
                        else
                        {
                            ReadFully(buffer.Span, offset);
                            if (bypass == Bypass.Fadvise) DiskNative.DontNeed(handle, offset, RandomBlock);
                        }
                        ticks += Stopwatch.GetTimestamp() - t0;
                        count++;
                        Interlocked.Increment(ref ops);
                    }
                    return (count, ticks);
                },
                finish: write ? Flush : null,
                progress: () => Volatile.Read(ref ops),
                fraction: _ => clock.Elapsed / duration,
                stage: _ => $"{what}, {Math.Min(clock.Elapsed.TotalSeconds, duration.TotalSeconds):0} of {duration.TotalSeconds:0.#} s",
                from, to);
        }

        private void ReadFully(Span<byte> buffer, long offset)
        {
            int got = 0;
            while (got < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer[got..], offset + got);
                if (n <= 0) throw new IOException($"the test file ended early, at {offset + got} bytes");
                got += n;
            }
        }

        /// <summary>
        /// Runs <c>queueDepth</c> worker threads, watching them every 100 ms for progress and the per-window rate.
        /// The result is the count from <paramref name="progress"/> per second, from the start until the last
        /// worker ends plus the time <paramref name="finish"/> (an fsync) takes.
        /// </summary>
        private PhaseResult Run(Func<int, (long Ops, long Ticks)> worker, Action? finish, Func<long> progress,
            Func<long, double> fraction, Func<long, string> stage, double from, double to)
        {
            var results = new (long Ops, long Ticks)[queueDepth];
            Exception? failure = null;
            long lastEnd = 0;
            using var allDone = new CountdownEvent(queueDepth);
            var threads = new Thread[queueDepth];
            context.Report(from, stage(0));
            long start = Stopwatch.GetTimestamp();
            for (int t = 0; t < queueDepth; t++)
            {
                int index = t;
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        results[index] = worker(index);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref failure, e, null);
                        _failed = true;
                    }
                    finally
                    {
                        long now = Stopwatch.GetTimestamp(), seen;
                        while ((seen = Volatile.Read(ref lastEnd)) < now && Interlocked.CompareExchange(ref lastEnd, now, seen) != seen)
                        {
                        }
                        allDone.Signal();
                    }
                })
                { IsBackground = true, Name = $"sentinel-disk-{index}" };
                threads[t].Start();
            }

            var windows = new List<double>();
            long windowStart = start, windowCount = 0;
            while (!allDone.Wait(100))
            {
                long now = Stopwatch.GetTimestamp(), count = progress();
                var span = Stopwatch.GetElapsedTime(windowStart, now);
                if (span >= Window)
                {
                    windows.Add((count - windowCount) / span.TotalSeconds);
                    windowStart = now;
                    windowCount = count;
                }
                context.Report(from + (to - from) * Math.Clamp(fraction(count), 0, 1), stage(count));
            }
            foreach (var t in threads) t.Join();
            if (failure is not null)
            {
                throw new IOException(failure.Message, failure);
            }
            cancellationToken.ThrowIfCancellationRequested();
            double seconds = Stopwatch.GetElapsedTime(start, lastEnd).TotalSeconds;
            if (finish is not null)
            {
                long f0 = Stopwatch.GetTimestamp();
                finish();
                seconds += Stopwatch.GetElapsedTime(f0).TotalSeconds;
            }
            long total = progress();
            long ops = results.Sum(r => r.Ops), ticks = results.Sum(r => r.Ticks);
            double latencyUs = ops > 0 ? ticks * 1e6 / Stopwatch.Frequency / ops : 0;
            context.Report(to, stage(total));
            return new PhaseResult(total / Math.Max(seconds, 1e-9), windows, latencyUs);
        }
    }

    /// <summary>A buffer aligned for unbuffered I/O, from native memory.</summary>
    private sealed unsafe class AlignedBuffer(int length) : IDisposable
    {
        private void* _memory = NativeMemory.AlignedAlloc((nuint)length, Alignment);

        public Span<byte> Span => new(_memory, length);

        public void Dispose()
        {
            NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}

/// <summary>The few libc calls .NET does not expose: open with O_DIRECT, fsync, posix_fadvise.</summary>
internal static partial class DiskNative
{
    public const int O_RDWR = 0x2, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000, EINVAL = 22;
    private const int POSIX_FADV_DONTNEED = 4;

    /// <summary>O_DIRECT for this CPU architecture (it differs), or null where it is not known here.</summary>
    public static int? DirectFlag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => null,
    };

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int fd, long offset, long length, int advice);

    public static void Fsync(SafeFileHandle handle)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (FsyncFd((int)handle.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fsync failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Advises the kernel to drop the file's cached pages in the range (length 0: to the end).</summary>
    public static void DontNeed(SafeFileHandle handle, long offset, long length)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = Fadvise((int)handle.DangerousGetHandle(), offset, length, POSIX_FADV_DONTNEED);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }
}
