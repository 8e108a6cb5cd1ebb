using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sentinel.Master.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): a HELP and a TYPE line per family, then its
/// samples, each family's samples together. Label values are escaped as the format requires (backslash,
/// double quote, line feed); everything else, markup and right-to-left overrides included, goes through as UTF-8
/// (a lone surrogate becomes U+FFFD, never broken bytes). Writes UTF-8 straight into one buffer, and escapes and
/// encodes each distinct label value once per exposition: a machine's name appears in every one of its series.
/// </summary>
internal sealed class PrometheusWriter
{
    /// <summary>The Content-Type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _escaped = new(StringComparer.Ordinal);

    /// <summary>Starts a family. A family is written once; its samples must follow before the next one starts.</summary>
    public void Family(string name, string type, string help)
    {
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family {name} written twice");
        // HELP text escapes backslash and line feed (not quotes).
        Text($"# HELP {name} {help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal)}\n# TYPE {name} {type}\n");
    }

    /// <summary>One sample. Labels are name/value pairs; a null value leaves the sample out.</summary>
    public void Sample(string name, double? value, params ReadOnlySpan<(string Name, string? Value)> labels)
    {
        if (value is not { } v) return;
        Ascii(name);
        if (labels.Length > 0)
        {
            Byte((byte)'{');
            for (int i = 0; i < labels.Length; i++)
            {
                if (i > 0) Byte((byte)',');
                Ascii(labels[i].Name);
                Byte((byte)'=');
                Byte((byte)'"');
                var text = labels[i].Value ?? "";
                if (!_escaped.TryGetValue(text, out var bytes))
                {
                    _escaped[text] = bytes = Encoding.UTF8.GetBytes(Escape(text));
                }
                _out.Write(bytes);
                Byte((byte)'"');
            }
            Byte((byte)'}');
        }
        Byte((byte)' ');
        Number(v);
        Byte((byte)'\n');
    }

    private static string Escape(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0) return value;
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A value as the format spells it: shortest round-trip form, NaN, +Inf, -Inf.</summary>
    private void Number(double v)
    {
        if (double.IsNaN(v)) { Ascii("NaN"); return; }
        if (double.IsPositiveInfinity(v)) { Ascii("+Inf"); return; }
        if (double.IsNegativeInfinity(v)) { Ascii("-Inf"); return; }
        var span = _out.GetSpan(32);
        int written;
        // Whole numbers (bytes, counts, 0 and 1) are most values: formatting them as integers is several times faster, same text.
        bool ok = v == Math.Floor(v) && Math.Abs(v) < 1e15 && !(v == 0 && double.IsNegative(v))
            ? ((long)v).TryFormat(span, out written, default, CultureInfo.InvariantCulture)
            : v.TryFormat(span, out written, default, CultureInfo.InvariantCulture); // shortest text that reads back the same value
        if (!ok) throw new InvalidOperationException("a number did not fit 32 bytes");
        _out.Advance(written);
    }

    private void Byte(byte b)
    {
        _out.GetSpan(1)[0] = b;
        _out.Advance(1);
    }

    /// <summary>Metric and label names: ASCII by construction.</summary>
    private void Ascii(string s)
    {
        var span = _out.GetSpan(s.Length);
        for (int i = 0; i < s.Length; i++) span[i] = (byte)s[i];
        _out.Advance(s.Length);
    }

    private void Text(string s)
    {
        var span = _out.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        _out.Advance(Encoding.UTF8.GetBytes(s, span));
    }

    public override string ToString() => Encoding.UTF8.GetString(_out.WrittenSpan);

    /// <summary>The exposition as UTF-8.</summary>
    public ReadOnlyMemory<byte> Utf8 => _out.WrittenMemory;
}
