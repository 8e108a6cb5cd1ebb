using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Sentinel.Reports;

/// <summary>
/// plotly.js as Plotly.NET carries it (an embedded resource of its assembly), so a report inlines the very
/// library its figures were made for and opens with no network.
/// </summary>
internal static class PlotlyJs
{
    private static readonly Lazy<(string Source, string Version)> s_script = new(Load);

    /// <summary>The minified library.</summary>
    public static string Source => s_script.Value.Source;

    /// <summary>Its version, from the resource's name ("2.28.0").</summary>
    public static string Version => s_script.Value.Version;

    /// <summary>The CSP source for an inline script: 'sha256-…' of its exact text.</summary>
    public static string CspHash(string script) => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script))) + "'";

    private static (string, string) Load()
    {
        var assembly = typeof(Plotly.NET.GenericChart).Assembly;
        // Plotly.NET.plotly-2.28.0.min.js; found by pattern so a Plotly.NET update needs no change here.
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} {assembly.GetName().Version} carries no plotly.js resource; reports cannot be built without it.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var source = reader.ReadToEnd();
        if (source.Contains("</script", StringComparison.OrdinalIgnoreCase) || source.Contains("<!--", StringComparison.Ordinal))
        {
            // Would end the inline script early; plotly.js 2.28.0 has neither.
            throw new InvalidOperationException($"{name} contains '</script' or '<!--' and cannot be inlined as it is.");
        }
        return (source, name["Plotly.NET.plotly-".Length..^".min.js".Length]);
    }
}
