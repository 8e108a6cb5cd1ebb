using System.Globalization;
using System.Net;
using System.Text;

namespace Sentinel.Reports;

/// <summary>
/// Everything that turns data into page text. Strings from machines (names, tags, inventory, warnings) are
/// never trusted: HTML-encoded in the page, entity-encoded in plotly's pseudo-HTML, escaped in inline JSON.
/// </summary>
internal static class ReportText
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Text for HTML content and quoted attribute values.</summary>
    public static string Html(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>
    /// Text for plotly's own strings (trace names, category ticks, titles, hover text): plotly renders those as
    /// a small HTML dialect, so markup is written as entities, which plotly shows as the characters.
    /// </summary>
    public static string Plotly(string? text) => (text ?? "").Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>
    /// JSON made safe inside a &lt;script&gt; element: &lt; &gt; &amp; (only ever inside JSON strings) and the
    /// JavaScript line terminators U+2028/U+2029 as \u escapes, so no string can close the script or open a comment.
    /// </summary>
    public static string ScriptJson(string json)
    {
        var sb = new StringBuilder(json.Length + 64);
        foreach (var c in json)
        {
            switch (c)
            {
                case '<': sb.Append("\\u003c"); break;
                case '>': sb.Append("\\u003e"); break;
                case '&': sb.Append("\\u0026"); break;
                case '\u2028': sb.Append("\\u2028"); break;
                case '\u2029': sb.Append("\\u2029"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>"2026-11-24 12:19 UTC".</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", C) + " UTC";

    /// <summary>A time as plotly's date axis reads it (UTC, no zone: plotly ignores zones).</summary>
    public static string PlotTime(double unixSeconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(unixSeconds * 1000)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", C);

    /// <summary>A figure with about four significant digits: "12.35", "0.0421", "1234".</summary>
    public static string Number(double v)
    {
        if (!double.IsFinite(v)) return "-";
        double a = Math.Abs(v);
        return v.ToString(a >= 1000 ? "#,0" : a >= 100 ? "0.0" : a >= 10 ? "0.00" : a >= 1 ? "0.000" : "0.####", C);
    }

    /// <summary>A percentage: "12.3".</summary>
    public static string Percent(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.0", C) : "-";

    /// <summary>A value for a chart: rounded to four significant digits (a report need not carry 17), null for no value.</summary>
    public static object? ChartValue(double v)
    {
        if (!double.IsFinite(v)) return null;
        if (v == 0) return 0L;
        double scale = Math.Pow(10, 3 - (int)Math.Floor(Math.Log10(Math.Abs(v))));
        double r = Math.Round(v * scale) / scale;
        return Math.Abs(r) < 1e15 && r == Math.Floor(r) ? (object)(long)r : r;
    }

    /// <summary>"1 h", "24 h", "7 d", "90 min" (to the nearest minute, so a range measured a moment late still reads 7 d).</summary>
    public static string Span(TimeSpan span)
    {
        double minutes = Math.Round(span.TotalMinutes);
        return minutes >= 2 * 1440 && minutes % 1440 == 0 ? $"{(minutes / 1440).ToString(C)} d"
            : minutes >= 60 ? $"{Math.Round(minutes / 60, 1).ToString(C)} h"
            : $"{minutes.ToString(C)} min";
    }
}
