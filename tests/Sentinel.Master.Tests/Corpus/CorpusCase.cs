using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>
/// One hostile input from Corpus/*.jsonl: where it goes, what it is, and what the master must answer.
/// <c>to</c>: agent-first (the first frame on /ws/agent), agent (after an accepted hello), viewer (on /ws),
/// ws-raw (raw bytes after the /ws/agent handshake), http (raw request bytes).
/// The input is <c>text</c> or <c>base64</c>; <c>{{PAD}}</c> in a text (or the end of base64 bytes) takes
/// <c>repeat</c> × <c>times</c>, for the huge and deeply nested cases. <c>times</c> alone sends the frame that
/// many times (floods); <c>frames</c> sends several different frames.
/// </summary>
public sealed class CorpusCase
{
    public required string Name { get; init; }
    public required string To { get; init; }
    public string? Text { get; init; }
    public string? Base64 { get; init; }
    public string? Repeat { get; init; }
    public int Times { get; init; }
    public bool Binary { get; init; }
    public long? SeqFrom { get; init; }
    public List<string>? Frames { get; init; }
    public required CorpusExpect Expect { get; init; }
    /// <summary>The file it came from.</summary>
    public string File { get; set; } = "";

    public override string ToString() => $"{Path.GetFileNameWithoutExtension(File)}: {Name}";

    /// <summary>The bytes of one frame (or request).</summary>
    public byte[] Bytes()
    {
        var pad = Repeat is null ? "" : Repeat.Length == 1 ? new string(Repeat[0], Times) : string.Concat(Enumerable.Repeat(Repeat, Times));
        if (Base64 is not null)
        {
            return [.. Convert.FromBase64String(Base64), .. Encoding.UTF8.GetBytes(pad)];
        }
        return Encoding.UTF8.GetBytes((Text ?? "").Replace("{{PAD}}", pad, StringComparison.Ordinal));
    }

    /// <summary>How many times the frame is sent (floods); 1 otherwise. <c>times</c> with <c>repeat</c> is the pad length instead.</summary>
    public int Count => Repeat is null && Times > 0 ? Times : 1;

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Corpus");

    public static List<CorpusCase> Load()
    {
        var all = new List<CorpusCase>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.jsonl").Order(StringComparer.Ordinal))
        {
            foreach (var line in System.IO.File.ReadLines(file).Where(l => l.Trim().Length > 0))
            {
                var c = JsonSerializer.Deserialize<CorpusCase>(line, Options) ?? throw new InvalidDataException($"{file}: a null case");
                c.File = Path.GetFileName(file);
                all.Add(c);
            }
        }
        return all;
    }
}

/// <summary>What the master must do. Unset parts are not checked, except that an agent connection without <see cref="Close"/> must stay open.</summary>
public sealed class CorpusExpect
{
    /// <summary>An error frame with this code must arrive.</summary>
    public string? Error { get; init; }
    /// <summary>The master must close with this code; unset for agent cases: it must stay open.</summary>
    public int? Close { get; init; }
    /// <summary>HTTP status of the (first) response.</summary>
    public int? Status { get; init; }
    /// <summary>An ack of at least this seq must arrive.</summary>
    public long? Ack { get; init; }
    /// <summary>The hello is accepted.</summary>
    public bool Welcome { get; init; }
    /// <summary>No error frame at all.</summary>
    public bool None { get; init; }
    /// <summary>Viewer: the connection is still open afterwards (answers a close with 1000).</summary>
    public bool Open { get; init; }
}

/// <summary>What the master did with one input.</summary>
public sealed record CorpusOutcome
{
    public List<string> Errors { get; } = [];
    public int? Close { get; set; }
    public string? CloseReason { get; set; }
    public bool Open { get; set; }
    public long MaxAck { get; set; }
    public bool Welcome { get; set; }
    public int? Status { get; set; }
    public string Note { get; set; } = "";

    public override string ToString()
        => $"errors [{string.Join(", ", Errors)}], close {Close?.ToString() ?? "-"} {CloseReason}, open {Open}, ack {MaxAck}, welcome {Welcome}, status {Status?.ToString() ?? "-"} {Note}";
}

/// <summary>Sends a corpus case (or a fuzzed mutation of one) to a master and records what came back, within bounded waits.</summary>
internal static class CorpusRunner
{
    public const string ProbeType = "corpus-probe";
    private static readonly byte[] Probe = Encoding.UTF8.GetBytes($"{{\"v\":1,\"type\":\"{ProbeType}\",\"data\":{{}}}}");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    public static Task<CorpusOutcome> RunAsync(Uri master, CorpusCase c)
    {
        var frames = c.Frames is { } list ? list.Select(Encoding.UTF8.GetBytes).ToList() : null;
        if (frames is null)
        {
            var one = c.Bytes();
            frames = [];
            for (int i = 0; i < c.Count; i++)
            {
                frames.Add(c.SeqFrom is { } from ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(one).Replace("\"seq\":1,", $"\"seq\":{from + i},", StringComparison.Ordinal)) : one);
            }
        }
        return RunAsync(master, c.To, frames, c.Binary, c.Expect.Ack);
    }

    public static async Task<CorpusOutcome> RunAsync(Uri master, string to, List<byte[]> frames, bool binary, long? waitForAck = null) => to switch
    {
        "agent-first" => await Agent(master, hello: false, frames, binary, waitForAck),
        "agent" => await Agent(master, hello: true, frames, binary, waitForAck),
        "viewer" => await Viewer(master, frames, binary),
        "ws-raw" => await RawWebSocket(master, frames.SelectMany(f => f).ToArray()),
        "http" => await Http(master, frames.SelectMany(f => f).ToArray()),
        _ => throw new InvalidDataException($"unknown destination '{to}'"),
    };

    /// <summary>Checks an outcome against the case's expectation; null when it matches.</summary>
    public static string? Mismatch(CorpusCase c, CorpusOutcome o)
    {
        var e = c.Expect;
        var problems = new List<string>();
        if (e.Status is { } status && o.Status != status) problems.Add($"status {status} expected");
        if (e.Error is { } code && !o.Errors.Contains(code)) problems.Add($"error '{code}' expected");
        if (e.None && o.Errors.Count > 0) problems.Add("no error expected");
        if (e.Ack is { } ack && o.MaxAck < ack) problems.Add($"ack {ack} expected");
        if (e.Welcome && !o.Welcome) problems.Add("welcome expected");
        if (c.To is "agent" or "agent-first" or "ws-raw" or "viewer")
        {
            if (e.Close is { } close && o.Close != close) problems.Add($"close {close} expected");
            if (e.Open && !o.Open) problems.Add("the viewer should stay open");
            if (c.To is "agent" && e.Close is null && !o.Open) problems.Add("the connection should stay open");
        }
        return problems.Count == 0 ? null : $"{string.Join("; ", problems)}; got {o}";
    }

    private static async Task<CorpusOutcome> Agent(Uri master, bool hello, List<byte[]> frames, bool binary, long? waitForAck)
    {
        var o = new CorpusOutcome();
        await using var peer = await RawPeer.ConnectAsync(master);
        if (hello)
        {
            await peer.SendHello(RawPeer.HelloFor("corpus-agent", "corpus-agent-host"));
            Assert.NotNull(await peer.ReceiveType(MessageTypes.Welcome));
        }
        using var deadline = new CancellationTokenSource(Bound);
        try
        {
            foreach (var f in frames)
            {
                if (peer.Socket.State != WebSocketState.Open) break;
                await peer.Socket.SendAsync(f, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, deadline.Token);
            }
            if (peer.Socket.State == WebSocketState.Open)
            {
                await peer.Socket.SendAsync(Probe, WebSocketMessageType.Text, true, deadline.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The master may close while a big frame or a flood is still being written.
        }
        await Collect(peer, o, waitForAck, deadline.Token);
        return o;
    }

    private static async Task Collect(RawPeer peer, CorpusOutcome o, long? waitForAck, CancellationToken ct)
    {
        var reader = new WebSocketReader(peer.Socket, 8 << 20);
        bool probed = false;
        try
        {
            while (!(probed && (waitForAck is null || o.MaxAck >= waitForAck)))
            {
                var kind = await reader.ReceiveAsync(ct);
                if (kind != FrameKind.Text)
                {
                    o.Close = (int?)peer.Socket.CloseStatus;
                    o.CloseReason = peer.Socket.CloseStatusDescription;
                    return;
                }
                var env = Frames.Read(reader.Message.Span);
                switch (env.Type)
                {
                    case MessageTypes.Error:
                        var error = env.Read(SentinelJsonContext.Default.ErrorMessage, "x");
                        Assert.False(string.IsNullOrWhiteSpace(error.Message), "an error frame without a message");
                        if (error.Code == ErrorCodes.UnknownType && error.Message.Contains(ProbeType, StringComparison.Ordinal)) probed = true;
                        else o.Errors.Add(error.Code);
                        break;
                    case MessageTypes.Ack:
                        o.MaxAck = Math.Max(o.MaxAck, env.Read(SentinelJsonContext.Default.Ack, "x").Seq);
                        break;
                    case MessageTypes.Welcome:
                        o.Welcome = true;
                        break;
                }
            }
            o.Open = true;
        }
        catch (OperationCanceledException)
        {
            o.Note = "timed out: neither an answer to the probe nor a close";
        }
        catch (WebSocketException e)
        {
            o.Note = "the connection broke without a close: " + e.Message;
        }
    }

    private static async Task<CorpusOutcome> Viewer(Uri master, List<byte[]> frames, bool binary)
    {
        var o = new CorpusOutcome();
        await using var peer = await RawPeer.ConnectAsync(master, "ws");
        using var deadline = new CancellationTokenSource(Bound);
        Assert.Equal(MessageTypes.Snapshot, (await peer.Receive())?.Type);
        try
        {
            foreach (var f in frames)
            {
                await peer.Socket.SendAsync(f, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, deadline.Token);
            }
            // A close after the frames: a master that still listens answers it with 1000 "bye".
            await peer.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", deadline.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or InvalidOperationException)
        {
        }
        var reader = new WebSocketReader(peer.Socket, 8 << 20);
        try
        {
            while (await reader.ReceiveAsync(deadline.Token) != FrameKind.Close) { }
            o.Close = (int?)peer.Socket.CloseStatus;
            o.CloseReason = peer.Socket.CloseStatusDescription;
            o.Open = o.Close == 1000 && o.CloseReason == "bye";
        }
        catch (OperationCanceledException)
        {
            o.Note = "timed out waiting for the viewer's close";
        }
        catch (WebSocketException e)
        {
            o.Note = "the connection broke without a close: " + e.Message;
        }
        return o;
    }

    private static async Task<Socket> ConnectRaw(Uri master)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(master.Host, master.Port);
        return s;
    }

    private static async Task<CorpusOutcome> Http(Uri master, byte[] request)
    {
        var o = new CorpusOutcome();
        using var s = await ConnectRaw(master);
        using var deadline = new CancellationTokenSource(Bound);
        try
        {
            await s.SendAsync(request, SocketFlags.None, deadline.Token);
        }
        catch (SocketException)
        {
            // Refused before the whole request was written (a huge head): the answer is still there to read.
        }
        var got = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            while (!Encoding.ASCII.GetString(got.ToArray()).Contains("\r\n", StringComparison.Ordinal))
            {
                int n = await s.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (n == 0) break;
                got.Write(buffer, 0, n);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            o.Note = "no answer: " + e.Message;
        }
        var line = Encoding.ASCII.GetString(got.ToArray()).Split("\r\n")[0];
        if (line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(9, 3), out var status))
        {
            o.Status = status;
        }
        else
        {
            o.Note += $" first line: '{line}'";
        }
        return o;
    }

    private static async Task<CorpusOutcome> RawWebSocket(Uri master, byte[] bytes)
    {
        var o = new CorpusOutcome();
        using var s = await ConnectRaw(master);
        using var deadline = new CancellationTokenSource(Bound);
        await s.SendAsync(Encoding.ASCII.GetBytes("GET /ws/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), SocketFlags.None, deadline.Token);
        var data = new List<byte>();
        var buffer = new byte[65536];
        async Task<bool> More()
        {
            int n = await s.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            data.AddRange(buffer.AsSpan(0, n).ToArray());
            return n > 0;
        }
        try
        {
            int end;
            while ((end = HeadEnd(data)) < 0)
            {
                if (!await More()) { o.Note = "closed during the handshake"; return o; }
            }
            Assert.StartsWith("HTTP/1.1 101 ", Encoding.ASCII.GetString(data.ToArray(), 0, end));
            data.RemoveRange(0, end);
            try
            {
                await s.SendAsync(bytes, SocketFlags.None, deadline.Token);
            }
            catch (SocketException)
            {
            }
            // Server frames are never masked: FIN/opcode, length, payload.
            while (true)
            {
                int opcode;
                byte[] payload;
                while (!TryFrame(data, out opcode, out payload))
                {
                    if (!await More()) { o.Note = "the connection ended without a close frame"; return o; }
                }
                if (opcode == 8)
                {
                    o.Close = payload.Length >= 2 ? payload[0] << 8 | payload[1] : 1005;
                    o.CloseReason = payload.Length > 2 ? Encoding.UTF8.GetString(payload, 2, payload.Length - 2) : "";
                    return o;
                }
                if (opcode == 1)
                {
                    var env = Frames.Read(payload);
                    if (env.Type == MessageTypes.Error) o.Errors.Add(env.Read(SentinelJsonContext.Default.ErrorMessage, "x").Code);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            o.Note = "no close frame: " + e.Message;
            return o;
        }
    }

    private static int HeadEnd(List<byte> data)
    {
        for (int i = 0; i + 3 < data.Count; i++)
        {
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') return i + 4;
        }
        return -1;
    }

    private static bool TryFrame(List<byte> data, out int opcode, out byte[] payload)
    {
        opcode = 0;
        payload = [];
        if (data.Count < 2) return false;
        opcode = data[0] & 0x0f;
        long length = data[1] & 0x7f;
        int at = 2;
        if (length == 126)
        {
            if (data.Count < 4) return false;
            length = data[2] << 8 | data[3];
            at = 4;
        }
        else if (length == 127)
        {
            if (data.Count < 10) return false;
            length = 0;
            for (int i = 2; i < 10; i++) length = length << 8 | data[i];
            at = 10;
        }
        if (data.Count < at + length) return false;
        payload = data.GetRange(at, (int)length).ToArray();
        data.RemoveRange(0, at + (int)length);
        return true;
    }
}
