using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Sentinel.Master.Http;

namespace Sentinel.Master.Tests;

/// <summary>Sentinel's HTTP/1.1 front on its own, with raw sockets where a well-behaved client would hide the point.</summary>
public class HttpServerTests
{
    private static Task Echo(HttpContext c, CancellationToken ct)
        => c.Request.IsWebSocketRequest ? EchoWebSocket(c, ct)
            : c.RespondAsync(200, "text/plain", Encoding.UTF8.GetBytes($"{c.Request.Method} {c.Request.Path} q={string.Join(",", c.Request.Query.Select(kv => kv.Key + "=" + kv.Value))} body={Encoding.UTF8.GetString(c.Request.Body)}"), null, ct);

    private static async Task EchoWebSocket(HttpContext c, CancellationToken ct)
    {
        using var ws = await c.AcceptWebSocketAsync(TimeSpan.FromSeconds(30), ct);
        var buffer = new byte[4096];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct);
                return;
            }
            await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct);
        }
    }

    private static HttpServer Start(HttpServerOptions? options = null) => HttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Echo, options);

    /// <summary>Sends raw bytes and reads until the server closes (or a timeout).</summary>
    private static async Task<string> Raw(HttpServer server, string request, int waitMs = 5000)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(server.LocalEndPoint);
        await s.SendAsync(Encoding.ASCII.GetBytes(request));
        var all = new MemoryStream();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(waitMs);
        try
        {
            int n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) all.Write(buffer, 0, n);
        }
        catch (OperationCanceledException) { }
        return Encoding.UTF8.GetString(all.ToArray());
    }

    [Fact]
    public async Task Answers_HttpClient_with_query_and_body()
    {
        await using var server = Start();
        using var http = new HttpClient();
        var url = $"http://127.0.0.1:{server.LocalEndPoint.Port}";
        Assert.Equal("GET /api/x q=since=2026-01-01T00:00:00Z,a=b c body=", await http.GetStringAsync(url + "/api/x?since=2026-01-01T00%3A00%3A00Z&a=b+c"));
        var post = await http.PostAsync(url + "/p", new StringContent("{\"k\":1}"));
        Assert.Equal("POST /p q= body={\"k\":1}", await post.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Keeps_the_connection_alive_and_answers_pipelined_requests_in_order()
    {
        await using var server = Start(new HttpServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        var text = await Raw(server, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nPOST /three HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /four HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var bodies = text.Split("\r\n\r\n").Skip(1).Select(b => b.Split("HTTP/1.1")[0]).ToList();
        Assert.Equal(["GET /one q= body=", "GET /two q= body=", "POST /three q= body=abc", "GET /four q= body="], bodies);
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505)]
    [InlineData("GET /x HTTP/1.1\r\n\r\n", 400)]                                              // no Host
    [InlineData("GET http://evil/x HTTP/1.1\r\nHost: x\r\n\r\n", 400)]                         // not an absolute path
    [InlineData("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411)]
    [InlineData("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400)]
    [InlineData("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400)]
    [InlineData("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: x\r\n folded: value\r\n\r\n", 400)]
    [InlineData("GET /x HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400)]
    [InlineData("get /x HTTP/1.1\r\nHost: x\r\n\r\n", 400)]
    public async Task Malformed_or_ambiguous_requests_are_refused_with_their_status(string request, int status)
    {
        await using var server = Start();
        var text = await Raw(server, request);
        Assert.StartsWith($"HTTP/1.1 {status} ", text);
        Assert.Contains("Connection: close", text);
    }

    [Fact]
    public async Task A_huge_head_gets_431_and_a_huge_body_413()
    {
        await using var server = Start(new HttpServerOptions { MaxBodyBytes = 1000 });
        Assert.StartsWith("HTTP/1.1 431 ", await Raw(server, "GET /x HTTP/1.1\r\nHost: x\r\nX-Pad: " + new string('a', 20_000) + "\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 413 ", await Raw(server, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
    }

    [Fact]
    public async Task A_client_that_sends_its_head_too_slowly_is_cut_off_with_408()
    {
        await using var server = Start(new HttpServerOptions { HeadTimeout = TimeSpan.FromMilliseconds(300) });
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(server.LocalEndPoint);
        await s.SendAsync(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHo"));
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        Assert.StartsWith("HTTP/1.1 408 ", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task A_client_that_sends_its_body_too_slowly_is_cut_off_with_408_naming_how_far_it_got()
    {
        await using var server = Start(new HttpServerOptions { HeadTimeout = TimeSpan.FromMilliseconds(300) });
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(server.LocalEndPoint);
        await s.SendAsync(Encoding.ASCII.GetBytes("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"));
        // The head and the body may arrive in separate reads: read until the server closes.
        var buffer = new byte[1024];
        var text = "";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            text += Encoding.ASCII.GetString(buffer, 0, n);
        }
        Assert.StartsWith("HTTP/1.1 408 ", text);
        Assert.Contains("10 of 100 bytes", text);
    }

    [Fact]
    public async Task A_websocket_frame_sent_with_the_handshake_is_not_lost()
    {
        await using var server = Start();
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(server.LocalEndPoint);
        var handshake = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        // A masked text frame "hi", in the same write as the handshake.
        byte[] mask = [1, 2, 3, 4];
        byte[] frame = [0x81, 0x82, .. mask, (byte)('h' ^ 1), (byte)('i' ^ 2)];
        byte[] both = [.. Encoding.ASCII.GetBytes(handshake), .. frame];
        await s.SendAsync(both);
        var received = new List<byte>();
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!Encoding.ASCII.GetString(received.ToArray()).Contains("\r\n\r\n") || received.Count < Encoding.ASCII.GetString(received.ToArray()).IndexOf("\r\n\r\n") + 8)
        {
            int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(n > 0, "the server closed the connection");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        var text = Encoding.ASCII.GetString(received.ToArray());
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols", text);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", text); // RFC 6455's worked example
        var echo = received.Skip(text.IndexOf("\r\n\r\n") + 4).ToArray();
        Assert.Equal([0x81, 0x02, (byte)'h', (byte)'i'], echo);
    }

    [Fact]
    public async Task Starts_every_time_while_clients_hammer_the_port()
    {
        // The managed HttpListener crashed here (dotnet/corefx#35191): a client connecting during Start.
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
        using var stop = new CancellationTokenSource();
        var hammer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try { await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)); } catch (SocketException) { await Task.Yield(); }
            }
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (int i = 0; i < 30; i++)
        {
            await using var server = HttpServer.Start(new IPEndPoint(IPAddress.Loopback, port), Echo);
            Assert.Equal("GET /ok q= body=", await http.GetStringAsync($"http://127.0.0.1:{port}/ok"));
        }
        stop.Cancel();
        await hammer;
    }

    [Fact]
    public async Task A_second_server_on_the_same_port_is_refused()
    {
        await using var server = Start();
        var e = Assert.Throws<SocketException>(() => HttpServer.Start(server.LocalEndPoint, Echo));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
    }
}
