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

    /// <summary>
    /// The result table's Figures column: the benchmark's headline figure first (triadGBs for MemoryBandwidth, the one the
    /// fleet is compared by), then the others in their order, as many as fit.
    /// </summary>
    public static string Figures(object? values, string? benchmark) => Figures(values, 30, Sentinel.Benchmarks.BenchmarkHeadline.Of(benchmark)?.Value);

    /// <summary>A benchmark's first figures as "triadGBs 12.3, readGBs 14.1": as many whole ones (up to four) as fit in <paramref name="width"/>.</summary>
    public static string Figures(object? values, int width) => Figures(values, width, null);

    private static string Figures(object? values, int width, string? first)
    {
        if ((values is System.Management.Automation.PSObject pso ? pso.BaseObject : values) is not System.Collections.IDictionary figures || figures.Count == 0)
        {
            return "-";
        }
        var entries = new List<System.Collections.DictionaryEntry>(figures.Count);
        for (var e = figures.GetEnumerator(); e.MoveNext();)
        {
            entries.Add(e.Entry); // IDictionaryEnumerator: a generic dictionary enumerates KeyValuePairs otherwise
        }
        var ordered = entries.OrderBy(f => string.Equals(f.Key?.ToString(), first, StringComparison.Ordinal) ? 0 : 1); // stable: the rest keep their order
        var text = new System.Text.StringBuilder();
        int shown = 0;
        foreach (var figure in ordered)
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
