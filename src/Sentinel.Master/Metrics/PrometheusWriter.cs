using System.Globalization;
using System.Text;

namespace Sentinel.Master.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): a HELP and a TYPE line per family, then its
/// samples, each family's samples together. Label values are escaped as the format requires (backslash,
/// double quote, line feed); everything else, markup and right-to-left overrides included, goes through as UTF-8.
/// </summary>
internal sealed class PrometheusWriter
{
    /// <summary>The Content-Type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _out = new(64 * 1024);
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    /// <summary>Starts a family. A family is written once; its samples must follow before the next one starts.</summary>
    public void Family(string name, string type, string help)
    {
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family {name} written twice");
        _out.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            // HELP text escapes backslash and line feed (not quotes).
            _out.Append(c switch { '\\' => @"\\", '\n' => @"\n", _ => c.ToString() });
        }
        _out.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary>One sample. Labels are name/value pairs; a null value leaves the sample out.</summary>
    public void Sample(string name, double? value, params ReadOnlySpan<(string Name, string? Value)> labels)
    {
        if (value is not { } v) return;
        _out.Append(name);
        if (labels.Length > 0)
        {
            _out.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                if (i > 0) _out.Append(',');
                _out.Append(labels[i].Name).Append("=\"");
                Escape(labels[i].Value ?? "");
                _out.Append('"');
            }
            _out.Append('}');
        }
        _out.Append(' ').Append(Number(v)).Append('\n');
    }

    private void Escape(string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': _out.Append(@"\\"); break;
                case '"': _out.Append("\\\""); break;
                case '\n': _out.Append(@"\n"); break;
                default: _out.Append(c); break;
            }
        }
    }

    /// <summary>A value as the format spells it: shortest round-trip form, NaN, +Inf, -Inf.</summary>
    public static string Number(double v) => double.IsNaN(v) ? "NaN"
        : double.IsPositiveInfinity(v) ? "+Inf"
        : double.IsNegativeInfinity(v) ? "-Inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    public override string ToString() => _out.ToString();

    /// <summary>The exposition as UTF-8 (a lone surrogate from a hostile name becomes U+FFFD, never broken bytes).</summary>
    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_out.ToString());
}
