using System.Collections.Concurrent;
using Sentinel.Commands;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Agent;

/// <summary>
/// The agent's side of remote commands: each "command" frame is checked against the owner's allow-list here, on the
/// machine, whatever the master allowed; an allowed one runs (a few at a time) with its output streamed back as
/// command-output frames and its end as a command-result frame. A refused one gets a command-result saying why.
/// </summary>
internal sealed class AgentCommands(CommandPolicy policy, Action<byte[]> send, Action<string> log, TimeProvider time)
{
    /// <summary>Commands running at once on one agent; more are refused until one ends.</summary>
    public const int MaxRunning = 4;

    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Cancel, Task Task)> _running = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public void Start(CommandMessage command, CancellationToken stopping)
    {
        var id = command.Id ?? "";
        if (id.Length is 0 or > 100)
        {
            log("command frame without a usable id ignored");
            return;
        }
        var decision = policy.Decide(command.Command);
        if (!decision.Allowed)
        {
            log($"command {id}: refused: {decision.Refused}");
            Result(new CommandResultMessage { Id = id, Refused = decision.Refused });
            return;
        }
        var timeout = double.IsFinite(command.TimeoutSeconds) && command.TimeoutSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(command.TimeoutSeconds, MaxTimeout.TotalSeconds)) : TimeSpan.FromSeconds(60);
        lock (_lock)
        {
            if (_running.ContainsKey(id)) return; // the same command again: it is already under way
            if (_running.Count >= MaxRunning)
            {
                Result(new CommandResultMessage { Id = id, Error = $"this agent is already running {MaxRunning} commands; try again when one ends" });
                return;
            }
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            log($"command {id}: running '{command.Command}' (allowed by '{decision.Pattern}')");
            var task = Task.Run(async () =>
            {
                var outcome = await CommandRunner.RunAsync(decision.Argv!, timeout,
                    (stream, text) => send(Frames.Write(MessageTypes.CommandOutput, new CommandOutputMessage { Id = id, Stream = stream, Text = text },
                        SentinelJsonContext.Default.CommandOutputMessage)),
                    time, cancel.Token).ConfigureAwait(false);
                log($"command {id}: {(outcome.Error is { } e ? e : $"exited with {outcome.ExitCode}")}");
                Result(new CommandResultMessage
                {
                    Id = id, ExitCode = outcome.ExitCode, DurationSeconds = outcome.Duration.TotalSeconds, TimedOut = outcome.TimedOut,
                    Truncated = outcome.Truncated, Error = outcome.Error,
                });
                lock (_lock) _running.TryRemove(id, out _);
                cancel.Dispose();
            }, CancellationToken.None);
            _running[id] = (cancel, task);
        }
    }

    public void Cancel(string id)
    {
        if (_running.TryGetValue(id ?? "", out var r))
        {
            try { r.Cancel.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// The connection to the master was lost: what runs is killed (process tree and all), because the master has failed those
    /// parts and their output has nowhere to go. Their results are still queued and sent after a reconnect (the master drops them).
    /// </summary>
    public void CancelAll()
    {
        foreach (var r in _running.Values)
        {
            try { r.Cancel.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Kills what is running and waits (briefly) for the results to be queued.</summary>
    public async Task StopAsync(TimeSpan wait)
    {
        var all = _running.Values.ToList();
        foreach (var r in all)
        {
            try { r.Cancel.Cancel(); } catch (ObjectDisposedException) { }
        }
        if (all.Count > 0)
        {
            await Task.WhenAny(Task.WhenAll(all.Select(r => r.Task)), Task.Delay(wait, time)).ConfigureAwait(false);
        }
    }

    private void Result(CommandResultMessage result) => send(Frames.Write(MessageTypes.CommandResult, result, SentinelJsonContext.Default.CommandResultMessage));
}
