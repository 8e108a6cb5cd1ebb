using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sentinel.Relay;

/// <summary>
/// A transparent TCP relay for HPC login nodes: accepts connections (from compute nodes) and forwards bytes both ways
/// to one target (typically the login node's end of an SSH reverse tunnel to the master). It never parses what it carries,
/// so agents' WebSocket-over-HTTP traffic passes through unchanged.
/// </summary>
/// <remarks>
/// Call <see cref="StartAsync"/> to bind, then <see cref="RunAsync"/> to accept; <see cref="DisposeAsync"/> closes the
/// listener and every open connection pair. Each connection is relayed until both directions have ended: a close on
/// one side is passed on as a half-close (shutdown of send) to the other, so request/response protocols that signal
/// "done" with a half-close keep working.
/// </remarks>
public sealed class TcpRelay : IAsyncDisposable
{
    // A tunnel that does not answer within this is down (ssh gone); holding the client longer only delays its retry.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    // 64 KiB per direction: large enough to move bulk data in few syscalls, small enough for hundreds of agents.
    private const int BufferSize = 64 * 1024;

    // Disposal closes every socket, which ends every pump at once; the bound only guards against a pathological stall.
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(5);

    private readonly IPEndPoint _listen;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly string _targetText;
    private readonly Action<string>? _log;

    private readonly object _gate = new();
    private readonly HashSet<Connection> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationToken _stopToken;
    private Socket? _listener;
    private Task? _acceptLoop;
    private Task? _disposal;
    private bool _stopping; // guarded by _gate

    private long _active;
    private long _total;
    private long _bytes;

    /// <summary>Creates a relay; nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="listen">Where to accept connections; port 0 picks a free port (see <see cref="LocalEndpoint"/>).</param>
    /// <param name="targetHost">Host name or address every accepted connection is forwarded to.</param>
    /// <param name="targetPort">Port on <paramref name="targetHost"/>.</param>
    /// <param name="log">Receives one line per event (listening, connect, disconnect, unreachable target). Called from any thread.</param>
    public TcpRelay(IPEndPoint listen, string targetHost, int targetPort, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetHost);
        if (targetPort is < 1 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(targetPort), targetPort, "The target port must be between 1 and 65535.");
        _listen = listen;
        _targetHost = targetHost;
        _targetPort = targetPort;
        _targetText = Format(targetHost, targetPort);
        _log = log;
        // Read once: CancellationTokenSource.Token throws after Dispose, and stragglers may still look at it.
        _stopToken = _stop.Token;
    }

    /// <summary>The endpoint actually bound (with the real port when listening on port 0). Valid after <see cref="StartAsync"/>.</summary>
    public IPEndPoint LocalEndpoint =>
        (IPEndPoint?)_listener?.LocalEndPoint ?? throw new InvalidOperationException("The relay is not started.");

    /// <summary>Connections currently being relayed (accepted and not yet fully closed).</summary>
    public int ActiveConnections => (int)Interlocked.Read(ref _active);

    /// <summary>Connections accepted since the relay started, including those whose target was unreachable.</summary>
    public long TotalConnections => Interlocked.Read(ref _total);

    /// <summary>Bytes forwarded so far, both directions together.</summary>
    public long BytesForwarded => Interlocked.Read(ref _bytes);

    /// <summary>Binds the listening socket.</summary>
    /// <exception cref="IOException">The address cannot be bound (port in use, address not on this machine, no permission); the message names the address and port.</exception>
    public Task StartAsync()
    {
        Socket listener;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_listener is not null) throw new InvalidOperationException("The relay is already started.");
            listener = new Socket(_listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // [::] should take IPv4 agents too, as 0.0.0.0 would.
                if (_listen.AddressFamily == AddressFamily.InterNetworkV6 && _listen.Address.Equals(IPAddress.IPv6Any))
                    listener.DualMode = true;
                listener.Bind(_listen);
                listener.Listen();
            }
            catch (SocketException ex)
            {
                listener.Dispose();
                throw new IOException($"Cannot listen on {_listen}: {ex.Message}", ex);
            }
            _listener = listener;
        }
        Log($"listening on {Describe(listener.LocalEndPoint)}, forwarding to {_targetText}");
        return Task.CompletedTask;
    }

    /// <summary>
    /// Accepts and relays connections until <paramref name="cancellationToken"/> fires or the relay is disposed, then
    /// completes normally. Cancelling only stops accepting: connections already open keep running until
    /// <see cref="DisposeAsync"/>.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken = default)
    {
        Socket listener;
        Task loop;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            listener = _listener ?? throw new InvalidOperationException("Call StartAsync before RunAsync.");
            if (_acceptLoop is not null) throw new InvalidOperationException("The relay is already running.");
            // Held so DisposeAsync can wait for the loop as well as for the connections it started.
            _acceptLoop = loop = AcceptLoopAsync(listener, cancellationToken);
        }
        return loop;
    }

    /// <summary>Stops accepting, closes every open connection pair and waits (a few seconds at most) for them to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        TaskCompletionSource? mine = null;
        Task disposal;
        Connection[] open = [];
        Task? acceptLoop = null;
        Socket? listener = null;
        lock (_gate)
        {
            if (_disposal is null)
            {
                mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _disposal = mine.Task;
                _stopping = true;
                open = [.. _connections];
                acceptLoop = _acceptLoop;
                listener = _listener;
            }
            disposal = _disposal;
        }
        if (mine is not null)
        {
            // Sockets are closed outside the lock: closing can run a pump's continuation inline, which takes the lock.
            try
            {
                await StopAsync(open, acceptLoop, listener).ConfigureAwait(false);
            }
            finally
            {
                mine.SetResult();
            }
        }
        await disposal.ConfigureAwait(false);
    }

    private async Task StopAsync(Connection[] open, Task? acceptLoop, Socket? listener)
    {
        _stop.Cancel();
        // Closing the listener makes the kernel refuse new connections at once, rather than queueing them in the backlog.
        listener?.Dispose();
        foreach (var connection in open) connection.Close();

        var pending = open.Select(c => c.Done.Task).ToList();
        if (acceptLoop is not null) pending.Add(acceptLoop);
        try
        {
            await Task.WhenAll(pending).WaitAsync(DisposeWait).ConfigureAwait(false);
            _stop.Dispose();
        }
        catch (TimeoutException)
        {
            Log($"stopped with {ActiveConnections} connection(s) still closing after {DisposeWait.TotalSeconds:0} s");
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopToken);
        while (!linked.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (linked.IsCancellationRequested || _stopToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Typically EMFILE or a connection aborted before accept: the listener itself is fine, so keep serving,
                // but pause so a descriptor shortage does not become a busy loop.
                Log($"accept failed: {ex.Message}");
                try { await Task.Delay(100, linked.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            Accept(client);
        }
    }

    private void Accept(Socket client)
    {
        var connection = new Connection(client);
        lock (_gate)
        {
            if (_stopping)
            {
                client.Dispose();
                return;
            }
            _connections.Add(connection);
            Interlocked.Increment(ref _active);
            Interlocked.Increment(ref _total);
        }
        // Not awaited here, but tracked: the connection is in _connections and signals Done, which DisposeAsync waits on.
        _ = RelayAsync(connection);
    }

    private async Task RelayAsync(Connection connection)
    {
        var client = connection.Client;
        var peer = "unknown client";
        try
        {
            peer = Describe(client.RemoteEndPoint) ?? peer;
            client.NoDelay = true;

            var target = new Socket(SocketType.Stream, ProtocolType.Tcp);
            if (!connection.TryAttachTarget(target))
            {
                target.Dispose();
                return;
            }
            using (var connectCts = CancellationTokenSource.CreateLinkedTokenSource(_stopToken))
            {
                connectCts.CancelAfter(ConnectTimeout);
                try
                {
                    await target.ConnectAsync(_targetHost, _targetPort, connectCts.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    if (!_stopToken.IsCancellationRequested)
                    {
                        var reason = ex is SocketException se ? se.Message : $"no answer within {ConnectTimeout.TotalSeconds:0} s";
                        Log($"{peer}: target {_targetText} unreachable ({reason}); closing the client");
                    }
                    return;
                }
            }
            target.NoDelay = true;
            Log($"{peer} connected, relaying to {_targetText} via {Describe(target.LocalEndPoint)}");

            var started = Stopwatch.GetTimestamp();
            var up = PumpAsync(client, target, connection);
            var down = PumpAsync(target, client, connection);
            var (sent, upError) = await up.ConfigureAwait(false);
            var (received, downError) = await down.ConfigureAwait(false);

            var error = upError ?? downError;
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            Log($"{peer} disconnected after {seconds} s: {sent} bytes up, {received} bytes down{(error is null ? "" : $" ({error})")}");
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client vanished between accept and setup, or the relay is being disposed: nothing left to relay.
        }
        catch (Exception ex)
        {
            // Nobody awaits this task for its result, so an unexpected failure is reported here or not at all.
            Log($"{peer}: relay failed: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            connection.Close();
            lock (_gate) _connections.Remove(connection);
            Interlocked.Decrement(ref _active);
            connection.Done.TrySetResult();
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> until EOF, then half-closes <paramref name="to"/>.</summary>
    /// <returns>The bytes copied, and why the copy ended early (null after a clean EOF).</returns>
    private async Task<(long Bytes, string? Error)> PumpAsync(Socket from, Socket to, Connection connection)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long copied = 0;
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer.AsMemory(0, BufferSize), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    // Pass the close on, but only our sending half: the other direction may still have a reply in flight.
                    to.Shutdown(SocketShutdown.Send);
                    return (copied, null);
                }
                for (int sent = 0; sent < read;)
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None).ConfigureAwait(false);
                copied += read;
                Interlocked.Add(ref _bytes, read);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // A reset breaks the pair for good: pass it on as a reset (a clean EOF could pass for a complete reply), which
            // also ends the other direction's pump. After disposal the sockets are already closed and this does nothing.
            connection.Close(abortive: true);
            return (copied, ex is SocketException se && se.SocketErrorCode != SocketError.OperationAborted ? se.SocketErrorCode.ToString() : null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Log(string line)
    {
        if (_log is null) return;
        try
        {
            _log(line);
        }
        catch (Exception)
        {
            // A failing log sink (closed stdout, say) must not tear down the connections being relayed.
        }
    }

    // Dual-mode sockets report IPv4 peers as ::ffff:a.b.c.d; operators know their nodes by the IPv4 form.
    private static string? Describe(EndPoint? endPoint) => endPoint is IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip
        ? new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString()
        : endPoint?.ToString();

    private static string Format(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>One client and its target socket; closing is idempotent and safe from any thread.</summary>
    private sealed class Connection(Socket client)
    {
        private readonly object _gate = new();
        private Socket? _target;
        private bool _closed;

        public Socket Client { get; } = client;

        /// <summary>Completes when the relay has finished with this connection, whatever the outcome.</summary>
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Adopts the target socket, unless the connection was closed meanwhile (the relay is being disposed).</summary>
        public bool TryAttachTarget(Socket target)
        {
            lock (_gate)
            {
                if (_closed) return false;
                _target = target;
                return true;
            }
        }

        /// <summary>Closes both sockets: with an orderly EOF to each peer, or with a reset when <paramref name="abortive"/>.</summary>
        public void Close(bool abortive = false)
        {
            Socket? target;
            lock (_gate)
            {
                if (_closed) return;
                _closed = true;
                target = _target;
            }
            Shut(Client, abortive);
            if (target is not null) Shut(target, abortive);
        }

        private static void Shut(Socket socket, bool abortive)
        {
            if (abortive)
            {
                // Linger 0: the kernel sends RST instead of FIN.
                socket.Close(0);
                return;
            }
            // Shutdown first: .NET closes a socket that still has a receive pending abortively, so the peer would see a
            // reset where an orderly EOF says just as clearly that the relay has let go.
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Never connected, or already reset by the peer: there is nothing to shut down.
            }
            socket.Dispose();
        }
    }
}
