using System.Globalization;

namespace Sentinel.Benchmarks;

/// <summary>
/// A run's parameters as text (they cross the wire and the command line as text), read with typed
/// getters that name the parameter and the bad value when it does not parse. Names are case-insensitive.
/// </summary>
public sealed class BenchmarkParameters
{
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public static BenchmarkParameters Empty => new(new Dictionary<string, string>());

    public BenchmarkParameters(IReadOnlyDictionary<string, string>? values)
        => _values = new Dictionary<string, string>(values ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);

    /// <summary>The parameters as given.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The text of <paramref name="name"/>, or null when not given.</summary>
    public string? Text(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
    }

    public string String(string name, string fallback) => Text(name) ?? fallback;

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var t = Text(name);
        if (t is null) return fallback;
        if (!int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new BenchmarkParameterException(name, t, "a whole number");
        if (v < min || v > max)
            throw new BenchmarkParameterException(name, t, $"a whole number from {min} to {max}");
        return v;
    }

    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        var t = Text(name);
        if (t is null) return fallback;
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new BenchmarkParameterException(name, t, "a number");
        if (v < min || v > max)
            throw new BenchmarkParameterException(name, t, $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return v;
    }

    public bool Bool(string name, bool fallback)
    {
        var t = Text(name);
        if (t is null) return fallback;
        return t.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new BenchmarkParameterException(name, t, "true or false"),
        };
    }

    /// <summary>Sizes as people write them: 4096, 64K, 64KiB, 256M, 1G, 1.5GiB (powers of 1024).</summary>
    public long Bytes(string name, long fallback, long min = 1, long max = long.MaxValue)
    {
        var t = Text(name);
        if (t is null) return fallback;
        if (!Units.TryParseBytes(t, out var v))
            throw new BenchmarkParameterException(name, t, "a size such as 4096, 64K, 256M or 1G");
        if (v < min || v > max)
            throw new BenchmarkParameterException(name, t, $"a size from {Units.Bytes(min)} to {Units.Bytes(max)}");
        return v;
    }

    public TimeSpan Duration(string name, TimeSpan fallback, TimeSpan? min = null, TimeSpan? max = null)
    {
        var t = Text(name);
        if (t is null) return fallback;
        if (!Durations.TryParse(t, out var v))
            throw new BenchmarkParameterException(name, t, "a duration such as 10s, 500ms or 2m");
        if ((min is { } lo && v < lo) || (max is { } hi && v > hi))
            throw new BenchmarkParameterException(name, t, $"a duration from {Durations.Format(min ?? TimeSpan.Zero)} to {Durations.Format(max ?? TimeSpan.MaxValue)}");
        return v;
    }

    /// <summary>Throws for any parameter given that the benchmark never read: a typo must not pass silently.</summary>
    public void RefuseUnknown(string benchmark, IEnumerable<BenchmarkParameterInfo> known)
    {
        var names = known.Select(k => k.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var key in _values.Keys)
        {
            if (!names.Contains(key))
            {
                throw new BenchmarkParameterException(key, _values[key],
                    $"one of {benchmark}'s parameters ({(names.Count == 0 ? "it takes none" : string.Join(", ", names.Order()))})", unknown: true);
            }
        }
    }
}

/// <summary>A parameter that is unknown or does not parse; the message names it, the value and what was expected.</summary>
public sealed class BenchmarkParameterException(string parameter, string value, string expected, bool unknown = false)
    : Exception(unknown ? $"'{parameter}' is not a parameter here; expected {expected}" : $"{parameter}: '{value}' is not {expected}")
{
    public string Parameter { get; } = parameter;
    public string Value { get; } = value;
}
