using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sentinel.Master.Http;

/// <summary>Limits and timeouts of the HTTP front.</summary>
public sealed record HttpServerOptions
{
    /// <summary>Largest request body accepted (REST requests are small).</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;
    /// <summary>A client must send a whole request head within this time once it starts (slow clients are cut off).</summary>
    public TimeSpan HeadTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>An idle keep-alive connection is closed after this.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Connections beyond this are closed at once.</summary>
    public int MaxConnections { get; init; } = 20_000;
    public int Backlog { get; init; } = 4096;
    /// <summary>Serve TLS (1.2 or 1.3) with this certificate and its private key; null for plain HTTP. The handshake
    /// must finish within <see cref="HeadTimeout"/>.</summary>
    public X509Certificate2? Certificate { get; init; }
}

public delegate Task HttpHandler(HttpContext context, CancellationToken cancellationToken);

/// <summary>
/// A small HTTP/1.1 server on a plain socket: strict request parsing, keep-alive, body and head limits,
/// WebSocket upgrades. Sentinel's own, because the managed HttpListener on Linux crashes when a client
/// connects while it starts (dotnet/corefx#35191), which is exactly what a master restarting under a
/// fleet of reconnecting agents faces.
/// </summary>
public sealed class HttpServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly HttpHandler _handler;
    private readonly HttpServerOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private Task? _accept;
    private readonly SslStreamCertificateContext? _tls;
    private int _active;
    private long _handshakeLogAt, _handshakeFailures;

    private HttpServer(Socket listener, HttpHandler handler, HttpServerOptions options, Action<string> log)
    {
        _listener = listener;
        _handler = handler;
        _options = options;
        _log = log;
        // Built once: the chain (intermediates) is resolved here, not per handshake.
        _tls = options.Certificate is { } cert ? SslStreamCertificateContext.Create(cert, additionalCertificates: null, offline: true) : null;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Binds and starts accepting. A bind failure (port in use, no such address) throws <see cref="SocketException"/>.</summary>
    public static HttpServer Start(IPEndPoint endpoint, HttpHandler handler, HttpServerOptions? options = null, Action<string>? log = null)
    {
        var server = Bind(endpoint, handler, options, log);
        server.Listen();
        return server;
    }

    /// <summary>
    /// Takes the port (a port in use throws <see cref="SocketException"/>) without accepting yet: until <see cref="Listen"/>,
    /// connection attempts are refused at once instead of piling up in the backlog, so clients that retry with jitter
    /// stay spread out while the server gets ready, instead of all being served in one burst when it is.
    /// </summary>
    public static HttpServer Bind(IPEndPoint endpoint, HttpHandler handler, HttpServerOptions? options = null, Action<string>? log = null)
    {
        options ??= new HttpServerOptions();
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No ReuseAddress here: on Linux .NET maps it to SO_REUSEPORT too, which would let a second master
            // share the port. .NET's default (SO_REUSEADDR) already allows rebinding over TIME_WAIT after a crash.
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.Bind(endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new HttpServer(socket, handler, options, log ?? (_ => { }));
    }

    /// <summary>Starts accepting connections.</summary>
    public void Listen()
    {
        if (_accept is not null) return;
        _listener.Listen(_options.Backlog);
        _accept = Task.Run(AcceptLoop);
    }

    private async Task AcceptLoop()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: keep serving the connections there are, and try again shortly.
                _log($"http: accept failed: {e.SocketErrorCode}");
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }
            if (Interlocked.Increment(ref _active) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _active);
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            var task = Task.Run(() => ServeAsync(client));
            _connections.TryAdd(task, 0);
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        var ct = _stopping.Token;
        var buffer = new byte[8192];
        int length = 0;
        bool upgraded = false;
        try
        {
            if (_tls is not null)
            {
                if (await HandshakeAsync(socket, stream, remote, ct).ConfigureAwait(false) is not { } ssl) return;
                stream = ssl;
            }
            while (!ct.IsCancellationRequested)
            {
                // The head: idle wait for its first byte, then a bounded time for the rest.
                int headEnd;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    timeout.CancelAfter(length == 0 ? _options.IdleTimeout : _options.HeadTimeout);
                    bool started = length > 0;
                    while ((headEnd = HttpParser.FindEndOfHead(buffer.AsSpan(0, length))) < 0)
                    {
                        if (length >= HttpParser.MaxHeadBytes)
                        {
                            await RefuseAsync(stream, 431, $"the request head is over {HttpParser.MaxHeadBytes} bytes").ConfigureAwait(false);
                            return;
                        }
                        if (length == buffer.Length)
                        {
                            Array.Resize(ref buffer, Math.Min(HttpParser.MaxHeadBytes, buffer.Length * 2));
                        }
                        int n;
                        try
                        {
                            n = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            if (started) await RefuseAsync(stream, 408, "the request head took too long").ConfigureAwait(false);
                            return;
                        }
                        if (n == 0) return;
                        length += n;
                        if (!started)
                        {
                            started = true;
                            timeout.CancelAfter(_options.HeadTimeout);
                        }
                    }
                }

                HttpRequest request;
                long contentLength;
                try
                {
                    var (method, target, headers, keepAlive, cl) = HttpParser.ParseHead(buffer.AsSpan(0, headEnd));
                    contentLength = cl;
                    if (contentLength > _options.MaxBodyBytes)
                    {
                        throw new HttpRefusedException(413, $"request bodies are limited to {_options.MaxBodyBytes} bytes");
                    }
                    int q = target.IndexOf('?');
                    var body = new byte[contentLength];
                    int have = Math.Min(length - headEnd, (int)contentLength);
                    buffer.AsSpan(headEnd, have).CopyTo(body);
                    using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        timeout.CancelAfter(_options.HeadTimeout);
                        while (have < contentLength)
                        {
                            int n;
                            try
                            {
                                n = await stream.ReadAsync(body.AsMemory(have), timeout.Token).ConfigureAwait(false);
                            }
                            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                            {
                                throw new HttpRefusedException(408, $"the request body took too long ({have} of {contentLength} bytes in {_options.HeadTimeout.TotalSeconds:0.#} s)");
                            }
                            if (n == 0) return;
                            have += n;
                        }
                    }
                    request = new HttpRequest
                    {
                        Method = method, RawTarget = target, Path = q < 0 ? target : target[..q], QueryString = q < 0 ? "" : target[(q + 1)..],
                        Headers = headers, Body = body, RemoteEndPoint = remote, KeepAlive = keepAlive,
                    };
                }
                catch (HttpRefusedException e)
                {
                    await RefuseAsync(stream, e.Status, e.Message).ConfigureAwait(false);
                    return;
                }

                // Whatever follows this request (a pipelined request, or WebSocket frames) stays for the next round.
                int consumed = headEnd + (int)Math.Min(contentLength, Math.Max(0, length - headEnd));
                var leftover = buffer.AsMemory(consumed, length - consumed).ToArray();
                var context = new HttpContext(request, stream, leftover, socket);
                await _handler(context, ct).ConfigureAwait(false);
                if (context.Upgraded)
                {
                    upgraded = true;
                    return; // the handler ran the WebSocket to its end
                }
                if (!context.Responded)
                {
                    await context.RespondAsync(500, "text/plain; charset=utf-8", "no response"u8.ToArray(), null, ct).ConfigureAwait(false);
                }
                if (!request.KeepAlive) return;
                leftover.CopyTo(buffer, 0);
                length = leftover.Length;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _log($"http: error serving {remote}: {e}");
        }
        finally
        {
            if (!upgraded)
            {
                try { socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            }
            await stream.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>The server side of TLS, bounded by the head timeout. Null when it failed (logged briefly, at most one
    /// line per ten seconds: a port scanner must not fill the log) or when a plain HTTP request came, which is told to use https.</summary>
    private async Task<SslStream?> HandshakeAsync(Socket socket, Stream stream, IPEndPoint? remote, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.HeadTimeout);
        SslStream? ssl = null;
        try
        {
            // A TLS record starts with 0x16 (handshake); a letter is someone speaking plain HTTP to the TLS port.
            var first = new byte[1];
            int n = await socket.ReceiveAsync(first, SocketFlags.Peek, timeout.Token).ConfigureAwait(false);
            if (n == 0) return null;
            if (first[0] is >= (byte)'A' and <= (byte)'Z')
            {
                await RefuseAsync(stream, 400, "this master speaks HTTPS: use https:// (and wss:// for WebSockets)").ConfigureAwait(false);
                return null;
            }
            ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _tls,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, timeout.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (ssl is not null) await ssl.DisposeAsync().ConfigureAwait(false);
            if (ct.IsCancellationRequested) return null;
            long failures = Interlocked.Increment(ref _handshakeFailures);
            long now = Environment.TickCount64, last = Interlocked.Read(ref _handshakeLogAt);
            if (now - last >= 10_000 && Interlocked.CompareExchange(ref _handshakeLogAt, now, last) == last)
            {
                var why = e is OperationCanceledException ? $"no handshake within {_options.HeadTimeout.TotalSeconds:0.#} s" : e.GetBaseException().Message;
                _log($"http: TLS handshake with {remote} failed: {why} ({failures} failed handshakes so far)");
            }
            return null;
        }
    }

    private static async Task RefuseAsync(Stream stream, int status, string message)
    {
        var body = Encoding.UTF8.GetBytes(message + "\n");
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {HttpContext.Reason(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await stream.WriteAsync(head.Concat(body).ToArray(), timeout.Token).ConfigureAwait(false); // one write: the refusal is one segment
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops accepting and ends every connection (handlers see their cancellation token fire).</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener.Dispose();
        if (_accept is not null) await _accept.ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(_connections.Keys), Task.Delay(grace ?? TimeSpan.FromSeconds(5))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
