using System.Collections.Concurrent;
using System.Text.Json;
using Sentinel.Benchmarks;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Agent;

/// <summary>
/// The agent's side of benchmark jobs: runs one benchmark at a time on "run", stops it on "cancel",
/// and queues progress and result frames for whatever connection is up. A result stays queued until it
/// has been sent, so a run that ends while the master is unreachable still reports when it comes back.
/// </summary>
internal sealed class AgentJobs(Func<BenchmarkContext> contextFor, string machine, Commands.CommandPolicy commands, Action wake, Action<string> log, TimeProvider time)
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentQueue<byte[]> _outbox = new();
    private readonly object _lock = new();
    private readonly Action _wake = wake;
    private Running? _current;

    private sealed record Running(string JobId, CancellationTokenSource Cancel, Task Task);

    /// <summary>Frames waiting to be sent: peek, send, then <see cref="Sent"/>.</summary>
    public bool TryPeek(out byte[] frame) => _outbox.TryPeek(out frame!);

    public void Sent() => _outbox.TryDequeue(out _);

    /// <summary>Queues another frame (a command's output or result) behind what is waiting.</summary>
    public void Enqueue(byte[] frame)
    {
        _outbox.Enqueue(frame);
        _wake();
    }

    /// <summary>The job running now, if any.</summary>
    public string? CurrentJob
    {
        get
        {
            lock (_lock) return _current is { Task.IsCompleted: false } c ? c.JobId : null;
        }
    }

    public void Start(RunRequest run, CancellationToken stopping)
    {
        lock (_lock)
        {
            if (_current is { Task.IsCompleted: false } busy)
            {
                if (busy.JobId != run.JobId) // a repeated run of the same job (after a reconnect) is already under way
                {
                    Finish(Failed(run, $"this machine is already running job {busy.JobId}"));
                }
                return;
            }
            var benchmark = BenchmarkCatalog.Find(run.Benchmark);
            if (benchmark is null)
            {
                Finish(Failed(run, $"this agent has no benchmark '{run.Benchmark}' (it has {string.Join(", ", BenchmarkCatalog.Names)})"));
                return;
            }
            if (benchmark is CommandBenchmark && CommandBenchmark.LineOf(run.Parameters) is var line && commands.Decide(line) is { Allowed: false } refused)
            {
                Finish(Failed(run, CommandBenchmark.RefusedPrefix + refused.Refused));
                return;
            }
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var progress = new Throttled(this, run.JobId, time);
            var baseContext = contextFor();
            var context = new BenchmarkContext
            {
                Inventory = baseContext.Inventory, Master = baseContext.Master, Token = baseContext.Token, Trust = baseContext.Trust, Time = baseContext.Time,
                Parameters = new BenchmarkParameters(run.Parameters), Progress = progress,
            };
            log($"job {run.JobId}: running {benchmark.Name}");
            // A thread of its own: the pre-run checks and some benchmarks block, and the agent's sampling and
            // sending must not wait behind them for a pool thread.
            var task = Task.Factory.StartNew(async () =>
            {
                var result = await BenchmarkRunner.RunAsync(benchmark, context, machine, run.JobId, cancel.Token).ConfigureAwait(false);
                log($"job {run.JobId}: {benchmark.Name} {result.State.ToString().ToLowerInvariant()}{(result.Error is { } e ? ": " + e : "")}");
                Finish(result);
                cancel.Dispose();
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            _current = new Running(run.JobId, cancel, task);
        }
    }

    public void Cancel(string jobId)
    {
        lock (_lock)
        {
            if (_current is { Task.IsCompleted: false } c && c.JobId == jobId)
            {
                try { c.Cancel.Cancel(); } catch (ObjectDisposedException) { }
            }
        }
    }

    /// <summary>Cancels the running job and waits (briefly) for it to clean up.</summary>
    public async Task StopAsync(TimeSpan wait)
    {
        Running? c;
        lock (_lock) c = _current;
        if (c is null || c.Task.IsCompleted) return;
        try { c.Cancel.Cancel(); } catch (ObjectDisposedException) { }
        await Task.WhenAny(c.Task, Task.Delay(wait, time)).ConfigureAwait(false);
    }

    private BenchmarkResult Failed(RunRequest run, string error) => new()
    {
        Benchmark = run.Benchmark, Machine = machine, JobId = run.JobId, State = BenchmarkState.Failed, Error = error,
        StartedAt = time.GetUtcNow(), FinishedAt = time.GetUtcNow(), Parameters = run.Parameters,
    };

    private void Finish(BenchmarkResult result)
    {
        var frame = Frames.Write(MessageTypes.Result, new ResultReport { JobId = result.JobId!, Result = result }, SentinelJsonContext.Default.ResultReport);
        if (frame.Length > ProtocolLimits.MaxAgentFrameBytes - 4096)
        {
            // A chatty command: keep the end of its output (where the summary usually is), within the frame limit.
            const int Keep = 256 << 10;
            var output = result.Output is { Length: > Keep } o ? "[output truncated to its last 256 KiB]\n" + o[^Keep..] : result.Output;
            result = result with
            {
                Output = output,
                Data = null,
                Warnings = [.. result.Warnings, $"the result was {frame.Length / 1024} KiB, over the {ProtocolLimits.MaxAgentFrameBytes / 1024} KiB frame limit: output cut, JSON data dropped"],
            };
            frame = Frames.Write(MessageTypes.Result, new ResultReport { JobId = result.JobId!, Result = result }, SentinelJsonContext.Default.ResultReport);
        }
        _outbox.Enqueue(frame);
        _wake();
    }

    /// <summary>Progress frames at most every 250 ms, plus the first and the last.</summary>
    private sealed class Throttled(AgentJobs jobs, string jobId, TimeProvider time) : IProgress<BenchmarkProgress>
    {
        private long _last = long.MinValue;

        public void Report(BenchmarkProgress value)
        {
            long now = time.GetTimestamp();
            long last = Interlocked.Read(ref _last);
            if (value.Fraction < 1 && last != long.MinValue && time.GetElapsedTime(last, now) < ProgressEvery) return;
            Interlocked.Exchange(ref _last, now);
            jobs._outbox.Enqueue(Frames.Write(MessageTypes.Progress, new ProgressReport { JobId = jobId, Fraction = value.Fraction, Stage = value.Stage },
                SentinelJsonContext.Default.ProgressReport));
            jobs._wake();
        }
    }
}
