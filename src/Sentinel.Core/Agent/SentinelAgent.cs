using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Sentinel.Collectors;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Agent;

/// <summary>
/// An agent: samples this machine every interval, keeps each sample until the master acks that it is
/// on disk, and connects out to the master over WebSocket, reconnecting with capped exponential backoff
/// and full jitter for as long as it runs. After a reconnect it replays what the master has not stored.
/// </summary>
public sealed class SentinelAgent : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly ISampleSource _source;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly SampleBuffer _buffer;
    private readonly SemaphoreSlim _newData = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly string _bootId = Guid.NewGuid().ToString("N");
    private readonly bool _ownsSource;
    private Task? _sampling, _connection;
    private long _seq, _acked;
    /// <summary>When anything last came from the master on the current connection (a timestamp of <see cref="_time"/>).</summary>
    private long _lastHeard;
    private int _connects;
    private volatile bool _connected;
    /// <summary>Set before the goodbye: from then on the connection loop must not reconnect.</summary>
    private volatile bool _stopping;
    private volatile string? _lastError;
    private ClientWebSocket? _ws;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly AgentJobs _jobs;
    private readonly AgentCommands _commands;
    private readonly Commands.CommandPolicy _policy;
    private readonly Security.MasterCertificateCheck _certificates;

    public static string Version { get; } = (typeof(SentinelAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0").Split('+')[0];

    /// <param name="options">Where to connect and what to say.</param>
    /// <param name="source">Samples; this machine's <see cref="Sampler"/> by default (then owned and disposed by the agent).</param>
    /// <param name="time">Clock and timers.</param>
    /// <param name="random">Jitter source (tests seed it).</param>
    public SentinelAgent(AgentOptions options, ISampleSource? source = null, TimeProvider? time = null, Random? random = null)
    {
        if (AgentOptions.IntervalProblem(options.Interval) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "interval: " + problem);
        }
        // Both before anything starts: a token must never leave in clear text, and a bad CA file or pin is a mistake to say at once.
        if (options.Trust.ClearTextProblem(options.Master, options.Token is not null) is { } clear)
        {
            throw new ArgumentException(clear, nameof(options));
        }
        _certificates = options.Trust.CreateCheck();
        _options = options;
        _ownsSource = source is null;
        _source = source ?? Sampler.ForThisMachine(time);
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        _policy = new Commands.CommandPolicy(options.AllowCommands);
        _buffer = new SampleBuffer(options.Capacity);
        _jobs = new AgentJobs(() => new Benchmarks.BenchmarkContext { Inventory = _source.Inventory, Master = _options.Master, Token = _options.Token, Trust = _options.Trust, Time = _time },
            _options.Name, _policy, () => _newData.Release(), Log, _time);
        _commands = new AgentCommands(_policy, _jobs.Enqueue, Log, _time);
    }

    public AgentOptions Options => _options;

    public AgentStatus Status => new()
    {
        Name = _options.Name,
        Master = _options.Master,
        Connected = _connected,
        BootId = _bootId,
        SamplesTaken = Interlocked.Read(ref _seq),
        AckedSeq = Interlocked.Read(ref _acked),
        Buffered = _buffer.Count,
        Dropped = _buffer.Dropped,
        Connects = Volatile.Read(ref _connects),
        LastError = _lastError,
    };

    /// <summary>Starts sampling and connecting in the background.</summary>
    public void Start()
    {
        _ = _source.Inventory; // read the inventory before the first hello needs it
        _sampling = Task.Run(() => SampleLoop(_stopSampling.Token));
        _connection = Task.Run(() => ConnectionLoop(_stop.Token));
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires, then says goodbye.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Start();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await StopAsync().ConfigureAwait(false);
    }

    private void Log(string line) => _options.Log?.Invoke(line);

    // ---------------------------------------------------------------------------------------------

    private async Task SampleLoop(CancellationToken ct)
    {
        long next = _time.GetTimestamp();
        var interval = _options.Interval;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_source.Next() is { } sample)
                {
                    long seq = Interlocked.Increment(ref _seq);
                    var json = JsonSerializer.SerializeToUtf8Bytes(new SequencedSample { Seq = seq, Sample = sample }, SentinelJsonContext.Default.SequencedSample);
                    _buffer.Add(seq, json);
                    _newData.Release();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                _lastError = "sampling failed: " + e.Message;
            }
            // Keep a steady cadence: the next tick is one interval after the last, not after the work.
            next += (long)(interval.TotalSeconds * _time.TimestampFrequency);
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), next);
            if (wait <= TimeSpan.Zero)
            {
                next = _time.GetTimestamp(); // fell behind (suspended, overloaded): do not burst to catch up
                wait = interval;
                next += (long)(interval.TotalSeconds * _time.TimestampFrequency);
            }
            try
            {
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ConnectionLoop(CancellationToken ct)
    {
        int attempt = 0;
        while (!ct.IsCancellationRequested && !_stopping)
        {
            // Full jitter even before the first try after a loss, so a restarted master is not hit by every agent at once.
            if (attempt > 0 || _connects > 0)
            {
                try
                {
                    await Task.Delay(Backoff.Delay(attempt, _options.ReconnectBase, _options.ReconnectCap, _random), _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            attempt++;
            try
            {
                if (await SessionAsync(ct).ConfigureAwait(false))
                {
                    attempt = 0;
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or FrameException or JsonException or TimeoutException)
            {
                if (ct.IsCancellationRequested) return;
                var message = e is FrameException fe ? $"{fe.Code}: {fe.Message}"
                    : _certificates.LastRefusal is { } refused ? "the master's certificate was refused: " + refused
                    : e.Message;
                if (_lastError != message)
                {
                    Log($"agent '{_options.Name}': connection to {_options.Master} failed: {message}");
                }
                _lastError = message;
            }
            finally
            {
                if (_connected)
                {
                    Log($"agent '{_options.Name}': disconnected from {_options.Master}; {_buffer.Count} samples held");
                }
                _connected = false;
            }
        }
    }

    /// <summary>One connection, from hello to loss. True when the master welcomed the agent and did not ask it to come back later.</summary>
    private async Task<bool> SessionAsync(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        _certificates.Reset();
        ws.Options.RemoteCertificateValidationCallback = _certificates.Validate;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            await ws.ConnectAsync(_options.AgentEndpoint, connectTimeout.Token).ConfigureAwait(false);
        }
        var reader = new WebSocketReader(ws, ProtocolLimits.MaxAgentFrameBytes);
        await SendAsync(ws, Frames.Write(MessageTypes.Hello, new Hello
        {
            Name = _options.Name,
            Token = _options.Token,
            BootId = _bootId,
            HostId = _options.HostId,
            AgentVersion = Version,
            IntervalSeconds = _options.Interval.TotalSeconds,
            Inventory = _source.Inventory,
            Tags = _options.Tags,
            Capabilities = [Capabilities.Benchmarks, Capabilities.Ping, Capabilities.Commands],
            MasterUrl = _options.Master.ToString(),
        }, SentinelJsonContext.Default.Hello), ct).ConfigureAwait(false);

        Welcome welcome;
        using (var welcomeTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            welcomeTimeout.CancelAfter(TimeSpan.FromSeconds(15));
            var kind = await reader.ReceiveAsync(welcomeTimeout.Token).ConfigureAwait(false);
            if (kind != FrameKind.Text)
            {
                throw new WebSocketException($"the master closed the connection before welcoming ({ws.CloseStatus} {ws.CloseStatusDescription})");
            }
            var env = Frames.Read(reader.Message.Span);
            if (env.Type == MessageTypes.Error)
            {
                var error = env.Read(SentinelJsonContext.Default.ErrorMessage, ErrorCodes.BadEnvelope);
                throw new FrameException(error.Code, error.Message);
            }
            if (env.Type != MessageTypes.Welcome)
            {
                throw new FrameException(ErrorCodes.UnknownType, $"expected welcome, got '{env.Type}'");
            }
            welcome = env.Read(SentinelJsonContext.Default.Welcome, ErrorCodes.BadEnvelope);
        }
        Acked(welcome.AckedSeq);
        Interlocked.Increment(ref _connects);
        _connected = true;
        _lastError = null;
        _ws = ws;
        Log($"agent '{_options.Name}': connected to {_options.Master} (master {welcome.MasterVersion}); {_buffer.Count} samples to send");

        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Volatile.Write(ref _lastHeard, _time.GetTimestamp());
        var receiving = Task.Run(() => ReceiveLoop(ws, reader, session.Token));
        var watching = Task.Run(() => Watchdog(ws, session.Token));
        try
        {
            await SendLoop(ws, session.Token, receiving).ConfigureAwait(false);
        }
        finally
        {
            _ws = null;
            session.Cancel();
            _commands.CancelAll();
            try { await receiving.ConfigureAwait(false); } catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { }
            try { await watching.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        // 1013 "try again later" (the master's store is struggling): keep backing off instead of starting over.
        return ws.CloseStatus != (WebSocketCloseStatus)1013;
    }

    private async Task ReceiveLoop(ClientWebSocket ws, WebSocketReader reader, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var kind = await reader.ReceiveAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _lastHeard, _time.GetTimestamp());
            if (kind != FrameKind.Text)
            {
                _lastError = kind == FrameKind.Close ? $"master closed the connection ({ws.CloseStatus} {ws.CloseStatusDescription})" : $"unexpected {kind} frame";
                return;
            }
            Envelope env;
            try
            {
                env = Frames.Read(reader.Message.Span);
            }
            catch (FrameException e)
            {
                Log($"agent '{_options.Name}': bad frame from master: {e.Message}");
                continue;
            }
            try
            {
                switch (env.Type)
                {
                    case MessageTypes.Ack:
                        Acked(env.Read(SentinelJsonContext.Default.Ack, ErrorCodes.BadEnvelope).Seq);
                        break;
                    case MessageTypes.Run:
                        _jobs.Start(env.Read(SentinelJsonContext.Default.RunRequest, ErrorCodes.BadEnvelope), _stop.Token);
                        break;
                    case MessageTypes.Cancel:
                        _jobs.Cancel(env.Read(SentinelJsonContext.Default.CancelRequest, ErrorCodes.BadEnvelope).JobId);
                        break;
                    case MessageTypes.Command:
                        _commands.Start(env.Read(SentinelJsonContext.Default.CommandMessage, ErrorCodes.BadEnvelope), _stop.Token);
                        break;
                    case MessageTypes.CommandCancel:
                        _commands.Cancel(env.Read(SentinelJsonContext.Default.CommandCancelMessage, ErrorCodes.BadEnvelope).Id);
                        break;
                    case MessageTypes.Ping:
                        var ping = env.Read(SentinelJsonContext.Default.PingMessage, ErrorCodes.BadEnvelope);
                        await SendAsync(ws, Frames.Write(MessageTypes.Pong, new PingMessage { Id = ping.Id }, SentinelJsonContext.Default.PingMessage), ct).ConfigureAwait(false);
                        break;
                    case MessageTypes.Error:
                        var error = env.Read(SentinelJsonContext.Default.ErrorMessage, ErrorCodes.BadEnvelope);
                        _lastError = $"{error.Code}: {error.Message}";
                        Log($"agent '{_options.Name}': master says {error.Code}: {error.Message}");
                        break;
                }
            }
            catch (FrameException e)
            {
                Log($"agent '{_options.Name}': bad {env.Type} frame from master: {e.Message}");
            }
        }
    }

    /// <summary>
    /// A link that went silent (a cable pulled, a partition, a master frozen) sends no reset: TCP would keep the
    /// connection for many minutes and retransmit on its own slow schedule after the link heals. So while samples
    /// wait for an ack and the master has said nothing at all (no ack, no ping) for <see cref="AgentOptions.MasterSilenceTimeout"/>,
    /// the connection is dropped and a new one is dialled, which replays what is unacked. A live master pings every
    /// 10 s even when it is not acking (store full), so it is never dropped for being slow.
    /// </summary>
    private async Task Watchdog(ClientWebSocket ws, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, ct).ConfigureAwait(false);
            var silent = _time.GetElapsedTime(Volatile.Read(ref _lastHeard));
            if (silent > _options.MasterSilenceTimeout && _buffer.Count > 0)
            {
                _lastError = $"the master said nothing for {silent.TotalSeconds:0} s with {_buffer.Count} samples unacked; reconnecting";
                Log($"agent '{_options.Name}': {_lastError}");
                ws.Abort(); // ends a send stuck on a full socket buffer, and the receive
                return;
            }
        }
    }

    private async Task SendLoop(ClientWebSocket ws, CancellationToken ct, Task receiving)
    {
        long sentUpTo = Interlocked.Read(ref _acked);
        // "No ack for a while" is measured from the last time the ack moved while something was outstanding,
        // not from the last send: during live sampling something is sent every interval.
        long ackSeen = sentUpTo;
        long waitingSince = _time.GetTimestamp();
        while (!ct.IsCancellationRequested && !receiving.IsCompleted && ws.State == WebSocketState.Open)
        {
            long acked = Interlocked.Read(ref _acked);
            if (acked != ackSeen || sentUpTo <= acked)
            {
                ackSeen = acked;
                waitingSince = _time.GetTimestamp();
            }
            else if (_time.GetElapsedTime(waitingSince) > _options.AckTimeout)
            {
                sentUpTo = acked; // the master may have dropped them (store busy, disk full): send again from the ack
                waitingSince = _time.GetTimestamp();
                Log($"agent '{_options.Name}': no ack for {_options.AckTimeout.TotalSeconds:0} s; resending after seq {acked}");
            }
            // Job frames first: they are few and small, and an operator is watching them.
            while (_jobs.TryPeek(out var jobFrame))
            {
                await SendAsync(ws, jobFrame, ct).ConfigureAwait(false);
                _jobs.Sent();
            }
            var batch = _buffer.TakeAfter(Math.Max(sentUpTo, acked), ProtocolLimits.TargetBatchBytes);
            if (batch.Count > 0)
            {
                await SendAsync(ws, BatchFrame(batch), ct).ConfigureAwait(false);
                sentUpTo = batch[^1].Seq;
                continue; // more may be waiting (a replay)
            }
            // Woken by each new sample; the timeout bounds how late an ack-timeout resend can start.
            await _newData.WaitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
    }

    private static byte[] BatchFrame(List<(long Seq, byte[] Json)> batch)
    {
        var head = "{\"v\":1,\"type\":\"samples\",\"data\":{\"samples\":["u8;
        var tail = "]}}"u8;
        int size = head.Length + tail.Length + batch.Sum(b => b.Json.Length + 1);
        var frame = new byte[size];
        int at = 0;
        head.CopyTo(frame);
        at += head.Length;
        for (int i = 0; i < batch.Count; i++)
        {
            if (i > 0) frame[at++] = (byte)',';
            batch[i].Json.CopyTo(frame, at);
            at += batch[i].Json.Length;
        }
        tail.CopyTo(frame.AsSpan(at));
        return frame.AsSpan(0, at + tail.Length).ToArray();
    }

    private async Task SendAsync(ClientWebSocket ws, byte[] frame, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await ws.SendAsync(frame, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void Acked(long seq)
    {
        long current;
        while ((current = Interlocked.Read(ref _acked)) < seq && Interlocked.CompareExchange(ref _acked, seq, current) != current)
        {
        }
        _buffer.AckUpTo(seq);
    }

    /// <summary>
    /// Stops sampling, gives the master a moment to ack what it has, says goodbye (so the master marks
    /// the machine offline at once) and closes.
    /// </summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_stop.IsCancellationRequested || _stopping) return;
        _stopping = true;
        await Task.WhenAll(_jobs.StopAsync(TimeSpan.FromSeconds(2)), _commands.StopAsync(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        // No new samples from here on, so "everything acked" is a state that can be reached.
        _stopSampling.Cancel();
        if (_sampling is not null)
        {
            try { await _sampling.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        _newData.Release();
        var ws = _ws;
        if (ws is not null && _connected)
        {
            // Slurm's scancel and systemd give a few seconds after SIGTERM: use at most one for the last acks.
            var deadline = _time.GetTimestamp() + (long)((grace ?? TimeSpan.FromSeconds(1)).TotalSeconds * _time.TimestampFrequency);
            while (_buffer.Count > 0 && _time.GetTimestamp() < deadline && _connected)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), _time).ConfigureAwait(false);
            }
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await SendAsync(ws, Frames.Write(MessageTypes.Goodbye, new Goodbye { Reason = "agent stopping" }, SentinelJsonContext.Default.Goodbye), timeout.Token).ConfigureAwait(false);
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "goodbye", timeout.Token).ConfigureAwait(false);
                // The master closes its side only after it has marked the machine offline: wait for that, briefly.
                if (_connection is not null)
                {
                    await Task.WhenAny(_connection, Task.Delay(TimeSpan.FromSeconds(1), _time)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
        _stop.Cancel();
        if (_connection is not null)
        {
            try { await _connection.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        Log($"agent '{_options.Name}': stopped ({_buffer.Count} samples not acked)");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_ownsSource && _source is IDisposable d)
        {
            d.Dispose();
        }
    }
}
