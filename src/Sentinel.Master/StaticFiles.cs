using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using Sentinel.Master.Http;

namespace Sentinel.Master;

/// <summary>
/// The live page: the files of Web/ and plotly.js (taken from Plotly.NET at build), embedded in this assembly
/// as web/&lt;name&gt; and served at /&lt;name&gt; (/ is index.html). Each file is read once, with an ETag
/// and a gzip copy for clients that accept it. Every answer carries a Content-Security-Policy that allows
/// scripts and connections to this master only: no inline script runs, whatever a page shows.
/// </summary>
internal static class StaticFiles
{
    /// <summary>Scripts from this origin only; inline styles are allowed because plotly.js sets them.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly ConcurrentDictionary<string, Entry?> Cache = new(StringComparer.Ordinal);

    /// <summary>The names served (index.html, app.js, plotly.min.js, …).</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(StaticFiles).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("web/", StringComparison.Ordinal)).Select(n => n["web/".Length..].Replace(".gz", "", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal).ToArray();

    /// <summary>True when <paramref name="path"/> names a file of the page ("/" is index.html).</summary>
    public static bool Exists(string path) => Find(path) is not null;

    public static async Task ServeAsync(HttpContext http, string path)
    {
        var entry = Find(path)!;
        var headers = new Dictionary<string, string>
        {
            ["ETag"] = entry.ETag,
            // The page itself is always revalidated (cheap with the ETag), so a new master version shows at once.
            ["Cache-Control"] = "no-cache",
            ["Content-Security-Policy"] = ContentSecurityPolicy,
            ["Referrer-Policy"] = "no-referrer",
            ["X-Frame-Options"] = "DENY",
            ["Vary"] = "Accept-Encoding",
        };
        if (http.Request.Header("If-None-Match") is { } tag && tag.Split(',').Any(t => t.Trim() == entry.ETag))
        {
            await http.RespondAsync(304, entry.ContentType, ReadOnlyMemory<byte>.Empty, headers).ConfigureAwait(false);
            return;
        }
        var body = entry.Bytes;
        if (entry.Gzip is { } gz && (http.Request.Header("Accept-Encoding") ?? "").Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            headers["Content-Encoding"] = "gzip";
            body = gz;
        }
        await http.RespondAsync(200, entry.ContentType, body, headers).ConfigureAwait(false);
    }

    private static Entry? Find(string path)
    {
        var name = path is "" or "/" ? "index.html" : path.TrimStart('/');
        if (name.Contains("..", StringComparison.Ordinal) || name.Contains('\\') || name.EndsWith(".gz", StringComparison.Ordinal)) return null;
        // Only names that exist are cached: every path a client makes up would otherwise stay in the cache for good.
        if (!Names.Contains(name, StringComparer.Ordinal)) return null;
        return Cache.GetOrAdd(name, Load);
    }

    private static Entry? Load(string name)
    {
        var assembly = typeof(StaticFiles).Assembly;
        // Large files (plotly.js) are embedded gzipped by the build; the plain copy is made once, for clients without gzip.
        byte[]? stored = null;
        using (var zipped = assembly.GetManifestResourceStream("web/" + name + ".gz"))
        {
            if (zipped is not null)
            {
                using var copy = new MemoryStream();
                zipped.CopyTo(copy);
                stored = copy.ToArray();
            }
        }
        using var stream = stored is not null ? new GZipStream(new MemoryStream(stored), CompressionMode.Decompress) : assembly.GetManifestResourceStream("web/" + name);
        if (stream is null) return null;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        var etag = "\"" + Convert.ToHexString(SHA256.HashData(bytes), 0, 8).ToLowerInvariant() + "\"";
        byte[]? gzip = stored;
        if (gzip is null && bytes.Length > 1024)
        {
            using var zipped = new MemoryStream();
            using (var z = new GZipStream(zipped, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(bytes);
            gzip = zipped.ToArray();
        }
        return new Entry(bytes, gzip, etag, ContentTypeOf(name));
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };

    private sealed record Entry(byte[] Bytes, byte[]? Gzip, string ETag, string ContentType);
}
