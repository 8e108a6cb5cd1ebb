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

    /// <summary>The shortest of the forms <see cref="TryParse"/> reads back: "100ms", "1.5s", "2m", "1h", "2d".</summary>
    public static string Format(TimeSpan value)
    {
        var c = CultureInfo.InvariantCulture;
        if (value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerDay == 0) return (value.Ticks / TimeSpan.TicksPerDay).ToString(c) + "d";
        if (value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerHour == 0) return (value.Ticks / TimeSpan.TicksPerHour).ToString(c) + "h";
        if (value > TimeSpan.Zero && value.Ticks % TimeSpan.TicksPerMinute == 0) return (value.Ticks / TimeSpan.TicksPerMinute).ToString(c) + "m";
        if (value < TimeSpan.FromSeconds(1)) return value.TotalMilliseconds.ToString("0.###", c) + "ms";
        return value.TotalSeconds.ToString("0.###", c) + "s";
    }
}
