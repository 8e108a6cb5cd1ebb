using System.Globalization;
using System.Net;
using System.Xml;

namespace Sentinel.Cli;

/// <summary>Parsing of the CLI's value formats, each failure naming the option and the bad value.</summary>
internal static class CliParse
{
    /// <summary>"127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8080", "localhost:8080".</summary>
    public static IPEndPoint Endpoint(string option, string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 0 or > 65535)
        {
            throw new CliException($"{option}: '{text}' is not ADDR:PORT (for example 127.0.0.1:8080 or 0.0.0.0:8080)");
        }
        var host = text[..colon].Trim('[', ']');
        if (host == "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new CliException($"{option}: '{host}' is not an IP address (use 127.0.0.1, 0.0.0.0 or one of this machine's addresses)");
        }
        return new IPEndPoint(address, port);
    }

    /// <summary>"1s", "500ms", "2m", "1.5" (seconds), or ISO-8601 "PT1S".</summary>
    public static TimeSpan Duration(string option, string text)
    {
        var t = text.Trim();
        double Number(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : double.NaN;
        double seconds = t.EndsWith("ms", StringComparison.Ordinal) ? Number(t[..^2]) / 1000
            : t.EndsWith('s') ? Number(t[..^1])
            : t.EndsWith('m') ? Number(t[..^1]) * 60
            : t.EndsWith('h') ? Number(t[..^1]) * 3600
            : Number(t);
        if (double.IsNaN(seconds) && t.StartsWith('P'))
        {
            try { seconds = XmlConvert.ToTimeSpan(t).TotalSeconds; } catch (FormatException) { }
        }
        if (double.IsNaN(seconds) || seconds <= 0)
        {
            throw new CliException($"{option}: '{text}' is not a duration (for example 1s, 500ms, 2m)");
        }
        return TimeSpan.FromSeconds(seconds);
    }

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
