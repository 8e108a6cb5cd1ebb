using Sentinel.Protocol;

namespace Sentinel.Master;

/// <summary>What a hello must satisfy before the master trusts anything in it.</summary>
internal static class HelloValidation
{
    /// <summary>The first problem found, or null.</summary>
    public static string? Problem(Hello h)
    {
        if (NameProblem("name", h.Name) is { } p) return p;
        if (string.IsNullOrEmpty(h.BootId) || h.BootId.Length > 64) return "bootId must be 1 to 64 characters";
        if (h.HostId is null || h.HostId.Length > ProtocolLimits.MaxNameLength) return "hostId must be at most 253 characters";
        if (h.AgentVersion is null || h.AgentVersion.Length > 64) return "agentVersion must be at most 64 characters";
        if (!(h.IntervalSeconds >= 0.1 && h.IntervalSeconds <= 3600)) return $"intervalSeconds must be between 0.1 and 3600; got {h.IntervalSeconds}";
        if (h.MasterUrl is { } url && (url.Length > 2048 || HasControl(url))) return "masterUrl must be at most 2048 characters, without control characters";
        if (h.Tags.Count > ProtocolLimits.MaxTags) return $"at most {ProtocolLimits.MaxTags} tags; got {h.Tags.Count}";
        foreach (var (k, v) in h.Tags)
        {
            if (NameProblem("tag key", k) is { } tk) return tk;
            if (v is null || v.Length > ProtocolLimits.MaxNameLength || HasControl(v)) return $"tag '{k}' has a value over 253 characters or with control characters";
        }
        return null;
    }

    public static string? NameProblem(string what, string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return $"{what} is empty";
        if (name.Length > ProtocolLimits.MaxNameLength) return $"{what} is {name.Length} characters; the limit is {ProtocolLimits.MaxNameLength}";
        if (HasControl(name)) return $"{what} contains control characters (newline, NUL, …)";
        return null;
    }

    private static bool HasControl(string s) => s.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0 || s.Contains('\x7f');
}
