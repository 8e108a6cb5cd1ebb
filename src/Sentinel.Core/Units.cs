using System.Globalization;

namespace Sentinel;

/// <summary>Human-readable sizes and rates for tables and the CLI (binary units, as free -h and df -h print them).</summary>
public static class Units
{
    private static readonly string[] Suffixes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>"512 B", "1.5 KiB", "23.4 GiB".</summary>
    public static string Bytes(double bytes)
    {
        if (double.IsNaN(bytes))
        {
            return "-";
        }
        int i = 0;
        double v = Math.Abs(bytes);
        while (v >= 1024 && i < Suffixes.Length - 1)
        {
            v /= 1024;
            i++;
        }
        v = Math.Sign(bytes) * v;
        return i == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{v:0} {Suffixes[i]}")
            : string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {Suffixes[i]}");
    }

    /// <summary>"1.5 MiB/s".</summary>
    public static string Rate(double bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    /// <summary>"12.3", or "-" for no value.</summary>
    public static string Percent(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    /// <summary>"3d 04:12" or "04:12:09".</summary>
    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalDays >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d {t.Hours:00}:{t.Minutes:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Hours:00}:{t.Minutes:00}:{t.Seconds:00}");
    }

    /// <summary>Sizes as people type them: "4096", "64K", "64KiB", "64KB", "1.5G" (K, M, G, T are powers of 1024).</summary>
    public static bool TryParseBytes(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim().ToUpperInvariant().Replace(" ", "", StringComparison.Ordinal);
        if (t.EndsWith("IB", StringComparison.Ordinal)) t = t[..^2];
        else if (t.EndsWith('B')) t = t[..^1];
        long scale = 1;
        if (t.Length > 0 && "KMGTP".IndexOf(t[^1]) is var k and >= 0)
        {
            scale = 1L << (10 * (k + 1));
            t = t[..^1];
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < 0) return false;
        double total = v * scale;
        if (total > long.MaxValue || total != Math.Floor(total)) return false;
        bytes = (long)total;
        return true;
    }
}
