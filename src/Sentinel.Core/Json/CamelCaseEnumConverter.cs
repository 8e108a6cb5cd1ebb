using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sentinel.Json;

/// <summary>Enums as camelCase strings ("online"), as the protocol and REST API spell them. AOT-safe: closed per enum.</summary>
public sealed class CamelCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where TEnum : struct, Enum;
