using System.Globalization;

namespace Sentinel.PowerShell;

/// <summary>
/// Helpers for the format views (Sentinel.format.ps1xml). They live in the cmdlet assembly because
/// PowerShell's type literals cannot see types in Sentinel's own load context, where Sentinel.Units is.
/// Arguments are objects so a missing figure ($null) prints as "-" instead of failing the view.
/// </summary>
public static class Format
{
    public static string Percent(object? value) => Units.Percent(ToDouble(value));

    public static string Bytes(object? value) => ToDouble(value) is { } v ? Units.Bytes(v) : "-";

    public static string Rate(object? value) => ToDouble(value) is { } v ? Units.Rate(v) : "-";

    public static string Duration(object? seconds) => ToDouble(seconds) is { } v ? Units.Duration(v) : "-";

    /// <summary>A benchmark's first figures, as many as fit the result table's Figures column (30 characters).</summary>
    public static string Figures(object? values) => Figures(values, 30);

    /// <summary>A benchmark's first figures as "triadGBs 12.3, readGBs 14.1": as many whole ones (up to four) as fit in <paramref name="width"/>.</summary>
    public static string Figures(object? values, int width)
    {
        if ((values is System.Management.Automation.PSObject pso ? pso.BaseObject : values) is not System.Collections.IDictionary figures || figures.Count == 0)
        {
            return "-";
        }
        var text = new System.Text.StringBuilder();
        int shown = 0;
        foreach (System.Collections.DictionaryEntry figure in figures)
        {
            var piece = $"{figure.Key} {(ToDouble(figure.Value) is { } v ? Number(v) : "-")}";
            if (shown == 4 || (shown > 0 && text.Length + 2 + piece.Length > width))
            {
                break;
            }
            text.Append(shown++ > 0 ? ", " : "").Append(piece);
        }
        return text.ToString();
    }

    // About three significant digits, and no exponent for everyday sizes: 12.3, 1.23, 0.482, 211194.
    private static string Number(double v)
    {
        var a = Math.Abs(v);
        var format = a == Math.Floor(a) || a >= 100 ? "0" : a >= 10 ? "0.#" : a >= 1 ? "0.##" : a >= 0.01 ? "0.###" : "G3";
        return v.ToString(format, CultureInfo.InvariantCulture);
    }

    private static double? ToDouble(object? value) => value switch
    {
        null => null,
        System.Management.Automation.PSObject pso => ToDouble(pso.BaseObject),
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => null,
    };
}
