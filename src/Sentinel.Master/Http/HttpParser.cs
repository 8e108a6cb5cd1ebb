using System.Text;

namespace Sentinel.Master.Http;

/// <summary>A request the server refuses, with the status to answer.</summary>
public sealed class HttpRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Parses an HTTP/1.1 request head (RFC 9112) strictly: what a browser, curl, HttpClient or Prometheus
/// sends. Anything ambiguous (obsolete line folding, a bare CR, both Content-Length and
/// Transfer-Encoding, duplicate Content-Length) is refused, which is what keeps request smuggling out.
/// </summary>
public static class HttpParser
{
    public const int MaxHeadBytes = 16 * 1024;
    public const int MaxHeaders = 100;

    /// <summary>Where the head ends (the index just past CRLF CRLF), or -1 when not yet complete.</summary>
    public static int FindEndOfHead(ReadOnlySpan<byte> data)
    {
        int i = data.IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }

    public static (string Method, string Target, Dictionary<string, string> Headers, bool KeepAlive, long ContentLength) ParseHead(ReadOnlySpan<byte> head)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(head);
        }
        catch (DecoderFallbackException)
        {
            throw new HttpRefusedException(400, "the request head is not valid UTF-8");
        }
        var lines = text.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0].Length == 0 || requestLine[1].Length == 0)
        {
            throw new HttpRefusedException(400, "the request line must be 'METHOD target HTTP/1.1'");
        }
        var (method, target, version) = (requestLine[0], requestLine[1], requestLine[2]);
        if (version != "HTTP/1.1" && version != "HTTP/1.0")
        {
            throw new HttpRefusedException(505, $"HTTP version '{Truncate(version)}' is not supported");
        }
        if (!method.All(c => c is >= 'A' and <= 'Z'))
        {
            throw new HttpRefusedException(400, "the method must be upper-case letters");
        }
        if (target[0] != '/' || target.Any(c => c <= ' ' || c == 0x7f))
        {
            throw new HttpRefusedException(400, "the request target must be an absolute path");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0) continue; // the final empty lines
            if (line[0] is ' ' or '\t')
            {
                throw new HttpRefusedException(400, "obsolete header line folding is not accepted");
            }
            int colon = line.IndexOf(':');
            if (colon <= 0 || line[..colon].Any(c => c <= ' ' || c == 0x7f || c == ':'))
            {
                throw new HttpRefusedException(400, $"malformed header line '{Truncate(line)}'");
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (value.Any(c => c == '\r' || c == '\n' || c == '\0'))
            {
                throw new HttpRefusedException(400, $"header '{Truncate(name)}' has a control character");
            }
            if (headers.Count >= MaxHeaders)
            {
                throw new HttpRefusedException(431, $"more than {MaxHeaders} headers");
            }
            if (headers.TryGetValue(name, out var existing))
            {
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
                {
                    throw new HttpRefusedException(400, $"duplicate {name} header");
                }
                headers[name] = existing + ", " + value;
            }
            else
            {
                headers[name] = value;
            }
        }

        if (headers.ContainsKey("Transfer-Encoding"))
        {
            throw new HttpRefusedException(headers.ContainsKey("Content-Length") ? 400 : 411,
                "chunked request bodies are not accepted; send a Content-Length");
        }
        long contentLength = 0;
        if (headers.TryGetValue("Content-Length", out var cl)
            && (!long.TryParse(cl, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out contentLength) || contentLength < 0))
        {
            throw new HttpRefusedException(400, "Content-Length must be a non-negative integer");
        }
        if (version == "HTTP/1.1" && !headers.ContainsKey("Host"))
        {
            throw new HttpRefusedException(400, "an HTTP/1.1 request needs a Host header");
        }
        var connection = headers.GetValueOrDefault("Connection") ?? "";
        bool keepAlive = version == "HTTP/1.1"
            ? !connection.Split(',').Any(t => t.Trim().Equals("close", StringComparison.OrdinalIgnoreCase))
            : connection.Split(',').Any(t => t.Trim().Equals("keep-alive", StringComparison.OrdinalIgnoreCase));
        return (method, target, headers, keepAlive, contentLength);
    }

    private static string Truncate(string s) => s.Length > 64 ? s[..64] + "…" : s;
}
