using System.Net.WebSockets;
using System.Threading.Channels;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master;

/// <summary>
/// Viewers on /ws: a snapshot first, then one coalesced update per tick with what changed. Each update
/// is serialised once and shared by every viewer. A viewer's queue is bounded; one that falls behind
/// has its queue dropped and gets a fresh snapshot when it catches up, so a slow browser costs
/// bounded memory and never slows ingestion or the other viewers.
/// </summary>
internal sealed class ViewerHub : IAsyncDisposable
{
    private readonly List<Viewer> _viewers = [];
    private readonly Func<MasterContext?> _context;
    private readonly ITimer _timer;
    private int _ticking;

    public ViewerHub(Func<MasterContext?> context, TimeProvider time, TimeSpan tick)
    {
        _context = context;
        _timer = time.CreateTimer(_ => Tick(), null, tick, tick);
    }

    private long _resnapshots;

    /// <summary>Times a viewer fell behind and got a fresh snapshot instead of its backlog.</summary>
    public long Resnapshots => Interlocked.Read(ref _resnapshots);

    /// <summary>Frames waiting to be sent, over all viewers (each viewer's queue is bounded; a full one is replaced by a snapshot).</summary>
    public int QueuedFrames
    {
        get { lock (_viewers) return _viewers.Sum(v => v.Queued); }
    }

    public int Count
    {
        get { lock (_viewers) return _viewers.Count; }
    }

    public async Task RunViewerAsync(WebSocket ws, CancellationToken stopping)
    {
        var ctx = _context()!; // viewers connect only once the master serves
        var viewer = new Viewer(ws, ctx.Options.ViewerQueueFrames, () => Interlocked.Increment(ref _resnapshots));
        viewer.Enqueue(SnapshotFrame(ctx));
        lock (_viewers) _viewers.Add(viewer);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var sender = Task.Run(async () =>
        {
            try
            {
                await viewer.SendLoop(() => SnapshotFrame(ctx), ctx.Options.ViewerSendTimeout, ctx.Log, linked.Token).ConfigureAwait(false);
            }
            finally
            {
                linked.Cancel(); // a viewer cut off by the sender also ends its reader
            }
        });
        try
        {
            var reader = new WebSocketReader(ws, ProtocolLimits.MaxViewerFrameBytes);
            while (true)
            {
                var kind = await reader.ReceiveAsync(linked.Token).ConfigureAwait(false);
                if (kind == FrameKind.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                if (kind == FrameKind.TooLarge)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, ErrorCodes.FrameTooLarge, CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                // Viewers have nothing to say yet; what they send is read and dropped.
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or System.Net.HttpListenerException or IOException)
        {
        }
        finally
        {
            lock (_viewers) _viewers.Remove(viewer);
            linked.Cancel();
            try { await sender.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException) { }
            ws.Dispose();
        }
    }

    private static byte[] SnapshotFrame(MasterContext ctx)
        => Frames.Write(MessageTypes.Snapshot, new Snapshot { Machines = ctx.Fleet.Snapshot(ctx.Source), Jobs = ctx.Jobs.List(20), Alerts = ctx.Alerts.Open() }, SentinelJsonContext.Default.Snapshot);

    /// <summary>Collects changes (and offline transitions) and sends them to every viewer.</summary>
    internal void Tick()
    {
        if (_context() is not { Alerts: not null } ctx) return; // the master is still being put together
        if (Interlocked.Exchange(ref _ticking, 1) == 1) return; // a slow tick is never overlapped by the next
        try
        {
            TickCore();
        }
        catch (Exception e)
        {
            // A timer callback that throws ends the process: log, and try again next tick.
            ctx.Log($"viewer update failed: {e}");
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void TickCore()
    {
        {
            var ctx = _context()!;
            var lost = ctx.Fleet.SweepOffline();
            if (lost.Count > 0)
            {
                var now = ctx.Time.GetUtcNow();
                foreach (var e in lost)
                {
                    ctx.Store.RecordConnection(e.Id, now, "offline", e.Remote, $"silent for {ctx.Options.OfflineAfterIntervals} intervals");
                }
                ctx.Jobs.MachinesLost(lost.Select(e => e.Name).ToList(), $"went offline (silent for {ctx.Options.OfflineAfterIntervals} intervals)");
                ctx.Commands.MachinesLost(lost.Select(e => e.Name).ToList(), $"went offline (silent for {ctx.Options.OfflineAfterIntervals} intervals)");
            }
            ctx.Jobs.Tick();
            ctx.Commands.Tick();
            var removed = ctx.Fleet.TakeRemoved();
            ctx.Alerts.ForgetMachines(removed);
            var changes = ctx.Fleet.TakeChanges(ctx.Source);
            var jobs = ctx.Jobs.TakeChanges();
            // Alerts are judged on what changed this tick (new samples, machines gone offline or back), plus time-driven steps.
            ctx.Alerts.Evaluate(ctx.Fleet.AlertFacts(changes.Select(c => c.Name)), () => ctx.Fleet.AlertFacts(null));
            var alerts = ctx.Alerts.TakeChanges();
            if (changes.Count == 0 && jobs.Count == 0 && alerts.Count == 0 && removed.Count == 0) return;
            var frame = Frames.Write(MessageTypes.Update, new FleetUpdate { Removed = removed.Count > 0 ? removed : null, Machines = changes, Jobs = jobs, Alerts = alerts }, SentinelJsonContext.Default.FleetUpdate);
            Viewer[] viewers;
            lock (_viewers) viewers = _viewers.ToArray();
            foreach (var v in viewers) v.Enqueue(frame);
        }
    }

    public async ValueTask DisposeAsync() => await _timer.DisposeAsync().ConfigureAwait(false);

    private sealed class Viewer(WebSocket ws, int capacity, Action resnapshot)
    {
        private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        private volatile bool _lagging;

        public int Queued => _queue.Reader.Count;

        public void Enqueue(byte[] frame)
        {
            if (!_queue.Writer.TryWrite(frame))
            {
                _lagging = true; // the sender will drop the backlog and start over from a snapshot
            }
        }

        public async Task SendLoop(Func<byte[]> snapshot, TimeSpan sendTimeout, Action<string> log, CancellationToken ct)
        {
            await foreach (var frame in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var toSend = frame;
                if (_lagging)
                {
                    _lagging = false;
                    while (_queue.Reader.TryRead(out _)) { }
                    toSend = snapshot();
                    resnapshot();
                }
                // A viewer that reads nothing fills the TCP buffers and then blocks this send: after the timeout it is
                // cut off (its queue was bounded all along), so it cannot hold a sender or memory forever.
                // The timer is its own token: when it fires, the socket is aborted, the reader fails and cancels ct too,
                // possibly before this catch runs, so "did the timer fire" is asked of the timer alone.
                using var timeout = new CancellationTokenSource(sendTimeout);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                try
                {
                    await ws.SendAsync(toSend, WebSocketMessageType.Text, true, either.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (timeout.IsCancellationRequested && e is OperationCanceledException or WebSocketException or IOException)
                {
                    log($"viewer closed: it read nothing for {sendTimeout.TotalSeconds:0} s");
                    ws.Abort();
                    throw;
                }
            }
        }
    }
}
