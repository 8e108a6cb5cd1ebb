using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Sentinel.Json;
using Sentinel.Master.Storage;
using Sentinel.Protocol;

namespace Sentinel.Master;

/// <summary>
/// One agent's WebSocket on /ws/agent: hello, then samples until goodbye or disconnect. Receiving runs
/// on one task and sending on another (a WebSocket allows one send at a time); acks from the store
/// coalesce to the highest sequence number, so a slow agent never piles up ack frames.
/// </summary>
internal sealed class AgentConnection : IStoreAck
{
    private readonly WebSocket _ws;
    private readonly MasterContext _ctx;
    private readonly string _remote;
    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
    // Run and cancel frames: never dropped (a lost run would leave its part running forever), sent first.
    private readonly System.Collections.Concurrent.ConcurrentQueue<byte[]> _control = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _closing = new();
    // A WebSocket allows one send at a time: the send loop and CloseAsync take turns.
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private MachineEntry? _entry;
    // Why the connection ended, for the connection history (goodbye, or the close code the master sent).
    private string? _closeReason;
    // The ping in flight: its id and when it was sent (monotonic ticks); 0 when none.
    private long _pingId, _pingSentTicks;
    private long _bootRow;
    private long _pendingAck, _sentAck;
    private int _errors;

    public AgentConnection(WebSocket ws, string remote, MasterContext ctx)
    {
        _ws = ws;
        _remote = remote;
        _ctx = ctx;
    }

    public string? Name => _entry?.Name;

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closing.Token);
        var sender = Task.Run(() => SendLoop(linked.Token));
        try
        {
            await ReceiveLoop(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or System.Net.HttpListenerException)
        {
        }
        finally
        {
            Detach(goodbye: false);
            _closing.Cancel();
            _wake.Release();
            try { await sender.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException) { }
            await DrainAsync().ConfigureAwait(false);
            _ws.Dispose();
        }
    }


    private async Task ReceiveLoop(CancellationToken ct)
    {
        var reader = new WebSocketReader(_ws, ProtocolLimits.MaxAgentFrameBytes);
        while (true)
        {
            var receive = reader.ReceiveAsync(ct);
            if (_entry is null)
            {
                // Cancelling a pending receive would abort the socket before the error could be sent: race a timer instead.
                var timeout = Task.Delay(_ctx.Options.HelloTimeout, _ctx.Time, ct);
                if (await Task.WhenAny(receive, timeout).ConfigureAwait(false) != receive)
                {
                    await CloseAsync(WebSocketCloseStatus.PolicyViolation, ErrorCodes.HelloRequired,
                        $"no hello within {_ctx.Options.HelloTimeout.TotalSeconds} s").ConfigureAwait(false);
                    return;
                }
            }
            var kind = await receive.ConfigureAwait(false);
            switch (kind)
            {
                case FrameKind.Close:
                    await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye").ConfigureAwait(false);
                    return;
                case FrameKind.TooLarge:
                    Interlocked.Increment(ref _ctx.FramesRejected);
                    await CloseAsync(WebSocketCloseStatus.MessageTooBig, ErrorCodes.FrameTooLarge,
                        $"frames are limited to {ProtocolLimits.MaxAgentFrameBytes} bytes").ConfigureAwait(false);
                    return;
                case FrameKind.Binary:
                    Interlocked.Increment(ref _ctx.FramesRejected);
                    await CloseAsync(WebSocketCloseStatus.InvalidMessageType, ErrorCodes.BinaryFrame, "only text frames carry the protocol").ConfigureAwait(false);
                    return;
            }
            if (!await HandleAsync(reader.Message, ct).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>
    /// After the master closed, reads and discards what the peer still sends until its close arrives, so the
    /// peer sees the close frame instead of a TCP reset. Bounded by time and bytes.
    /// </summary>
    private async Task DrainAsync()
    {
        if (_ws.State != WebSocketState.CloseSent)
        {
            return;
        }
        var scratch = new byte[64 * 1024];
        long budget = 4L * ProtocolLimits.MaxAgentFrameBytes;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (budget > 0 && _ws.State == WebSocketState.CloseSent)
            {
                var r = await _ws.ReceiveAsync(scratch, timeout.Token).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) return;
                budget -= r.Count;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Handles one text frame; false ends the connection.</summary>
    private async Task<bool> HandleAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        Envelope env;
        try
        {
            env = Frames.Read(frame.Span);
            if (_entry is null)
            {
                if (env.Type != MessageTypes.Hello)
                {
                    throw new FrameException(ErrorCodes.HelloRequired, $"the first frame must be a hello, not '{env.Type}'");
                }
                return await HelloAsync(SampleValidation.Normalize(env.Read(SentinelJsonContext.Default.Hello, ErrorCodes.BadHello)), ct).ConfigureAwait(false);
            }
            switch (env.Type)
            {
                case MessageTypes.Samples:
                    return await SamplesAsync(env.Read(SentinelJsonContext.Default.SampleBatch, ErrorCodes.BadSample)).ConfigureAwait(false);
                case MessageTypes.Progress:
                    _ctx.Fleet.Touch(_entry);
                    _ctx.Jobs.Progress(_entry.Name, env.Read(SentinelJsonContext.Default.ProgressReport, ErrorCodes.BadResult));
                    return true;
                case MessageTypes.Result:
                    _ctx.Fleet.Touch(_entry);
                    var report = env.Read(SentinelJsonContext.Default.ResultReport, ErrorCodes.BadResult);
                    if (report.Result is null)
                    {
                        throw new FrameException(ErrorCodes.BadResult, "'result' is missing");
                    }
                    if (!_ctx.Jobs.Result(_entry.Name, report))
                    {
                        _ctx.Log($"agent '{_entry.Name}': result for job {Truncate(report.JobId)} ignored (that part is no longer running here)");
                    }
                    return true;
                case MessageTypes.CommandOutput:
                    _ctx.Fleet.Touch(_entry);
                    _ctx.Commands.Output(_entry.Name, env.Read(SentinelJsonContext.Default.CommandOutputMessage, ErrorCodes.BadResult));
                    return true;
                case MessageTypes.CommandResult:
                    _ctx.Fleet.Touch(_entry);
                    var commandResult = env.Read(SentinelJsonContext.Default.CommandResultMessage, ErrorCodes.BadResult);
                    if (!_ctx.Commands.Result(_entry.Name, commandResult))
                    {
                        _ctx.Log($"agent '{_entry.Name}': result for command {Truncate(commandResult.Id ?? "")} ignored (not running there)");
                    }
                    return true;
                case MessageTypes.Pong:
                    Pong(env.Read(SentinelJsonContext.Default.PingMessage, ErrorCodes.BadEnvelope).Id);
                    return true;
                case MessageTypes.Goodbye:
                    _closeReason = "goodbye";
                    Detach(goodbye: true);
                    await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "goodbye").ConfigureAwait(false);
                    return false;
                case MessageTypes.Hello:
                    throw new FrameException(ErrorCodes.BadHello, "hello was already received on this connection");
                default:
                    throw new FrameException(ErrorCodes.UnknownType, $"unknown message type '{Truncate(env.Type)}'");
            }
        }
        catch (FrameException e)
        {
            Interlocked.Increment(ref _ctx.FramesRejected);
            if (_entry is null)
            {
                // Nothing about this peer is known yet: no second chance.
                await CloseAsync(WebSocketCloseStatus.PolicyViolation, e.Code, e.Message).ConfigureAwait(false);
                return false;
            }
            Send(Frames.Error(e.Code, e.Message));
            if (++_errors > 20)
            {
                await CloseAsync(WebSocketCloseStatus.PolicyViolation, e.Code, "too many bad frames").ConfigureAwait(false);
                return false;
            }
            return true;
        }
    }

    private async Task<bool> HelloAsync(Hello hello, CancellationToken ct)
    {
        var problem = HelloValidation.Problem(hello);
        if (problem is not null)
        {
            throw new FrameException(ErrorCodes.BadHello, problem);
        }
        if (_ctx.Auth.AgentTokenRequired && !_ctx.Auth.AgentTokenValid(hello.Token))
        {
            // Closed at once; an address that keeps trying waits longer for each answer.
            var address = System.Net.IPEndPoint.TryParse(_remote, out var ep) ? ep.Address : null;
            var wait = _ctx.Auth.Failures.Delay(address);
            _ctx.Auth.Failures.Fail(address);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _ctx.Time, ct).ConfigureAwait(false);
            _ctx.Log($"agent from {_remote}: refused, wrong or missing token");
            await CloseAsync(WebSocketCloseStatus.PolicyViolation, ErrorCodes.Unauthorized, "wrong or missing agent token").ConfigureAwait(false);
            return false;
        }
        var (claimed, replaced) = _ctx.Fleet.TryClaim(hello.Name, hello.HostId, this);
        if (!claimed)
        {
            _ctx.Log($"agent '{hello.Name}' from {_remote}: refused, the name is in use by a live agent on another host");
            await CloseAsync(WebSocketCloseStatus.PolicyViolation, ErrorCodes.NameInUse,
                $"the name '{hello.Name}' is in use by a live agent on another host; start this agent with another --name").ConfigureAwait(false);
            return false;
        }
        if (replaced is not null)
        {
            _ = replaced.CloseAsync(WebSocketCloseStatus.NormalClosure, ErrorCodes.Replaced, "a new connection from the same host took over");
        }
        Registration reg;
        try
        {
            reg = await _ctx.Store.RegisterAsync(hello.Name, hello.HostId, hello.BootId, hello.AgentVersion, hello.Inventory,
                hello.Tags, hello.IntervalSeconds, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _ctx.Fleet.ReleaseClaim(hello.Name, this);
            _ctx.Log($"agent '{hello.Name}': hello not recorded, the store failed: {e.Message}");
            await CloseAsync((WebSocketCloseStatus)1013, ErrorCodes.StoreUnavailable, "the master could not record the hello: " + e.Message + "; reconnect later").ConfigureAwait(false);
            return false;
        }
        catch
        {
            _ctx.Fleet.ReleaseClaim(hello.Name, this);
            throw;
        }
        _bootRow = reg.BootRow;
        // What the store already holds for this boot needs no second write: a replay of it is acked at once.
        _sentAck = _pendingAck = reg.AckedSeq;
        _entry = _ctx.Fleet.Attach(hello, reg, this, _remote);
        _ctx.Store.RecordConnection(_entry.Id, _ctx.Time.GetUtcNow(), "connected", _remote, replaced is null ? null : "took over from an older connection of the same host");
        Send(Frames.Write(MessageTypes.Welcome, new Welcome
        {
            Name = hello.Name,
            AckedSeq = reg.AckedSeq,
            MasterVersion = _ctx.Version,
            ServerTime = _ctx.Time.GetUtcNow(),
        }, SentinelJsonContext.Default.Welcome));
        _ctx.Log($"agent '{hello.Name}' connected from {_remote} (agent {hello.AgentVersion}, boot {hello.BootId[..Math.Min(8, hello.BootId.Length)]}, stored up to seq {reg.AckedSeq})");
        _ctx.Jobs.MachineAttached(hello.Name, reg.BootRow);
        if (hello.Capabilities.Contains(Capabilities.Ping))
        {
            _ = Task.Run(() => PingLoop(_closing.Token));
        }
        return true;
    }

    /// <summary>Handles a batch; false when the connection must end (the store could not take a sample).</summary>
    private async Task<bool> SamplesAsync(SampleBatch batch)
    {
        var entry = _entry!;
        if (batch.Samples is null)
        {
            throw new FrameException(ErrorCodes.BadSample, "'samples' is missing");
        }
        long skippedUpTo = 0;
        var refused = new List<string>();
        foreach (var s in batch.Samples)
        {
            // A bad sample is refused by name; the good ones around it in the same frame are stored.
            if (s is null || s.Seq <= 0)
            {
                refused.Add($"sequence numbers start at 1; got {s?.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
                continue;
            }
            if (SampleValidation.Normalize(s.Sample, out var problem) is not { } sample)
            {
                refused.Add($"seq {s.Seq}: {problem}");
                continue;
            }
            Interlocked.Increment(ref _ctx.SamplesReceived);
            if (s.Seq <= Volatile.Read(ref _sentAck))
            {
                skippedUpTo = Math.Max(skippedUpTo, s.Seq); // already on disk: a resend after a lost ack
                continue;
            }
            if (_ctx.Fleet.Observe(entry, sample))
            {
                _ctx.Store.RecordConnection(entry.Id, _ctx.Time.GetUtcNow(), "online", _remote, "samples again after a silence");
            }
            if (!_ctx.Store.TryEnqueue(entry.Id, _bootRow, s.Seq, sample, this))
            {
                // An ack is "the highest stored": storing anything after a refused sample would ack it away.
                // Nothing more from this connection, then; the agent comes back later and resends from what is stored.
                await StoreUnavailableAsync($"the master's store is busy (queue full) at seq {s.Seq}").ConfigureAwait(false);
                return false;
            }
        }
        if (skippedUpTo > 0)
        {
            Stored(_bootRow, Volatile.Read(ref _sentAck));
        }
        if (refused.Count > 0)
        {
            throw new FrameException(ErrorCodes.BadSample, refused.Count == 1 ? refused[0] : $"{refused.Count} samples refused; first: {refused[0]}");
        }
        return true;
    }

    /// <summary>Called by the store's writer when a commit with this connection's samples failed.</summary>
    public void Failed(long bootRow, string reason)
    {
        if (bootRow == _bootRow)
        {
            _ = StoreUnavailableAsync(reason);
        }
    }

    private async Task StoreUnavailableAsync(string reason)
    {
        _ctx.Log($"agent '{_entry?.Name}': closing with 1013 (try again later): {reason}");
        await CloseAsync((WebSocketCloseStatus)1013, ErrorCodes.StoreUnavailable, reason + "; reconnect later and resend from the acked sequence").ConfigureAwait(false);
    }

    /// <summary>Called by the store's writer after a commit.</summary>
    public void Stored(long bootRow, long seq)
    {
        if (bootRow != _bootRow)
        {
            return;
        }
        long current;
        while ((current = Volatile.Read(ref _pendingAck)) < seq && Interlocked.CompareExchange(ref _pendingAck, seq, current) != current)
        {
        }
        _wake.Release();
    }

    /// <summary>Queues a run or cancel frame for this agent.</summary>
    public void SendControl(byte[] frame)
    {
        _control.Enqueue(frame);
        _wake.Release();
    }

    private void Send(byte[] frame)
    {
        _outgoing.Writer.TryWrite(frame);
        _wake.Release();
    }

    private async Task SendLoop(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await _wake.WaitAsync(ct).ConfigureAwait(false);
            await _sendLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                while (_control.TryDequeue(out var control))
                {
                    await _ws.SendAsync(control, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                }
                while (_outgoing.Reader.TryRead(out var frame))
                {
                    await _ws.SendAsync(frame, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                }
                long ack = Volatile.Read(ref _pendingAck);
                if (ack > _sentAck)
                {
                    await _ws.SendAsync(Frames.Write(MessageTypes.Ack, new Ack { Seq = ack }, SentinelJsonContext.Default.Ack),
                        WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                    Volatile.Write(ref _sentAck, ack);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }

    private void Detach(bool goodbye)
    {
        if (_entry is { } e)
        {
            if (_ctx.Fleet.Detach(e, this, goodbye))
            {
                _ctx.Store.RecordConnection(e.Id, _ctx.Time.GetUtcNow(), "disconnected", _remote, _closeReason ?? CloseDescription());
                _ctx.Log(goodbye ? $"agent '{e.Name}' said goodbye" : $"agent '{e.Name}' disconnected");
                _ctx.Commands.MachinesLost([e.Name], goodbye ? "said goodbye (its agent stopped)" : "lost its agent's connection");
                if (goodbye)
                {
                    _ctx.Jobs.MachinesLost([e.Name], "said goodbye (its agent stopped)");
                }
            }
        }
    }

    private string CloseDescription()
    {
        try
        {
            return _ws.CloseStatus is { } status ? $"closed by the agent ({(int)status}{(string.IsNullOrEmpty(_ws.CloseStatusDescription) ? "" : " " + _ws.CloseStatusDescription)})" : "the connection dropped";
        }
        catch (ObjectDisposedException)
        {
            return "the connection dropped";
        }
    }

    /// <summary>Pings the agent at once and then every <see cref="MasterOptions.PingInterval"/>; a pong sets the round trip.</summary>
    private async Task PingLoop(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long id = Interlocked.Increment(ref _pingId);
                Volatile.Write(ref _pingSentTicks, _ctx.Time.GetTimestamp());
                Send(Frames.Write(MessageTypes.Ping, new PingMessage { Id = id }, SentinelJsonContext.Default.PingMessage));
                await Task.Delay(_ctx.Options.PingInterval, _ctx.Time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Pong(long id)
    {
        long sent = Volatile.Read(ref _pingSentTicks);
        if (id != Volatile.Read(ref _pingId) || sent == 0 || _entry is not { } e) return; // a late answer to an older ping
        _ctx.Fleet.SetRoundTrip(e, this, _ctx.Time.GetElapsedTime(sent).TotalMilliseconds);
    }

    /// <summary>Sends an error frame naming the problem, then closes with <paramref name="status"/>.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string code, string message)
    {
        _closeReason ??= $"closed by the master: {code}";
        bool locked = false;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            locked = await _sendLock.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            if (_ws.State == WebSocketState.Open)
            {
                await _ws.SendAsync(Frames.Error(code, message), WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
            }
            await CloseOutputCoreAsync(status, code).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            if (locked) _sendLock.Release();
        }
        _closing.Cancel();
    }

    /// <summary>Sends what is queued (an error frame must not be overtaken by the close), then closes, taking the send turn.</summary>
    private async Task CloseOutputAsync(WebSocketCloseStatus status, string description)
    {
        bool locked = await _sendLock.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        try
        {
            if (_ws.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                while (_control.TryDequeue(out var c)) await _ws.SendAsync(c, WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
                while (_outgoing.Reader.TryRead(out var frame)) await _ws.SendAsync(frame, WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
        try
        {
            await CloseOutputCoreAsync(status, description).ConfigureAwait(false);
        }
        finally
        {
            if (locked) _sendLock.Release();
        }
    }

    private async Task CloseOutputCoreAsync(WebSocketCloseStatus status, string description)
    {
        try
        {
            if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _ws.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private static string Truncate(string s) => s.Length > 64 ? s[..64] + "…" : s;
}
