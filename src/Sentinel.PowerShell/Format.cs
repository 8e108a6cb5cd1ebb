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

    private static double? ToDouble(object? value) => value switch
    {
        null => null,
        System.Management.Automation.PSObject pso => ToDouble(pso.BaseObject),
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => null,
    };
}
