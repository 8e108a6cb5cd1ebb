using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sentinel.Json;

/// <summary>
/// Source-generated JSON for every type that crosses a wire or a file, so the agent runs under NativeAOT
/// with no reflection. Property names are camelCase; enums are strings.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(Machine))]
[JsonSerializable(typeof(MachineSample))]
[JsonSerializable(typeof(Inventory))]
[JsonSerializable(typeof(List<Machine>))]
public sealed partial class SentinelJsonContext : JsonSerializerContext
{
    /// <summary>Indented output for people (the CLI's --json).</summary>
    public static SentinelJsonContext Indented => s_indented ??= new(new JsonSerializerOptions(Default.Options!) { WriteIndented = true });

    private static SentinelJsonContext? s_indented;
}
