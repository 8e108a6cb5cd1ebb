using System.Globalization;

namespace Sentinel.Benchmarks;

/// <summary>What an Intel Memory Latency Checker report says, as figures and table rows.</summary>
public sealed class MlcReport
{
    /// <summary>Headline figures: idleLatencyNs, allReadsMBs, reads3to1MBs, …</summary>
    public Dictionary<string, double> Values { get; } = [];

    /// <summary>
    /// Table rows, told apart by their keys: latency matrix (fromNode, toNode, latencyNs), bandwidth matrix
    /// (fromNode, toNode, bandwidthMBs), loaded latency (injectDelay, latencyNs, bandwidthMBs).
    /// </summary>
    public List<Dictionary<string, double>> Rows { get; } = [];

    /// <summary>True when anything was recognised.</summary>
    public bool Found => Values.Count > 0 || Rows.Count > 0;
}

/// <summary>
/// Reads the text Intel MLC prints (versions 3.x; the default run or any single mode such as --idle_latency,
/// --latency_matrix, --bandwidth_matrix, --peak_injection_bandwidth, --max_bandwidth, --loaded_latency,
/// --c2c_latency). Tolerant of tabs or spaces, "Numa node" or "Memory node/Socket" headings, a missing banner,
/// and lines it does not know (which it skips).
/// </summary>
public static class MlcParser
{
    private enum Section { None, IdleLatency, BandwidthMatrix, PeakBandwidth, LoadedLatency, CacheToCache }

    /// <summary>Whether <paramref name="text"/> looks like MLC output at all.</summary>
    public static bool LooksLikeMlc(string? text)
        => !string.IsNullOrEmpty(text)
           && (text.Contains("Memory Latency Checker", StringComparison.Ordinal)
               || text.Contains("Measuring idle latencies", StringComparison.Ordinal)
               || text.Contains("Measuring Peak Injection Memory Bandwidths", StringComparison.Ordinal)
               || text.Contains("Measuring Maximum Memory Bandwidths", StringComparison.Ordinal)
               || text.Contains("Measuring Memory Bandwidths between nodes", StringComparison.Ordinal)
               || text.Contains("Measuring Loaded Latencies", StringComparison.Ordinal)
               || (text.Contains("Each iteration took", StringComparison.Ordinal) && text.Contains("clocks", StringComparison.Ordinal)));

    public static MlcReport Parse(string text)
    {
        var report = new MlcReport();
        var section = Section.None;
        int[]? columns = null; // matrix column node numbers
        var latencyMatrix = new List<(int From, int To, double Value)>();
        var bandwidthMatrix = new List<(int From, int To, double Value)>();

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                // A blank line ends a table, except the one MLC sometimes leaves between a heading and its table.
                if (section is Section.IdleLatency or Section.BandwidthMatrix && columns is not null && HasRowsSince(section, latencyMatrix, bandwidthMatrix))
                {
                    section = Section.None;
                }
                continue;
            }

            if (trimmed.StartsWith("Measuring idle latencies", StringComparison.Ordinal)) { section = Section.IdleLatency; columns = null; latencyMatrix.Clear(); continue; }
            if (trimmed.StartsWith("Measuring Memory Bandwidths between nodes", StringComparison.Ordinal)) { section = Section.BandwidthMatrix; columns = null; bandwidthMatrix.Clear(); continue; }
            if (trimmed.StartsWith("Measuring Peak Injection Memory Bandwidths", StringComparison.Ordinal)
                || trimmed.StartsWith("Measuring Maximum Memory Bandwidths", StringComparison.Ordinal)) { section = Section.PeakBandwidth; continue; }
            if (trimmed.StartsWith("Measuring Loaded Latencies", StringComparison.Ordinal)) { section = Section.LoadedLatency; continue; }
            if (trimmed.StartsWith("Measuring cache-to-cache", StringComparison.Ordinal)) { section = Section.CacheToCache; continue; }
            if (trimmed.StartsWith("Measuring", StringComparison.Ordinal)) { section = Section.None; continue; }

            if (trimmed.StartsWith("Each iteration took", StringComparison.Ordinal))
            {
                ParseIteration(trimmed, report.Values);
                continue;
            }

            switch (section)
            {
                case Section.IdleLatency:
                    ParseMatrixLine(trimmed, ref columns, latencyMatrix);
                    break;
                case Section.BandwidthMatrix:
                    ParseMatrixLine(trimmed, ref columns, bandwidthMatrix);
                    break;
                case Section.PeakBandwidth:
                    ParseRatioLine(trimmed, report.Values);
                    break;
                case Section.LoadedLatency:
                    var f = Numbers(trimmed);
                    if (f is { Length: 3 } && IsWhole(Fields(trimmed)[0]))
                    {
                        report.Rows.Add(new Dictionary<string, double> { ["injectDelay"] = f[0], ["latencyNs"] = f[1], ["bandwidthMBs"] = f[2] });
                    }
                    break;
                case Section.CacheToCache:
                    ParseCacheToCache(trimmed, report.Values);
                    break;
            }
        }

        if (latencyMatrix.Count > 0)
        {
            // The headline idle latency is the first node's local one, which is what --idle_latency measures.
            var local = latencyMatrix.FirstOrDefault(c => c.From == c.To);
            report.Values.TryAdd("idleLatencyNs", latencyMatrix.Any(c => c.From == c.To) ? local.Value : latencyMatrix[0].Value);
            foreach (var (from, to, v) in latencyMatrix)
            {
                report.Rows.Add(new Dictionary<string, double> { ["fromNode"] = from, ["toNode"] = to, ["latencyNs"] = v });
            }
        }
        foreach (var (from, to, v) in bandwidthMatrix)
        {
            report.Rows.Add(new Dictionary<string, double> { ["fromNode"] = from, ["toNode"] = to, ["bandwidthMBs"] = v });
        }
        return report;

        bool HasRowsSince(Section s, List<(int, int, double)> lat, List<(int, int, double)> bw) => s == Section.IdleLatency ? lat.Count > 0 : bw.Count > 0;
    }

    // "Each iteration took 201.7 core clocks ( 80.7    ns)" or "… base frequency clocks (\t12.5\tns)".
    private static void ParseIteration(string line, Dictionary<string, double> values)
    {
        var afterTook = line["Each iteration took".Length..].TrimStart();
        var clocksText = afterTook.Split([' ', '\t'], 2)[0];
        if (TryNumber(clocksText, out var clocks))
        {
            values["idleLatencyClocks"] = clocks;
        }
        int open = line.IndexOf('(');
        int close = line.IndexOf(')', open + 1);
        if (open < 0 || close < 0) return;
        var inner = Fields(line[(open + 1)..close]);
        if (inner.Length >= 1 && TryNumber(inner[0], out var v))
        {
            var unit = inner.Length > 1 ? inner[1] : "ns";
            values["idleLatencyNs"] = unit switch { "us" => v * 1000, "ms" => v * 1_000_000, _ => v };
        }
    }

    // A matrix heading ("Numa node", "Numa node  0  1", "Memory node", "Socket  0") or a row ("  0   90.2   144.3").
    private static void ParseMatrixLine(string line, ref int[]? columns, List<(int, int, double)> into)
    {
        var fields = Fields(line);
        if (fields.Length == 0) return;
        if (!IsWhole(fields[0]))
        {
            // Heading: the column numbers follow the words.
            var numbers = fields.Where(IsWhole).Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            if (numbers.Length > 0 && Enumerable.Reverse(fields).TakeWhile(IsWhole).Count() == numbers.Length)
            {
                columns = numbers;
            }
            return;
        }
        if (columns is null) return;
        int from = int.Parse(fields[0], CultureInfo.InvariantCulture);
        for (int i = 1; i < fields.Length && i - 1 < columns.Length; i++)
        {
            if (TryNumber(fields[i], out var v))
            {
                into.Add((from, columns[i - 1], v));
            }
        }
    }

    // "ALL Reads        :\t211194.2", "3:1 Reads-Writes :  182678.9", "Stream-triad like:  159545.8".
    private static void ParseRatioLine(string line, Dictionary<string, double> values)
    {
        int colon = line.LastIndexOf(':');
        if (colon <= 0) return;
        if (!TryNumber(line[(colon + 1)..].Trim(), out var v)) return;
        var label = line[..colon].Trim();
        var key = RatioKey(label);
        if (key is not null)
        {
            values[key] = v;
        }
    }

    internal static string? RatioKey(string label)
    {
        var l = label.ToLowerInvariant();
        if (l.StartsWith("all reads", StringComparison.Ordinal)) return "allReadsMBs";
        if (l.StartsWith("stream-triad", StringComparison.Ordinal)) return "streamTriadMBs";
        // "3:1 Reads-Writes"
        var first = l.Split(' ', 2)[0];
        var parts = first.Split(':');
        if (parts.Length == 2 && IsWhole(parts[0]) && IsWhole(parts[1]) && l.Contains("reads-writes", StringComparison.Ordinal))
        {
            return $"reads{parts[0]}to{parts[1]}MBs";
        }
        // Anything else MLC adds later ("All NT writes"): camelCase words.
        var words = l.Split([' ', '-', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.All(char.IsAsciiLetterOrDigit)).ToArray();
        if (words.Length == 0) return null;
        return words[0] + string.Concat(words.Skip(1).Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + "MBs";
    }

    // "Local Socket L2->L2 HIT  latency\t50.5" / "Local Socket L2->L2 HITM latency  53.8".
    private static void ParseCacheToCache(string line, Dictionary<string, double> values)
    {
        if (!line.StartsWith("Local Socket L2->L2", StringComparison.Ordinal)) return;
        var fields = Fields(line);
        if (!TryNumber(fields[^1], out var v)) return;
        if (fields.Contains("HITM")) values["l2HitmLatencyNs"] = v;
        else if (fields.Contains("HIT")) values["l2HitLatencyNs"] = v;
    }

    private static string[] Fields(string line) => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    private static double[]? Numbers(string line)
    {
        var fields = Fields(line);
        var result = new double[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            if (!TryNumber(fields[i], out result[i])) return null;
        }
        return result;
    }

    private static bool IsWhole(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private static bool TryNumber(string s, out double v)
        => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);
}
