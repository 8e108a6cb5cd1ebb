using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Sentinel.Master.Http;

/// <summary>One request on a connection: the request, and one way to answer it (a response or a WebSocket).</summary>
public sealed class HttpContext
{
    private readonly Stream _stream;
    private readonly ReadOnlyMemory<byte> _leftover;
    private readonly Socket? _socket;

    internal HttpContext(HttpRequest request, Stream stream, ReadOnlyMemory<byte> leftover, Socket? socket = null)
    {
        Request = request;
        _stream = stream;
        _leftover = leftover;
        _socket = socket;
    }

    public HttpRequest Request { get; }
    public bool Responded { get; private set; }
    public bool Upgraded { get; private set; }

    /// <summary>Writes a complete response. Security headers every Sentinel response carries are added here.</summary>
    public async Task RespondAsync(int status, string contentType, ReadOnlyMemory<byte> body, IReadOnlyDictionary<string, string>? headers = null, CancellationToken cancellationToken = default)
    {
        if (Responded || Upgraded) throw new InvalidOperationException("this request was already answered");
        Responded = true;
        var head = new StringBuilder(256);
        head.Append("HTTP/1.1 ").Append(status).Append(' ').Append(Reason(status)).Append("\r\n");
        head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        head.Append("Connection: ").Append(Request.KeepAlive ? "keep-alive" : "close").Append("\r\n");
        head.Append("X-Content-Type-Options: nosniff\r\n");
        if (headers is null || !headers.ContainsKey("Cache-Control"))
        {
            head.Append("Cache-Control: no-store\r\n");
        }
        if (headers is not null)
        {
            foreach (var (k, v) in headers)
            {
                if (k.AsSpan().IndexOfAny("\r\n") >= 0 || v.AsSpan().IndexOfAny("\r\n") >= 0)
                    throw new ArgumentException("response headers cannot contain CR or LF", nameof(headers));
                head.Append(k).Append(": ").Append(v).Append("\r\n");
            }
        }
        head.Append("\r\n");
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        if (Request.Method != "HEAD" && body.Length > 0)
        {
            await _stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// For a handler that holds its request open (a long-poll): returns once the client has closed the connection, or once
    /// <paramref name="cancellationToken"/> fires (the handler is done waiting), whichever is first. It peeks at the socket,
    /// taking no bytes, so the connection serves the next request as usual. Bytes arriving (a pipelined request, TLS records)
    /// are not a close: the wait then simply runs its course. Never throws.
    /// </summary>
    public async Task ClientClosedAsync(CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            return;
        }
        var one = new byte[1];
        try
        {
            if (await _socket.ReceiveAsync(one, SocketFlags.Peek, cancellationToken).ConfigureAwait(false) == 0) return;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return; // reset, or already closed: gone either way
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    /// <summary>Completes the WebSocket handshake (RFC 6455) and returns the server side of the socket.</summary>
    public async Task<WebSocket> AcceptWebSocketAsync(TimeSpan keepAlive, CancellationToken cancellationToken = default)
    {
        if (!Request.IsWebSocketRequest) throw new InvalidOperationException("not a WebSocket request");
        if (Request.Header("Sec-WebSocket-Version") != "13")
        {
            await RespondAsync(426, "text/plain; charset=utf-8", "WebSocket version 13 is required"u8.ToArray(),
                new Dictionary<string, string> { ["Sec-WebSocket-Version"] = "13" }, cancellationToken).ConfigureAwait(false);
            throw new HttpRefusedException(426, "unsupported WebSocket version");
        }
        var key = Request.Header("Sec-WebSocket-Key");
        Span<byte> decoded = stackalloc byte[24];
        if (key is null || !Convert.TryFromBase64String(key, decoded, out int n) || n != 16)
        {
            await RespondAsync(400, "text/plain; charset=utf-8", "Sec-WebSocket-Key is missing or malformed"u8.ToArray(), null, cancellationToken).ConfigureAwait(false);
            throw new HttpRefusedException(400, "bad Sec-WebSocket-Key");
        }
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        Upgraded = true;
        var head = $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n";
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        // A client may send its first frame right behind the handshake: those bytes were already read.
        var stream = _leftover.IsEmpty ? _stream : new PrefixedStream(_leftover, _stream);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = keepAlive });
    }

    internal static string Reason(int status) => status switch
    {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    };
}

/// <summary>A stream that first returns bytes already read from the inner stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_prefix.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }
        return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
