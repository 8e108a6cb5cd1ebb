using System.Globalization;
using System.Text.RegularExpressions;
using Sentinel.Fleet;

namespace Sentinel.Master.Alerts;

/// <summary>A rule was refused; the message names the field and what is allowed.</summary>
internal sealed class AlertRuleException(string message) : Exception(message);

/// <summary>What a rule looks at on one machine: its name, tags, whether it reports, and its latest sample.</summary>
internal sealed record MachineFacts(string Name, IReadOnlyDictionary<string, string> Tags, bool Online, MachineSample? Latest);

/// <summary>Rule checks, the shipped defaults, and the figure each metric reads from a sample.</summary>
internal static partial class AlertRules
{
    /// <summary>The rules a new master starts with (once: removing them sticks).</summary>
    public static readonly AlertRule[] Defaults =
    [
        new() { Id = "cpu-high", Name = "CPU above 90%", Metric = AlertMetric.Cpu, Threshold = 90, ClearThreshold = 80, ForSeconds = 10, Severity = AlertSeverity.Warning },
        new() { Id = "memory-high", Name = "Memory above 95%", Metric = AlertMetric.Memory, Threshold = 95, ClearThreshold = 90, Severity = AlertSeverity.Warning },
        new() { Id = "disk-full", Name = "A disk above 90% full", Metric = AlertMetric.Disk, Threshold = 90, ClearThreshold = 85, Severity = AlertSeverity.Critical },
        new() { Id = "gpu-hot", Name = "GPU above 85 °C", Metric = AlertMetric.GpuTemperature, Threshold = 85, ClearThreshold = 80, Severity = AlertSeverity.Critical },
        new() { Id = "offline", Name = "Machine offline", Metric = AlertMetric.Offline, Threshold = 0.5, Severity = AlertSeverity.Critical },
    ];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex IdPattern();

    /// <summary>The rule made whole (id from the name, clear threshold filled in), or an <see cref="AlertRuleException"/> naming what is wrong.</summary>
    public static AlertRule Validate(AlertRule r, bool commandsAllowed)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 200 || r.Name.Any(char.IsControl))
            throw new AlertRuleException("name: 1 to 200 characters, no control characters");
        var id = string.IsNullOrEmpty(r.Id) ? IdFrom(r.Name) : r.Id;
        if (!IdPattern().IsMatch(id))
            throw new AlertRuleException($"id: '{id}' must be 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit");
        if (!Enum.IsDefined(r.Metric))
            throw new AlertRuleException($"metric: one of {string.Join(", ", Enum.GetNames<AlertMetric>().Select(Camel))}");
        if (!double.IsFinite(r.Threshold))
            throw new AlertRuleException("threshold: a finite number");
        if (r.ClearThreshold is { } c && !double.IsFinite(c))
            throw new AlertRuleException("clearThreshold: a finite number");
        var clear = r.ClearThreshold ?? r.Threshold;
        if (r.Metric != AlertMetric.Offline && (r.Comparison == AlertComparison.Above ? clear > r.Threshold : clear < r.Threshold))
            throw new AlertRuleException($"clearThreshold: {Num(clear)} is past the threshold {Num(r.Threshold)}; for a rule that fires {Camel(r.Comparison.ToString())} the threshold " +
                $"it must be {(r.Comparison == AlertComparison.Above ? "at or below" : "at or above")} it, so the alert can resolve");
        if (!double.IsFinite(r.ForSeconds) || r.ForSeconds < 0 || r.ForSeconds > 7 * 86400)
            throw new AlertRuleException("forSeconds: 0 to 604800 (a week)");
        if (r.Machines is { } m && (m.Length is 0 or > 253 || m.Any(char.IsControl)))
            throw new AlertRuleException("machines: a name pattern of 1 to 253 characters (* and ? are wildcards)");
        if (r.Tag is { } t && (t.Length is 0 or > 300 || t.Any(char.IsControl) || t.StartsWith('=')))
            throw new AlertRuleException("tag: 'key' or 'key=value'");
        if (r.WebhookUrl is { } w && !(Uri.TryCreate(w, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
            throw new AlertRuleException($"webhookUrl: '{w}' is not an http or https URL");
        if (r.Command is { } cmd)
        {
            if (cmd.Count == 0 || string.IsNullOrWhiteSpace(cmd[0]))
                throw new AlertRuleException("command: the program first, then its arguments, e.g. [\"/usr/local/bin/page-oncall\", \"--team\", \"hpc\"]");
            if (cmd.Any(a => a is null || a.Contains('\0')))
                throw new AlertRuleException("command: no null or NUL arguments");
            if (!commandsAllowed)
                throw new AlertRuleException("command: this master does not run alert commands; start it with --allow-alert-commands (Start-SentinelMaster -AllowAlertCommand) to allow them");
        }
        if (!Enum.IsDefined(r.Severity))
            throw new AlertRuleException("severity: info, warning or critical");
        if (!Enum.IsDefined(r.Comparison))
            throw new AlertRuleException("comparison: above or below");
        return new AlertRule
        {
            Id = id, Name = r.Name.Trim(), Metric = r.Metric, Comparison = r.Metric == AlertMetric.Offline ? AlertComparison.Above : r.Comparison,
            Threshold = r.Threshold, ClearThreshold = clear, ForSeconds = r.ForSeconds, Machines = r.Machines is "*" ? null : r.Machines, Tag = r.Tag,
            Severity = r.Severity, Enabled = r.Enabled, WebhookUrl = r.WebhookUrl, Command = r.Command?.ToList(),
        };
    }

    private static string IdFrom(string name)
    {
        var id = Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        if (id.Length > 48) id = id[..48].TrimEnd('-');
        return id.Length == 0 ? "rule-" + Guid.NewGuid().ToString("N")[..8] : id;
    }

    public static string Camel(string s) => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..];

    public static string Num(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Whether the rule covers the machine: its name pattern and its tag.</summary>
    public static bool InScope(AlertRule rule, MachineFacts m)
    {
        if (rule.Machines is { } pattern && !Wildcard.IsMatch(m.Name, pattern)) return false;
        if (rule.Tag is { } tag)
        {
            var eq = tag.IndexOf('=');
            var key = eq < 0 ? tag : tag[..eq];
            if (!m.Tags.TryGetValue(key, out var value)) return false;
            if (eq >= 0 && !string.Equals(value, tag[(eq + 1)..], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    /// <summary>The figure the rule compares, or null when the machine does not have it now (no sample, no GPU, not reporting).</summary>
    public static double? Value(AlertMetric metric, MachineFacts m)
    {
        if (metric == AlertMetric.Offline) return m.Online ? 0 : 1;
        if (!m.Online || m.Latest is not { } s) return null;
        return metric switch
        {
            AlertMetric.Cpu => s.CpuPercent,
            AlertMetric.Memory => s.MemoryUsedPercent,
            AlertMetric.Disk => s.DiskUsedPercentMax,
            AlertMetric.GpuTemperature => s.Gpus.Where(g => g.TemperatureCelsius.HasValue).Select(g => g.TemperatureCelsius).Max(),
            AlertMetric.GpuUtilization => s.GpuUtilizationPercent,
            AlertMetric.Load => s.Cpu.LoadAverage1,
            _ => null,
        };
    }

    /// <summary>On the bad side of the threshold.</summary>
    public static bool Breaches(AlertRule r, double v) => r.Comparison == AlertComparison.Above ? v > r.Threshold : v < r.Threshold;

    /// <summary>Back past the clear threshold: the alert may resolve.</summary>
    public static bool Clears(AlertRule r, double v)
    {
        var clear = r.ClearThreshold ?? r.Threshold;
        return r.Comparison == AlertComparison.Above ? v <= clear && !Breaches(r, v) : v >= clear && !Breaches(r, v);
    }
}
