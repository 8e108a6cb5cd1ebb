using System.Globalization;
using System.Text;

namespace Sentinel.Benchmarks;

/// <summary>A benchmark result as text for a terminal: the headline figures with their spread, the table, the warnings.</summary>
public static class BenchmarkText
{
    public static string Render(BenchmarkResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"{r.Benchmark} on {r.Machine}: {r.State.ToString().ToLowerInvariant()}");
        if (r.StartedAt != default && r.FinishedAt != default) sb.Append(c, $" in {r.DurationSeconds:0.0} s");
        if (r.JobId is { } job) sb.Append(c, $" (job {job})");
        sb.Append('\n');
        if (r.Error is { } error && r.State != BenchmarkState.Completed) sb.Append("  error: ").Append(error).Append('\n');
        int width = r.Values.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max();
        foreach (var (name, value) in r.Values)
        {
            sb.Append("  ").Append(name.PadRight(width)).Append(' ').Append(Number(value).PadLeft(12));
            if (r.Spread.TryGetValue(name, out var s) && s.Repetitions > 1)
            {
                sb.Append(c, $"   min {Number(s.Min)}  max {Number(s.Max)}  sd {Number(s.StdDev)}  n {s.Repetitions}");
            }
            sb.Append('\n');
        }
        foreach (var (name, s) in r.Spread.Where(kv => !r.Values.ContainsKey(kv.Key)))
        {
            sb.Append(c, $"  {name}: mean {Number(s.Mean)}  min {Number(s.Min)}  max {Number(s.Max)}  sd {Number(s.StdDev)}  n {s.Repetitions}\n");
        }
        if (r.Rows.Count > 0)
        {
            var columns = r.Rows.SelectMany(row => row.Keys).Distinct().ToList();
            var cells = r.Rows.Select(row => columns.Select(col => row.TryGetValue(col, out var v) ? Number(v) : "-").ToList()).ToList();
            var widths = columns.Select((col, i) => Math.Max(col.Length, cells.Max(cl => cl[i].Length))).ToList();
            sb.Append("  ").Append(string.Join("  ", columns.Select((col, i) => col.PadLeft(widths[i])))).Append('\n');
            foreach (var row in cells)
            {
                sb.Append("  ").Append(string.Join("  ", row.Select((cell, i) => cell.PadLeft(widths[i])))).Append('\n');
            }
        }
        if (r.Data is { } data)
        {
            var text = data.GetRawText();
            sb.Append("  data: ").Append(text.Length > 500 ? text[..500] + "…" : text).Append('\n');
        }
        else if (!string.IsNullOrWhiteSpace(r.Output) && r.Values.Count <= 1 && r.Rows.Count == 0)
        {
            // Output that became no figures: its last lines are what the reader wants.
            foreach (var line in r.Output.TrimEnd().Split('\n').TakeLast(10)) sb.Append("  | ").Append(line.TrimEnd('\r')).Append('\n');
        }
        foreach (var w in r.Warnings) sb.Append("  warning: ").Append(w).Append('\n');
        return sb.ToString();
    }

    /// <summary>Up to four significant figures, no exponent for everyday magnitudes.</summary>
    public static string Number(double v)
    {
        var c = CultureInfo.InvariantCulture;
        if (double.IsNaN(v)) return "-";
        double a = Math.Abs(v);
        if (a == 0 || (a >= 1e-3 && a < 1e12))
        {
            return a >= 1000 ? v.ToString("0", c) : a >= 100 ? v.ToString("0.0", c) : a >= 10 ? v.ToString("0.00", c) : v.ToString("0.###", c);
        }
        return v.ToString("0.###e+0", c);
    }
}
