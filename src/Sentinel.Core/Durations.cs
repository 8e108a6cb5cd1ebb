using System.Globalization;
using System.Xml;

namespace Sentinel;

/// <summary>Durations as people type them: "1s", "500ms", "2m", "1h", "1.5" (seconds), or ISO-8601 "PT1S".</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim();
        static double Number(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : double.NaN;
        double seconds = t.EndsWith("ms", StringComparison.Ordinal) ? Number(t[..^2]) / 1000
            : t.EndsWith('s') ? Number(t[..^1])
            : t.EndsWith('m') ? Number(t[..^1]) * 60
            : t.EndsWith('h') ? Number(t[..^1]) * 3600
            : t.EndsWith('d') ? Number(t[..^1]) * 86400
            : Number(t);
        if (double.IsNaN(seconds) && t.StartsWith('P'))
        {
            try { seconds = XmlConvert.ToTimeSpan(t).TotalSeconds; } catch (FormatException) { }
        }
        if (double.IsNaN(seconds) || seconds <= 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2) return false;
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
