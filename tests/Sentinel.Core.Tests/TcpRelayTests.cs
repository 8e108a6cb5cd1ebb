using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Sentinel.Relay;

namespace Sentinel.Tests;

/// <summary>The relay over real loopback sockets: what a client sends arrives unchanged, and closes travel both ways.</summary>
public class TcpRelayTests
{
    // Every wait is bounded by this: loopback moves megabytes in milliseconds, so hitting it means the relay is stuck.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Bytes_cross_unchanged_in_both_directions_and_are_counted()
    {
        var up = RandomBytes(4 << 20, seed: 1);
        var down = RandomBytes(3 << 20, seed: 2);
        var atTarget = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The target answers with its own data rather than an echo, so each direction is checked on its own.
        await using var target = new TargetServer(async (socket, ct) =>
        {
            try
            {
                var sending = Task.Run(async () =>
                {
                    await SendAllAsync(socket, down, ct);
                    socket.Shutdown(SocketShutdown.Send);
                }, ct);
                atTarget.TrySetResult(await ReadToEndAsync(socket, ct));
                await sending;
            }
            catch (Exception ex)
            {
                atTarget.TrySetException(ex);
            }
        });
        await using var relay = await RelayHarness.StartAsync(target.Port);
        using var cts = new CancellationTokenSource(Bound);

        using var client = await relay.ConnectAsync(cts.Token);
        var clientEndpoint = client.LocalEndPoint!.ToString()!;
        var back = await ExchangeAsync(client, up, cts.Token);

        AssertSameBytes(down, back, "target -> client");
        AssertSameBytes(up, await atTarget.Task.WaitAsync(cts.Token), "client -> target");
        await Eventually(() => relay.Relay.ActiveConnections == 0 && relay.Relay.BytesForwarded == up.Length + down.Length,
            () => $"active {relay.Relay.ActiveConnections}, forwarded {relay.Relay.BytesForwarded} of {up.Length + down.Length}");
        Assert.Equal(1, relay.Relay.TotalConnections);
        await Eventually(() => relay.Log.Any(l => l.StartsWith($"{clientEndpoint} disconnected", StringComparison.Ordinal)), () => string.Join("\n", relay.Log));
        Assert.Single(relay.Log, l => l.StartsWith($"{clientEndpoint} connected", StringComparison.Ordinal));
        Assert.Single(relay.Log, l => l.StartsWith($"{clientEndpoint} disconnected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_clients_each_get_their_own_data_back()
    {
        const int clients = 8;
        await using var target = new TargetServer(EchoAsync);
        await using var relay = await RelayHarness.StartAsync(target.Port);
        using var cts = new CancellationTokenSource(Bound);

        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < clients; i++) sockets.Add(await relay.ConnectAsync(cts.Token));
            // All open at once before any data moves, so the streams really are interleaved inside the relay.
            await Eventually(() => relay.Relay.ActiveConnections == clients, () => $"active {relay.Relay.ActiveConnections} of {clients}");

            var payloads = Enumerable.Range(0, clients).Select(i => RandomBytes(256 << 10, seed: 100 + i)).ToArray();
            var echoes = await Task.WhenAll(sockets.Select((s, i) => ExchangeAsync(s, payloads[i], cts.Token)));

            for (int i = 0; i < clients; i++) AssertSameBytes(payloads[i], echoes[i], $"client {i}");
            Assert.Equal(clients, relay.Relay.TotalConnections);
            await Eventually(() => relay.Relay.ActiveConnections == 0, () => $"active {relay.Relay.ActiveConnections}");
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    [Fact]
    public async Task Target_closing_reaches_the_client_as_EOF()
    {
        await using var target = new TargetServer(async (socket, ct) =>
        {
            await SendAllAsync(socket, "bye"u8.ToArray(), ct);
            // The handler's socket is then disposed: a full close, as a master shutting down does.
        });
        await using var relay = await RelayHarness.StartAsync(target.Port);
        using var cts = new CancellationTokenSource(Bound);

        using var client = await relay.ConnectAsync(cts.Token);
        // Returns only on EOF: were the close not passed on, this would run into the bound.
        var received = await ReadToEndAsync(client, cts.Token);

        Assert.Equal("bye", Encoding.ASCII.GetString(received));
        client.Dispose();
        await Eventually(() => relay.Relay.ActiveConnections == 0, () => $"active {relay.Relay.ActiveConnections}");
    }

    [Fact]
    public async Task Client_closing_reaches_the_target_as_EOF()
    {
        var atTarget = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TargetServer(async (socket, ct) =>
        {
            try { atTarget.TrySetResult(await ReadToEndAsync(socket, ct)); }
            catch (Exception ex) { atTarget.TrySetException(ex); }
        });
        await using var relay = await RelayHarness.StartAsync(target.Port);
        using var cts = new CancellationTokenSource(Bound);

        var client = await relay.ConnectAsync(cts.Token);
        await SendAllAsync(client, "hello"u8.ToArray(), cts.Token);
        client.Dispose();

        // The target's read returns only on EOF.
        Assert.Equal("hello", Encoding.ASCII.GetString(await atTarget.Task.WaitAsync(cts.Token)));
        await Eventually(() => relay.Relay.ActiveConnections == 0, () => $"active {relay.Relay.ActiveConnections}");
    }

    [Fact]
    public async Task A_reset_by_the_target_reaches_the_client_as_a_reset()
    {
        await using var target = new TargetServer(async (socket, ct) =>
        {
            await ReadExactlyAsync(socket, 2, ct);
            // Linger 0 makes the close abortive: RST, as a crashed master's kernel would send.
            socket.Close(0);
        });
        await using var relay = await RelayHarness.StartAsync(target.Port);
        using var cts = new CancellationTokenSource(Bound);

        using var client = await relay.ConnectAsync(cts.Token);
        await SendAllAsync(client, "hi"u8.ToArray(), cts.Token);
        // A clean EOF here would let the client take a cut-off reply for a complete one.
        var reset = await Assert.ThrowsAnyAsync<SocketException>(() => ReadToEndAsync(client, cts.Token));

        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        await Eventually(() => relay.Relay.ActiveConnections == 0, () => $"active {relay.Relay.ActiveConnections}");
    }

    [Fact]
    public async Task Unreachable_target_closes_the_client_promptly_and_the_relay_keeps_serving()
    {
        int port = FreePort();
        await using var relay = await RelayHarness.StartAsync(port);
        using var cts = new CancellationTokenSource(Bound);

        var clock = Stopwatch.StartNew();
        using (var first = await relay.ConnectAsync(cts.Token))
            Assert.Empty(await ReadUntilClosedAsync(first, cts.Token));
        // Nothing listens, so the refusal is immediate: the 10 s connect timeout must not be what closes the client.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the client was closed only after {clock.Elapsed}");
        await Eventually(() => relay.Log.Any(l => l.Contains("unreachable", StringComparison.Ordinal) && l.Contains($":{port}", StringComparison.Ordinal)),
            () => string.Join("\n", relay.Log));
        await Eventually(() => relay.Relay.ActiveConnections == 0, () => $"active {relay.Relay.ActiveConnections}");

        // The tunnel comes back (ssh reconnected): the same relay serves the next client.
        await using var target = new TargetServer(EchoAsync, port);
        using var second = await relay.ConnectAsync(cts.Token);
        var echo = await ExchangeAsync(second, "ping"u8.ToArray(), cts.Token);

        Assert.Equal("ping", Encoding.ASCII.GetString(echo));
        Assert.Equal(2, relay.Relay.TotalConnections);
    }

    [Fact]
    public async Task Starting_on_a_port_in_use_throws_naming_the_port()
    {
        var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        try
        {
            int port = ((IPEndPoint)occupier.LocalEndpoint).Port;
            await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, port), "127.0.0.1", 9);

            var ex = await Assert.ThrowsAnyAsync<Exception>(() => relay.StartAsync());

            Assert.Contains(port.ToString(CultureInfo.InvariantCulture), ex.Message);
            Assert.Contains("127.0.0.1", ex.Message);
        }
        finally
        {
            occupier.Stop();
        }
    }

    [Fact]
    public async Task WebSocket_round_trip_through_the_relay()
    {
        using var cts = new CancellationTokenSource(Bound);
        int httpPort = FreePort();
        using var http = new HttpListener();
        http.Prefixes.Add($"http://127.0.0.1:{httpPort}/");
        http.Start();
        var server = Task.Run(async () =>
        {
            var context = await http.GetContextAsync().WaitAsync(cts.Token);
            if (!context.Request.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                context.Response.Close();
                return;
            }
            using var socket = (await context.AcceptWebSocketAsync(null)).WebSocket;
            var (type, text) = await ReceiveTextAsync(socket, cts.Token);
            Assert.Equal(WebSocketMessageType.Text, type);
            await socket.SendAsync(Encoding.UTF8.GetBytes("echo: " + text), WebSocketMessageType.Text, true, cts.Token);
            var (closing, _) = await ReceiveTextAsync(socket, cts.Token);
            Assert.Equal(WebSocketMessageType.Close, closing);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        }, cts.Token);
        await using var relay = await RelayHarness.StartAsync(httpPort);

        using var client = new ClientWebSocket();
        // The Host header names the relay's port, as an agent's would: the server must not mind.
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{relay.Relay.LocalEndpoint.Port}/"), cts.Token);
        await client.SendAsync("hello through the relay"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var (replyType, reply) = await ReceiveTextAsync(client, cts.Token);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        await server.WaitAsync(cts.Token);

        Assert.Equal(WebSocketMessageType.Text, replyType);
        Assert.Equal("echo: hello through the relay", reply);
        Assert.Equal(WebSocketState.Closed, client.State);
    }

    [Fact]
    public async Task Dispose_closes_every_connection_and_refuses_new_ones()
    {
        const int clients = 3;
        await using var target = new TargetServer(EchoAsync);
        await using var relay = await RelayHarness.StartAsync(target.Port);
        using var cts = new CancellationTokenSource(Bound);
        var endpoint = relay.Relay.LocalEndpoint;

        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < clients; i++)
            {
                var s = await relay.ConnectAsync(cts.Token);
                sockets.Add(s);
                // A round trip proves the pair reached the target, so disposal has live pumps to stop.
                await SendAllAsync(s, "hi"u8.ToArray(), cts.Token);
                Assert.Equal("hi", Encoding.ASCII.GetString(await ReadExactlyAsync(s, 2, cts.Token)));
            }
            Assert.Equal(clients, relay.Relay.ActiveConnections);

            await relay.Relay.DisposeAsync().AsTask().WaitAsync(cts.Token);

            Assert.Equal(0, relay.Relay.ActiveConnections);
            await relay.Running.WaitAsync(cts.Token);
            // An orderly EOF, not a reset: the relay lets go of its peers cleanly when it stops.
            foreach (var s in sockets) Assert.Empty(await ReadToEndAsync(s, cts.Token));
            using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var refused = await Assert.ThrowsAnyAsync<SocketException>(() => late.ConnectAsync(endpoint, cts.Token).AsTask());
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>A relay on 127.0.0.1 (free port) to 127.0.0.1:targetPort, accepting, with its log lines kept.</summary>
    private sealed class RelayHarness : IAsyncDisposable
    {
        private RelayHarness(TcpRelay relay, ConcurrentQueue<string> log)
        {
            Relay = relay;
            Log = log;
        }

        public TcpRelay Relay { get; }
        public ConcurrentQueue<string> Log { get; }
        public Task Running { get; private set; } = Task.CompletedTask;

        public static async Task<RelayHarness> StartAsync(int targetPort)
        {
            var log = new ConcurrentQueue<string>();
            var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, 0), "127.0.0.1", targetPort, log.Enqueue);
            await relay.StartAsync();
            return new RelayHarness(relay, log) { Running = relay.RunAsync() };
        }

        public async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(Relay.LocalEndpoint, cancellationToken);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Relay.DisposeAsync().AsTask().WaitAsync(Bound);
            await Running.WaitAsync(Bound);
        }
    }

    /// <summary>A loopback server that runs a handler per accepted connection and disposes the socket after it.</summary>
    private sealed class TargetServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<Task> _handlers = new();
        private readonly Task _accepting;

        public TargetServer(Func<Socket, CancellationToken, Task> handle, int port = 0)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = AcceptAsync(handle);
        }

        public int Port { get; }

        private async Task AcceptAsync(Func<Socket, CancellationToken, Task> handle)
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                _handlers.Enqueue(Task.Run(async () =>
                {
                    using (socket) await handle(socket, _stop.Token);
                }));
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting.WaitAsync(Bound);
            try
            {
                await Task.WhenAll(_handlers).WaitAsync(Bound);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // Handlers still blocked on a socket when the test ends are cancelled; the tests assert on what they saw.
            }
            _stop.Dispose();
        }
    }

    private static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
            await SendAllAsync(socket, buffer.AsMemory(0, read), cancellationToken);
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Sends everything then half-closes, while reading the reply to EOF (concurrently, so neither side's buffers fill up and stall).</summary>
    private static async Task<byte[]> ExchangeAsync(Socket socket, byte[] data, CancellationToken cancellationToken)
    {
        var sending = Task.Run(async () =>
        {
            await SendAllAsync(socket, data, cancellationToken);
            socket.Shutdown(SocketShutdown.Send);
        }, cancellationToken);
        var reply = await ReadToEndAsync(socket, cancellationToken);
        await sending;
        return reply;
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        for (int sent = 0; sent < data.Length;)
            sent += await socket.SendAsync(data[sent..], SocketFlags.None, cancellationToken);
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 << 10];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
            all.Write(buffer, 0, read);
        return all.ToArray();
    }

    /// <summary>Reads to EOF, counting a reset as the close it also is.</summary>
    private static async Task<byte[]> ReadUntilClosedAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadToEndAsync(socket, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return [];
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        for (int got = 0; got < count;)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cancellationToken);
            if (read == 0) throw new EndOfStreamException($"EOF after {got} of {count} bytes");
            got += read;
        }
        return buffer;
    }

    private static async Task<(WebSocketMessageType Type, string Text)> ReceiveTextAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var message = new MemoryStream();
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return (result.MessageType, Encoding.UTF8.GetString(message.ToArray()));
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Compares without dumping megabytes into the failure message.</summary>
    private static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        if (expected.AsSpan().SequenceEqual(actual)) return;
        int common = Math.Min(expected.Length, actual.Length);
        int first = expected.AsSpan(0, common).CommonPrefixLength(actual.AsSpan(0, common));
        Assert.Fail($"{what}: expected {expected.Length} bytes, got {actual.Length}; first difference at byte {first}");
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static async Task Eventually(Func<bool> condition, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Bound) Assert.Fail($"not within {Bound.TotalSeconds} s: {describe()}");
            await Task.Delay(10);
        }
    }
}
