using System.Management.Automation;

namespace Sentinel.PowerShell;

/// <summary>
/// Lets a TimeSpan parameter take "1s", "500ms", "2m" or a number of seconds, as the sentinel program does.
/// Unquoted, PowerShell reads some of these as numeric literals: 1s is the Int16 1 (seconds, as meant)
/// and 1d is the decimal 1, which can only have been typed as a number of days.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            TimeSpan t => t,
            decimal days => TimeSpan.FromDays((double)days),
            sbyte or byte or short or ushort or int or uint or long or ulong or float or double
                => TimeSpan.FromSeconds(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
            string s when Durations.TryParse(s, out var d) => d,
            string s when TimeSpan.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not a duration: use 1s, 500ms, 2m, a number of seconds, or a TimeSpan."),
        };
    }
}
