using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sentinel.Commands;

/// <summary>How a command ended.</summary>
public sealed record CommandOutcome(int? ExitCode, TimeSpan Duration, bool TimedOut, bool Truncated, string? Error);

/// <summary>
/// Starts argv directly (no shell: ProcessStartInfo.ArgumentList), streams what it prints, keeps the first
/// <see cref="OutputCapBytes"/> of each stream and drops the rest (ending that stream with a marker line), and on timeout
/// or cancellation kills the whole process tree.
/// </summary>
public static class CommandRunner
{
    /// <summary>How much of each stream (stdout, stderr) of one command on one machine is kept: the first 1 MiB.</summary>
    public const int OutputCapBytes = 1 << 20;

    /// <summary>Output is passed on at least this often while a command prints (a first piece after a quiet spell at once), in pieces of about <see cref="ChunkBytes"/> at most.</summary>
    public static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(100);

    public const int ChunkBytes = 32 << 10;

    /// <summary>The marker line that ends a stream cut at the cap.</summary>
    public static string TruncationMarker(string stream, long dropped) =>
        $"\n[sentinel: {stream} truncated: its first {OutputCapBytes >> 20} MiB was kept, {dropped.ToString(CultureInfo.InvariantCulture)} more bytes were dropped]\n";

    /// <summary>
    /// Runs <paramref name="argv"/> with <paramref name="timeout"/>. <paramref name="output"/> gets (stream, text) pieces as they come,
    /// from a pool thread, never two at once. Throws nothing for a program that cannot start: the outcome says so.
    /// </summary>
    public static async Task<CommandOutcome> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, Action<string, string> output,
        TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        var psi = new ProcessStartInfo
        {
            FileName = argv[0],
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        long started = time.GetTimestamp();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new CommandOutcome(null, time.GetElapsedTime(started), false, false, $"could not start '{argv[0]}': {e.Message}");
        }
        try
        {
            process.StandardInput.Close(); // a command that reads its input sees the end at once
        }
        catch (IOException)
        {
        }
        var sink = new Sink(output, time);
        var readOut = Drain(process.StandardOutput.BaseStream, sink, "stdout");
        var readErr = Drain(process.StandardError.BaseStream, sink, "stderr");
        bool timedOut = false;
        string? error = null;
        using (var deadline = new CancellationTokenSource(timeout, time))
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token))
        {
            try
            {
                await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                timedOut = !cancellationToken.IsCancellationRequested;
                error = timedOut ? $"did not finish within {Durations.Format(timeout)}; it and every process it started were killed" : "cancelled; it and every process it started were killed";
            }
        }
        await EndAsync(process, readOut, readErr).ConfigureAwait(false);
        var duration = time.GetElapsedTime(started);
        bool truncated = sink.Finish();
        int? exitCode = process.HasExited ? process.ExitCode : null;
        return new CommandOutcome(exitCode, duration, timedOut, truncated, error);
    }

    private static async Task Drain(Stream stream, Sink sink, string name)
    {
        var buffer = new byte[16 * 1024];
        var decoder = new UTF8Encoding(false).GetDecoder();
        var chars = new char[buffer.Length + 4];
        long kept = 0, dropped = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                int take = (int)Math.Min(n, OutputCapBytes - kept);
                if (take > 0)
                {
                    int c = decoder.GetChars(buffer, 0, take, chars, 0, flush: false);
                    sink.Add(name, chars.AsSpan(0, c));
                    kept += take;
                }
                dropped += n - take; // read and thrown away, so the program never blocks on a full pipe
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe was closed under us after the process ended: what was read is kept.
        }
        int last = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        if (last > 0) sink.Add(name, chars.AsSpan(0, last));
        if (dropped > 0) sink.Truncated(name, dropped);
    }

    /// <summary>Waits for the process and its output, but not for grandchildren that keep the pipes open.</summary>
    internal static async Task EndAsync(Process process, Task readOut, Task readErr)
    {
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        var both = Task.WhenAll(readOut, readErr);
        if (await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false) != both)
        {
            process.StandardOutput.BaseStream.Dispose();
            process.StandardError.BaseStream.Dispose();
            await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
    }

    /// <summary>Kills a process and everything it started; parts already gone are fine.</summary>
    internal static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (Win32Exception)
        {
            // Part of the tree was gone or not ours; the rest was signalled.
        }
    }

    /// <summary>Gathers both streams' text and passes it on in pieces: at once after a quiet spell, else when a piece is big or <see cref="FlushEvery"/> after it began.</summary>
    private sealed class Sink(Action<string, string> output, TimeProvider time)
    {
        private readonly object _lock = new();
        private readonly StringBuilder _text = new();
        private string? _stream;
        private ITimer? _timer;
        private bool _truncated;
        private long _lastFlush;

        public void Add(string stream, ReadOnlySpan<char> text)
        {
            lock (_lock)
            {
                if (_stream is not null && _stream != stream) FlushLocked();
                _stream = stream;
                _text.Append(text);
                // The first piece after a quiet spell goes at once (a prompt first line); a burst is gathered for up to FlushEvery.
                if (_text.Length >= ChunkBytes || _lastFlush == 0 || time.GetElapsedTime(_lastFlush) >= FlushEvery) FlushLocked();
                else _timer ??= time.CreateTimer(_ => { lock (_lock) FlushLocked(); }, null, FlushEvery, Timeout.InfiniteTimeSpan);
            }
        }

        public void Truncated(string stream, long dropped)
        {
            lock (_lock)
            {
                _truncated = true;
                Add(stream, TruncationMarker(stream, dropped));
            }
        }

        /// <summary>Passes on what is left; true when a stream was cut.</summary>
        public bool Finish()
        {
            lock (_lock)
            {
                FlushLocked();
                return _truncated;
            }
        }

        private void FlushLocked()
        {
            _timer?.Dispose();
            _timer = null;
            if (_text.Length == 0 || _stream is null) return;
            var text = _text.ToString();
            _text.Clear();
            _lastFlush = time.GetTimestamp();
            output(_stream, text);
        }
    }
}
