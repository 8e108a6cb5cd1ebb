using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sentinel.Master.Http;

namespace Sentinel.Master;

/// <summary>
/// /ws/net: the master's side of the Network benchmark. Text requests, binary payload:
/// <c>{"op":"ping"}</c> is echoed at once (round-trip time); <c>{"op":"download","seconds":s}</c> is answered
/// with binary frames for s seconds, then <c>{"op":"done","bytes":n}</c>; <c>{"op":"upload"}</c> is followed
/// by binary frames and <c>{"op":"end"}</c>, answered with <c>{"op":"received","bytes":n,"seconds":s}</c>
/// as the master counted them. Agents with the master's agent token only, a few at a time.
/// </summary>
internal sealed class NetTestEndpoint(MasterContext ctx)
{
    private const int MaxConcurrent = 4;
    private const int ChunkBytes = 64 << 10;
    private static readonly TimeSpan MaxSeconds = TimeSpan.FromSeconds(60);
    private int _active;

    public async Task RunAsync(HttpContext http, CancellationToken ct)
    {
        if (ctx.Auth.AgentTokenRequired)
        {
            var auth = http.Request.Header("Authorization");
            var given = auth is not null && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : null;
            if (!ctx.Auth.AgentTokenValid(given))
            {
                await Api.Error(http, 401, "unauthorized", "the network test needs the master's agent token (Authorization: Bearer …)").ConfigureAwait(false);
                return;
            }
        }
        if (Interlocked.Increment(ref _active) > MaxConcurrent)
        {
            Interlocked.Decrement(ref _active);
            await Api.Error(http, 503, "busy", $"{MaxConcurrent} network tests are running; try again shortly").ConfigureAwait(false);
            return;
        }
        try
        {
            using var ws = await http.AcceptWebSocketAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            await ServeAsync(ws, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private static async Task ServeAsync(WebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[ChunkBytes];
        var payload = new byte[ChunkBytes];
        Random.Shared.NextBytes(payload); // incompressible, should anything on the path compress
        long uploaded = 0;
        long uploadStarted = 0;
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct).ConfigureAwait(false);
                return;
            }
            if (r.MessageType == WebSocketMessageType.Binary)
            {
                if (uploadStarted == 0) uploadStarted = Stopwatch.GetTimestamp();
                uploaded += r.Count;
                continue;
            }
            if (!r.EndOfMessage || r.Count > 1024)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "requests are small JSON objects", ct).ConfigureAwait(false);
                return;
            }
            string op;
            double seconds = 0;
            try
            {
                using var doc = JsonDocument.Parse(buffer.AsMemory(0, r.Count));
                op = doc.RootElement.GetProperty("op").GetString() ?? "";
                if (doc.RootElement.TryGetProperty("seconds", out var s) && s.TryGetDouble(out var v)) seconds = v;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "bad request", ct).ConfigureAwait(false);
                return;
            }
            switch (op)
            {
                case "ping":
                    await ws.SendAsync(buffer.AsMemory(0, r.Count), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                    break;
                case "download":
                    var duration = TimeSpan.FromSeconds(Math.Clamp(seconds, 0.1, MaxSeconds.TotalSeconds));
                    long sent = 0;
                    var watch = Stopwatch.StartNew();
                    while (watch.Elapsed < duration)
                    {
                        await ws.SendAsync(payload, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
                        sent += payload.Length;
                    }
                    await SendText(ws, $"{{\"op\":\"done\",\"bytes\":{sent}}}", ct).ConfigureAwait(false);
                    break;
                case "upload":
                    uploaded = 0;
                    uploadStarted = 0;
                    break;
                case "end":
                    double took = uploadStarted == 0 ? 0 : Stopwatch.GetElapsedTime(uploadStarted).TotalSeconds;
                    await SendText(ws, FormattableString.Invariant($"{{\"op\":\"received\",\"bytes\":{uploaded},\"seconds\":{took:R}}}"), ct).ConfigureAwait(false);
                    break;
                default:
                    await ws.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "unknown op", ct).ConfigureAwait(false);
                    return;
            }
        }
    }

    private static Task SendText(WebSocket ws, string text, CancellationToken ct)
        => ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
}
