using System.Text.Json.Serialization;
using Sentinel.Json;

namespace Sentinel;

/// <summary>What an alert rule watches.</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<AlertMetric>))]
public enum AlertMetric
{
    /// <summary>Busy CPU across all cores, percent.</summary>
    Cpu,
    /// <summary>Memory in use, percent of the total.</summary>
    Memory,
    /// <summary>The fullest file system, percent used ("any disk").</summary>
    Disk,
    /// <summary>The hottest GPU, degrees Celsius.</summary>
    GpuTemperature,
    /// <summary>Mean GPU utilisation, percent.</summary>
    GpuUtilization,
    /// <summary>One-minute load average.</summary>
    Load,
    /// <summary>The machine is offline (1) or online (0); threshold and comparison are not used.</summary>
    Offline,
}

/// <summary>Which side of the threshold is bad.</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<AlertComparison>))]
public enum AlertComparison
{
    Above,
    Below,
}

[JsonConverter(typeof(CamelCaseEnumConverter<AlertSeverity>))]
public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>Where an alert is in its life. Acknowledged and silenced alerts are still firing underneath.</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<AlertState>))]
public enum AlertState
{
    Firing,
    Acknowledged,
    Silenced,
    Resolved,
}

/// <summary>
/// A rule: fire when <see cref="Metric"/> is on the bad side of <see cref="Threshold"/> for <see cref="ForSeconds"/>;
/// resolve only once it is back past <see cref="ClearThreshold"/> (hysteresis, so a value hovering at the line does not flap).
/// </summary>
public sealed record AlertRule
{
    /// <summary>Stable id (letters, digits, '-', '_'); made from the name when not given.</summary>
    public string Id { get; init; } = "";
    public required string Name { get; init; }
    public AlertMetric Metric { get; init; }
    // Settable, not init: the JSON source generator sets every init-only property, so an initializer there would be lost.
    public AlertComparison Comparison { get; set; } = AlertComparison.Above;
    public double Threshold { get; init; }
    /// <summary>Resolve once the value is back past this (below it for Above rules); null: the threshold itself.</summary>
    public double? ClearThreshold { get; init; }
    /// <summary>How long the condition must hold before the alert fires.</summary>
    public double ForSeconds { get; init; }
    /// <summary>Machines whose name matches this wildcard pattern (* and ?); null or "*": all.</summary>
    public string? Machines { get; init; }
    /// <summary>Only machines with this tag: "key" (any value) or "key=value".</summary>
    public string? Tag { get; init; }
    public AlertSeverity Severity { get; set; } = AlertSeverity.Warning;
    public bool Enabled { get; set; } = true;
    /// <summary>POST the alert as JSON here when it fires or resolves (http or https).</summary>
    public string? WebhookUrl { get; init; }
    /// <summary>Run this program on the master when the alert fires or resolves: program then arguments, never through a shell.
    /// Needs the master's opt-in (--allow-alert-commands); alert facts arrive as SENTINEL_ALERT_* environment variables.</summary>
    public List<string>? Command { get; init; }
}

/// <summary>One alert: a rule on one machine, from when it fired until it resolved.</summary>
public sealed class Alert
{
    public long Id { get; init; }
    public required string Machine { get; init; }
    public required string RuleId { get; init; }
    public required string RuleName { get; init; }
    public AlertMetric Metric { get; init; }
    public AlertComparison Comparison { get; init; }
    public AlertSeverity Severity { get; init; }
    public AlertState State { get; set; }
    public double Threshold { get; init; }
    public double ClearThreshold { get; init; }
    /// <summary>The value that made it fire.</summary>
    public double? FiredValue { get; init; }
    /// <summary>The latest value seen while it was open.</summary>
    public double? Value { get; set; }
    public DateTimeOffset FiredAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public DateTimeOffset? SilencedUntil { get; set; }
    public string? SilencedBy { get; set; }
    /// <summary>When any of the above last changed.</summary>
    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>A copy, so what is handed out never changes under its reader.</summary>
    public Alert Clone() => (Alert)MemberwiseClone();
}

/// <summary>POST /api/alerts/{id}/silence: until when (or for how long).</summary>
public sealed class AlertSilenceRequest
{
    public DateTimeOffset? Until { get; init; }
    public double? Seconds { get; init; }
}

/// <summary>What an alert webhook receives (POST, JSON): what happened, the alert as it is now, and its rule.</summary>
public sealed class AlertNotification
{
    /// <summary>"firing" or "resolved".</summary>
    public required string Change { get; init; }
    public required Alert Alert { get; init; }
    public AlertRule? Rule { get; init; }
    /// <summary>The master that sent it (its URL).</summary>
    public string? Source { get; init; }
}
