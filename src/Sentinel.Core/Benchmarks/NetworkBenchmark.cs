using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sentinel.Benchmarks;

/// <summary>
/// Throughput and round-trip time between this machine and a master, over the master's /ws/net endpoint
/// (the same port agents already reach, so no firewall change). Upload is counted by the master, download
/// by this side; both over one TCP connection, for <c>seconds</c> each. Mbps are 10^6 bits per second.
/// </summary>
public sealed class NetworkBenchmark : IBenchmark
{
    private const int ChunkBytes = 64 << 10;

    public string Name => "Network";

    public string Description => "Round-trip time, upload and download throughput between this machine and the master (Mbps = 10^6 bit/s).";

    public IReadOnlyList<BenchmarkParameterInfo> Parameters { get; } =
    [
        new("target", "the master that sent the run", "The master to measure against (http://host:port); needed when run without a master."),
        new("seconds", "5", "How long to send, and then receive (0.5 to 60)."),
        new("pings", "50", "Round trips timed, with small messages (1 to 10000)."),
    ];

    public async Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        p.RefuseUnknown(Name, Parameters);
        var seconds = p.Double("seconds", 5, 0.5, 60);
        var pings = p.Int("pings", 50, 1, 10_000);
        Uri target;
        if (p.Text("target") is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != "http" && parsed.Scheme != "https"))
                throw new BenchmarkParameterException("target", text, "an http:// or https:// URL of a master");
            target = parsed;
        }
        else
        {
            target = context.Master ?? throw new BenchmarkParameterException("target", "", "a master's URL: run Network through a master, or give target=http://host:port");
        }
        var endpoint = new UriBuilder(target) { Scheme = target.Scheme == "https" ? "wss" : "ws" };
        endpoint.Path = endpoint.Path.TrimEnd('/') + "/ws/net";

        if (context.Trust.ClearTextProblem(target, context.Token is not null) is { } clear)
        {
            throw new InvalidOperationException(clear);
        }
        var certificates = context.Trust.CreateCheck();
        using var ws = new ClientWebSocket();
        ws.Options.RemoteCertificateValidationCallback = certificates.Validate;
        if (context.Token is { } token) ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await ws.ConnectAsync(endpoint.Uri, connect.Token).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                var why = certificates.LastRefusal is { } refused ? "its certificate was refused: " + refused : e.Message;
                throw new InvalidOperationException($"cannot reach {endpoint.Uri}: {why}", e);
            }
        }
        var buffer = new byte[ChunkBytes];

        // Round trips: small text frames, one at a time.
        var rtts = new List<double>(pings);
        for (int i = 0; i < pings; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            await SendText(ws, "{\"op\":\"ping\"}", cancellationToken).ConfigureAwait(false);
            await ReceiveText(ws, buffer, cancellationToken).ConfigureAwait(false);
            rtts.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (i % 10 == 0) context.Report(0.05 * i / pings, $"round trips {i} of {pings}");
        }

        // Upload: binary frames for the duration; the master says what it received and over how long.
        context.Report(0.05, "upload");
        var payload = new byte[ChunkBytes];
        Random.Shared.NextBytes(payload);
        await SendText(ws, "{\"op\":\"upload\"}", cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            await ws.SendAsync(payload, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
            context.Report(0.05 + 0.45 * watch.Elapsed.TotalSeconds / seconds, "upload");
        }
        await SendText(ws, "{\"op\":\"end\"}", cancellationToken).ConfigureAwait(false);
        using (var received = JsonDocument.Parse(await ReceiveText(ws, buffer, cancellationToken).ConfigureAwait(false)))
        {
            var uploadBytes = received.RootElement.GetProperty("bytes").GetInt64();
            var uploadSeconds = received.RootElement.GetProperty("seconds").GetDouble();
            watch.Restart();
            context.Report(0.5, "download");
            await SendText(ws, FormattableString.Invariant($"{{\"op\":\"download\",\"seconds\":{seconds}}}"), cancellationToken).ConfigureAwait(false);
            long downloadBytes = 0;
            long firstByte = 0;
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("the master closed the network test");
                if (r.MessageType == WebSocketMessageType.Binary)
                {
                    if (firstByte == 0) firstByte = Stopwatch.GetTimestamp();
                    downloadBytes += r.Count;
                    if ((downloadBytes & ((1 << 24) - 1)) < r.Count) context.Report(0.5 + 0.5 * Math.Min(1, watch.Elapsed.TotalSeconds / seconds), "download");
                    continue;
                }
                break; // {"op":"done"}
            }
            double downloadSeconds = firstByte == 0 ? 0 : Stopwatch.GetElapsedTime(firstByte).TotalSeconds;
            try
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", close.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }

            var sorted = rtts.Order().ToList();
            double Percentile(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
            var values = new Dictionary<string, double>
            {
                ["rttMedianMs"] = Percentile(0.5),
                ["rttP99Ms"] = Percentile(0.99),
                ["uploadMbps"] = uploadSeconds > 0 ? uploadBytes * 8 / uploadSeconds / 1e6 : 0,
                ["downloadMbps"] = downloadSeconds > 0 ? downloadBytes * 8 / downloadSeconds / 1e6 : 0,
                ["uploadBytes"] = uploadBytes,
                ["downloadBytes"] = downloadBytes,
            };
            var warnings = new List<string>();
            if (target.IsLoopback || endpoint.Host is "127.0.0.1" or "localhost" or "[::1]")
            {
                warnings.Add("measured over loopback: this is the machine's own network stack, not a network");
            }
            return new BenchmarkResult
            {
                Benchmark = Name,
                Machine = context.Inventory.HostName,
                Values = values,
                Spread = new() { ["rttMs"] = BenchmarkSpread.Of(rtts) },
                Parameters = new()
                {
                    ["target"] = target.ToString(),
                    ["seconds"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["pings"] = pings.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                Warnings = warnings,
            };
        }
    }

    private static Task SendText(ClientWebSocket ws, string text, CancellationToken ct)
        => ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);

    private static async Task<string> ReceiveText(ClientWebSocket ws, byte[] buffer, CancellationToken ct)
    {
        int total = 0;
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException($"the master closed the network test ({ws.CloseStatusDescription})");
            if (r.MessageType == WebSocketMessageType.Binary) continue; // the tail of a download
            total += r.Count;
            if (r.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, total);
            if (total >= buffer.Length) throw new InvalidOperationException("the master's answer is too long");
        }
    }
}
