using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Bench;

/// <summary>
/// The load of the `fleet` suite: N agents speaking the real protocol over their own WebSockets (hello, one
/// sample a second, acks), driven by one sender thread, and one viewer on /ws that times each sample from its
/// send to its arrival in an update frame.
/// </summary>
internal sealed class SimulatedFleet(int n, Uri agentUri, Uri viewerUri) : IAsyncDisposable
{
    /// <summary>One simulated agent: its socket, a send buffer, its sequence numbers and the master's acks.</summary>
    private sealed class Agent(string name, ClientWebSocket ws)
    {
        public readonly string Name = name;
        public readonly ClientWebSocket Ws = ws;
        public readonly TaskCompletionSource Welcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public byte[] SendBuffer = new byte[4096];
        public long Seq;          // written by the sender thread only
        public long Acked;        // written by the receive loop
        public long NextDue;      // Stopwatch timestamp; sender thread only
        /// <summary>When the last few sends went out, by seq % length, for the send -> ack latency (an ack may come after later sends).</summary>
        public readonly long[] SentAt = new long[SendTimes];
        public int Busy;          // 1 while a send is in flight
        public volatile bool Live;
    }

    private const int SendTimes = 16;
    private readonly Agent?[] _agents = new Agent?[n];
    private readonly List<Task> _receivers = [];
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero });
    private readonly FleetSample _template = new();
    private readonly List<float> _viewerLatencies = new(n * 40);
    private readonly List<float> _ackLatencies = new(n * 40);
    private readonly CancellationTokenSource _stop = new();
    private long _epoch;
    private Thread? _sender;
    private volatile bool _sending;
    private volatile bool _recording;
    private ClientWebSocket? _viewer;
    private Task? _viewerLoop;
    private long _sent, _lateSends;
    private int _welcomed, _connectFailures, _sendErrors, _errorFrames, _live;
    private string? _firstError;

    /// <summary>Latencies and viewer frames are counted while this is set (the measured window).</summary>
    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    public long Sent => Interlocked.Read(ref _sent);
    public int Welcomed => Volatile.Read(ref _welcomed);
    public int Live => Volatile.Read(ref _live);
    public int ConnectFailures => Volatile.Read(ref _connectFailures);
    public int SendErrors => Volatile.Read(ref _sendErrors);
    public int ErrorFrames => Volatile.Read(ref _errorFrames);
    /// <summary>Sends more than a second late: the load generator itself could not keep up.</summary>
    public long LateSends => Interlocked.Read(ref _lateSends);
    public string? FirstError => _firstError;
    public long ViewerUpdates, ViewerSnapshots, ViewerBytes;
    /// <summary>Why the viewer's connection ended early, if it did.</summary>
    public string? ViewerEnd;

    private void Error(string what) => Interlocked.CompareExchange(ref _firstError, what, null);

    /// <summary>Samples sent and not yet acked (stored), over every agent.</summary>
    public long Unacked()
    {
        long sum = 0;
        foreach (var a in _agents)
        {
            if (a is not null) sum += Math.Max(0, Volatile.Read(ref a.Seq) - Volatile.Read(ref a.Acked));
        }
        return sum;
    }

    /// <summary>Each welcomed agent's name and the highest seq the master acked.</summary>
    public IEnumerable<(string Name, long Acked)> AckedByAgent()
        => _agents.Where(a => a is not null).Select(a => (a!.Name, Volatile.Read(ref a.Acked)));

    /// <summary>Send -> viewer latencies recorded so far, in ms, sorted.</summary>
    public List<double> ViewerLatencies()
    {
        lock (_viewerLatencies) return _viewerLatencies.Select(x => (double)x).Order().ToList();
    }

    /// <summary>Send -> ack latencies recorded so far, in ms, sorted.</summary>
    public List<double> AckLatencies()
    {
        lock (_ackLatencies) return _ackLatencies.Select(x => (double)x).Order().ToList();
    }

    // --- the viewer ---

    public async Task ConnectViewerAsync()
    {
        _viewer = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _viewer.ConnectAsync(viewerUri, _invoker, timeout.Token);
        _viewerLoop = Task.Run(ViewerLoop);
    }

    private async Task ViewerLoop()
    {
        var buffer = new byte[1 << 20];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var r = await _viewer!.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    ViewerEnd = $"closed by the master ({_viewer.CloseStatus} {_viewer.CloseStatusDescription})";
                    return;
                }
                length += r.Count;
                if (!r.EndOfMessage) continue;
                // The clock is read when the whole frame is in, before it is parsed.
                var now = DateTimeOffset.UtcNow;
                if (_recording) ReadViewerFrame(buffer.AsSpan(0, length), now);
                length = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            if (!_stop.IsCancellationRequested) ViewerEnd = $"receive failed: {e.Message}";
        }
    }

    /// <summary>For each machine in an update frame that carries a sample: latency = now - the sample's timestamp.</summary>
    private void ReadViewerFrame(ReadOnlySpan<byte> frame, DateTimeOffset now)
    {
        ViewerBytes += frame.Length;
        var r = new Utf8JsonReader(frame);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return;
        bool update = false;
        var found = new List<float>(256);
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("type"u8))
            {
                r.Read();
                update = r.ValueTextEquals("update"u8);
                if (update) ViewerUpdates++;
                else ViewerSnapshots++;
            }
            else if (update && r.ValueTextEquals("data"u8))
            {
                r.Read();
                ReadUpdateData(ref r, now, found);
            }
            else
            {
                r.Skip();
            }
        }
        lock (_viewerLatencies) _viewerLatencies.AddRange(found);
    }

    /// <summary>data: {"machines": [{"name", "status", "sample": {"timestamp", ...} | null, "machine": ...}, ...]}.</summary>
    private static void ReadUpdateData(ref Utf8JsonReader r, DateTimeOffset now, List<float> found)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("machines"u8))
            {
                r.Skip();
                continue;
            }
            r.Read(); // [
            while (r.Read() && r.TokenType == JsonTokenType.StartObject)
            {
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (!r.ValueTextEquals("sample"u8))
                    {
                        r.Skip();
                        continue;
                    }
                    r.Read();
                    if (r.TokenType != JsonTokenType.StartObject) continue; // null: a status change only
                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        if (r.ValueTextEquals("timestamp"u8))
                        {
                            r.Read();
                            found.Add((float)(now - r.GetDateTimeOffset()).TotalMilliseconds);
                        }
                        else
                        {
                            r.Skip();
                        }
                    }
                }
            }
        }
    }

    // --- the agents' connections ---

    /// <summary>Connects the agents at <paramref name="rate"/> per second; returns when every attempt has ended.</summary>
    public async Task ConnectAgentsAsync(int rate)
    {
        var attempts = new List<Task>(n);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            long wait = start + (long)(i * (double)Stopwatch.Frequency / rate) - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
            }
            attempts.Add(ConnectOne(i));
        }
        await Task.WhenAll(attempts);
    }

    private async Task ConnectOne(int i)
    {
        var name = $"bench-{i:D5}";
        var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        var a = new Agent(name, ws);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await ws.ConnectAsync(agentUri, _invoker, timeout.Token);
            var receiver = Task.Run(() => ReceiveLoop(a));
            lock (_receivers) _receivers.Add(receiver);
            var hello = Frames.Write(MessageTypes.Hello, FleetSample.Hello(name, "bench-host-" + name), SentinelJsonContext.Default.Hello);
            await ws.SendAsync(hello, WebSocketMessageType.Text, true, timeout.Token);
            await a.Welcome.Task.WaitAsync(timeout.Token);
            // Agent i sends at i/N into each second: the fleet's sends are spread evenly over the second.
            long phase = _epoch + (long)(i * (double)Stopwatch.Frequency / n);
            long now = Stopwatch.GetTimestamp();
            long k = now > phase ? (now - phase + Stopwatch.Frequency - 1) / Stopwatch.Frequency : 0;
            a.NextDue = phase + k * Stopwatch.Frequency;
            a.Live = true;
            Interlocked.Increment(ref _live);
            Interlocked.Increment(ref _welcomed);
            Volatile.Write(ref _agents[i], a);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or HttpRequestException or InvalidOperationException)
        {
            Interlocked.Increment(ref _connectFailures);
            Error($"connect {name}: {e.GetType().Name}: {e.Message}");
            ws.Abort();
        }
    }

    private async Task ReceiveLoop(Agent a)
    {
        var buffer = new byte[512];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var r = await a.Ws.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    Error($"{a.Name}: master closed ({a.Ws.CloseStatus} {a.Ws.CloseStatusDescription})");
                    a.Welcome.TrySetException(new WebSocketException("closed before welcome"));
                    break;
                }
                length += r.Count;
                if (!r.EndOfMessage) continue;
                HandleAgentFrame(a, buffer.AsSpan(0, length));
                length = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            if (!_stop.IsCancellationRequested) Error($"{a.Name}: receive failed: {e.Message}");
            a.Welcome.TrySetException(e);
        }
        finally
        {
            MarkDead(a);
        }
    }

    private void MarkDead(Agent a)
    {
        if (a.Live)
        {
            a.Live = false;
            Interlocked.Decrement(ref _live);
        }
    }

    /// <summary>welcome {ackedSeq}, ack {seq}, or error {code, message}.</summary>
    private void HandleAgentFrame(Agent a, ReadOnlySpan<byte> frame)
    {
        var r = new Utf8JsonReader(frame);
        string? type = null;
        long seq = -1;
        string? message = null;
        while (r.Read())
        {
            if (r.TokenType != JsonTokenType.PropertyName) continue;
            if (r.ValueTextEquals("type"u8))
            {
                r.Read();
                type = r.GetString();
            }
            else if (r.ValueTextEquals("seq"u8) || r.ValueTextEquals("ackedSeq"u8))
            {
                r.Read();
                seq = r.GetInt64();
            }
            else if (r.ValueTextEquals("message"u8))
            {
                r.Read();
                message = r.GetString();
            }
        }
        switch (type)
        {
            case MessageTypes.Welcome:
                Volatile.Write(ref a.Acked, Math.Max(0, seq));
                a.Welcome.TrySetResult();
                break;
            case MessageTypes.Ack:
                if (seq > Volatile.Read(ref a.Acked)) Volatile.Write(ref a.Acked, seq);
                // Acks coalesce to the highest stored seq: the one acked is timed (if it was sent recently enough to be remembered).
                if (_recording && seq > 0 && Volatile.Read(ref a.Seq) - seq < SendTimes)
                {
                    float ms = (float)Stopwatch.GetElapsedTime(Volatile.Read(ref a.SentAt[seq % SendTimes])).TotalMilliseconds;
                    lock (_ackLatencies) _ackLatencies.Add(ms);
                }
                break;
            case MessageTypes.Error:
                Interlocked.Increment(ref _errorFrames);
                Error($"{a.Name}: master says: {message}");
                a.Welcome.TrySetException(new InvalidOperationException(message ?? "error"));
                break;
        }
    }

    // --- sending: one thread for every agent ---

    /// <summary>Starts the sender; agents join it as they are welcomed.</summary>
    public void StartSending()
    {
        _epoch = Stopwatch.GetTimestamp();
        _sending = true;
        _sender = new Thread(SendLoop) { IsBackground = true, Name = "fleet sender", Priority = ThreadPriority.AboveNormal };
        _sender.Start();
    }

    public void StopSending()
    {
        _sending = false;
        _sender?.Join();
    }

    private void SendLoop()
    {
        var buffer = new ArrayBufferWriter<byte>(8192);
        using var writer = new Utf8JsonWriter(buffer);
        long look = Stopwatch.Frequency / 200; // every 5 ms
        long second = Stopwatch.Frequency;
        long next = Stopwatch.GetTimestamp();
        while (_sending)
        {
            long now = Stopwatch.GetTimestamp();
            foreach (var a in _agents)
            {
                // An agent whose previous send has not finished is tried again on the next look.
                if (a is null || !a.Live || now < a.NextDue || Volatile.Read(ref a.Busy) != 0) continue;
                if (now - a.NextDue > second)
                {
                    // More than a second behind: skip ahead instead of bursting, as the real agent does.
                    Interlocked.Increment(ref _lateSends);
                    a.NextDue += (now - a.NextDue) / second * second;
                }
                Send(a, buffer, writer);
                a.NextDue += second;
            }
            next += look;
            long sleep = next - Stopwatch.GetTimestamp();
            if (sleep > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(sleep / (double)Stopwatch.Frequency));
            }
            else
            {
                next = Stopwatch.GetTimestamp(); // behind: do not try to catch up on looks
            }
        }
    }

    private void Send(Agent a, ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
    {
        long seq = a.Seq + 1;
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteNumber("v", ProtocolLimits.Version);
        writer.WriteString("type", MessageTypes.Samples);
        writer.WritePropertyName("data");
        // The sample's timestamp is taken here, just before the frame goes out.
        JsonSerializer.Serialize(writer, new SampleBatch { Samples = [new SequencedSample { Seq = seq, Sample = _template.Next(seq) }] }, SentinelJsonContext.Default.SampleBatch);
        writer.WriteEndObject();
        writer.Flush();
        int length = buffer.WrittenCount;
        if (a.SendBuffer.Length < length) a.SendBuffer = new byte[length * 2];
        buffer.WrittenSpan.CopyTo(a.SendBuffer);
        Volatile.Write(ref a.SentAt[seq % SendTimes], Stopwatch.GetTimestamp());
        Volatile.Write(ref a.Seq, seq);
        Interlocked.Increment(ref _sent);
        Volatile.Write(ref a.Busy, 1);
        try
        {
            var pending = a.Ws.SendAsync(a.SendBuffer.AsMemory(0, length), WebSocketMessageType.Text, true, CancellationToken.None);
            if (pending.IsCompleted)
            {
                pending.GetAwaiter().GetResult();
                Volatile.Write(ref a.Busy, 0);
            }
            else
            {
                pending.AsTask().ContinueWith(static (t, state) =>
                {
                    var (fleet, agent) = ((SimulatedFleet, Agent))state!;
                    if (!t.IsCompletedSuccessfully) fleet.SendFailed(agent, t.Exception?.InnerException?.Message ?? "cancelled");
                    Volatile.Write(ref agent.Busy, 0);
                }, (this, a), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            SendFailed(a, e.Message);
            Volatile.Write(ref a.Busy, 0);
        }
    }

    private void SendFailed(Agent a, string message)
    {
        Interlocked.Increment(ref _sendErrors);
        Error($"{a.Name}: send failed: {message}");
        MarkDead(a);
    }

    /// <summary>Stops sending and drops every connection (no goodbye: the master is stopped right after).</summary>
    public async ValueTask DisposeAsync()
    {
        StopSending();
        _stop.Cancel();
        foreach (var a in _agents) a?.Ws.Abort();
        _viewer?.Abort();
        Task[] receivers;
        lock (_receivers) receivers = [.. _receivers];
        await Task.WhenAny(Task.WhenAll(receivers), Task.Delay(TimeSpan.FromSeconds(10)));
        if (_viewerLoop is not null) await Task.WhenAny(_viewerLoop, Task.Delay(TimeSpan.FromSeconds(5)));
        foreach (var a in _agents) a?.Ws.Dispose();
        _viewer?.Dispose();
        _invoker.Dispose();
        _stop.Dispose();
    }
}
