using System.Net;

namespace Sentinel.Master.Http;

/// <summary>One parsed HTTP/1.1 request: the head, and the body when it had a Content-Length.</summary>
public sealed class HttpRequest
{
    public required string Method { get; init; }
    /// <summary>The request target as sent, e.g. /api/machines/x/metrics?since=…</summary>
    public required string RawTarget { get; init; }
    /// <summary>The path, percent-decoded per segment by the router, here still encoded.</summary>
    public required string Path { get; init; }
    public required string QueryString { get; init; }
    public required Dictionary<string, string> Headers { get; init; }
    public byte[] Body { get; init; } = [];
    public IPEndPoint? RemoteEndPoint { get; init; }
    public bool KeepAlive { get; init; }

    public string? Header(string name) => Headers.GetValueOrDefault(name);

    /// <summary>True for a WebSocket opening handshake (RFC 6455 §4.2.1).</summary>
    public bool IsWebSocketRequest
        => Method == "GET"
           && Header("Upgrade") is { } upgrade && upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase)
           && Header("Connection") is { } connection && connection.Split(',').Any(t => t.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase));

    private Dictionary<string, string>? _query;

    /// <summary>Query parameters, percent-decoded; the first of a repeated name wins.</summary>
    public Dictionary<string, string> Query => _query ??= ParseQuery(QueryString);

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            result.TryAdd(key, value);
        }
        return result;

        static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
    }
}
