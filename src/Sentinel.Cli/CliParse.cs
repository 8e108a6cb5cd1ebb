using System.Globalization;
using System.Net;

namespace Sentinel.Cli;

/// <summary>Parsing of the CLI's value formats, each failure naming the option and the bad value.</summary>
internal static class CliParse
{
    /// <summary>"127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8080", "localhost:8080": an address of this machine and a port.</summary>
    public static IPEndPoint Endpoint(string option, string text)
    {
        if (!TryParseHostPort(text, out var host, out var port, allowZero: true))
        {
            throw new CliException($"{option}: '{text}' is not ADDR:PORT (for example 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080)");
        }
        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        if (!IPAddress.TryParse(host, out var address) || !IsWholeAddress(host, address))
        {
            throw new CliException($"{option}: '{host}' is not an IP address (use 127.0.0.1, 0.0.0.0 or one of this machine's addresses)");
        }
        return new IPEndPoint(address, port);
    }

    /// <summary>"host:port" or "[v6]:port" where host may be a name.</summary>
    public static (string Host, int Port) HostPort(string option, string text)
        => TryParseHostPort(text, out var host, out var port, allowZero: false)
            ? (host, port)
            : throw new CliException($"{option}: '{text}' is not HOST:PORT (for example 127.0.0.1:13579)");

    /// <summary>Splits HOST:PORT or [IPv6]:PORT; the port is not optional.</summary>
    private static bool TryParseHostPort(string text, out string host, out int port, bool allowZero)
    {
        host = "";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0) return false;
        var hostPart = text[..colon];
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535 || (port == 0 && !allowZero))
            return false;
        if (hostPart.StartsWith('[') && hostPart.EndsWith(']'))
        {
            hostPart = hostPart[1..^1];
            if (!IPAddress.TryParse(hostPart, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return false;
        }
        // An unbracketed IPv6 address is ambiguous ("::1:80"), and whitespace means a quoting mistake.
        else if (hostPart.Contains(':') || hostPart.Contains('[') || hostPart.Contains(']'))
            return false;
        if (hostPart.Length == 0 || hostPart.Any(char.IsWhiteSpace)) return false;
        host = hostPart;
        return true;
    }

    // IPAddress.TryParse takes "13580" or "10.1" as IPv4 shorthand; for a listen address that is a typo, not an intent.
    private static bool IsWholeAddress(string text, IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3;

    /// <summary>"1s", "500ms", "2m", "1.5" (seconds), or ISO-8601 "PT1S".</summary>
    public static TimeSpan Duration(string option, string text)
        => Durations.TryParse(text, out var value) ? value : throw new CliException($"{option}: '{text}' is not a duration (for example 1s, 500ms, 2m)");

    /// <summary>As <see cref="Duration"/>, and "0" (with or without a unit) for none.</summary>
    public static TimeSpan DurationOrZero(string option, string text)
        => text.Trim() is "0" or "0s" or "0ms" or "0m" or "0h" or "0d" ? TimeSpan.Zero
            : Durations.TryParse(text, out var value) ? value
            : throw new CliException($"{option}: '{text}' is not a duration (for example 1s, 500ms, 2m, 90d; 0 for none)");

    /// <summary>"key=value" pairs.</summary>
    public static Dictionary<string, string> Tags(string option, IEnumerable<string> pairs)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw new CliException($"{option}: '{pair}' is not key=value");
            }
            tags[pair[..eq]] = pair[(eq + 1)..];
        }
        return tags;
    }

    public static Uri MasterUrl(string option, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new CliException($"{option}: '{text}' is not an http:// or https:// URL (for example http://login01:8080)");
        }
        return uri;
    }
}

/// <summary>A usage error: printed to stderr, exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>Console logging with UTC timestamps, safe from several threads.</summary>
internal static class ConsoleLog
{
    private static readonly object Lock = new();

    public static void Line(string text)
    {
        lock (Lock)
        {
            Console.Out.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {text}");
            Console.Out.Flush();
        }
    }
}
