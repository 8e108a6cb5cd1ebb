using System.Globalization;
using System.Text;
using Sentinel.Benchmarks;
using static Sentinel.Reports.ReportText;

namespace Sentinel.Reports;

/// <summary>
/// Writes a <see cref="ReportData"/> as one self-contained HTML page: plotly.js inlined once, each chart drawn from
/// its figure JSON, no request to any other place (a Content-Security-Policy says so to the browser too). The
/// page holds a fleet summary, each machine's history, benchmark comparisons with outliers flagged, and the
/// inventory, and prints readably.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The whole page.</summary>
    public static string Build(ReportData data) => new Page(data).Write();

    /// <summary>The machines a report flags per benchmark: its headline, latest completed value per machine, median and outliers.</summary>
    public static IReadOnlyList<BenchmarkComparison> Compare(IEnumerable<BenchmarkResult> results) =>
        results.GroupBy(r => r.Benchmark, StringComparer.Ordinal)
            .Select(g => BenchmarkComparison.Of(g.Key, g.ToList()))
            .OrderBy(c => c.Headline is null)
            .ThenBy(c => BenchmarkCatalog.Names.ToList().IndexOf(c.Benchmark) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(c => c.Benchmark, StringComparer.Ordinal).ToList();

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private sealed class Page(ReportData data)
    {
        private readonly StringBuilder _sb = new(1 << 20);
        private int _charts;

        public string Write()
        {
            var comparisons = Compare(data.Results);
            var bootstrap = Bootstrap;
            _sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
              .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
              // Only the two inline scripts below may run (by hash), and nothing may be fetched: no CDN, no beacon.
              .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src ")
              .Append(PlotlyJs.CspHash(PlotlyJs.Source)).Append(' ').Append(PlotlyJs.CspHash(bootstrap))
              .Append("; style-src 'unsafe-inline'; img-src data: blob:; font-src data:\">\n")
              .Append("<meta name=\"generator\" content=\"Sentinel ").Append(Html(Version)).Append("\">\n")
              .Append("<title>").Append(Html(data.Title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");

            Header(comparisons);
            Summary(comparisons);
            History();
            Benchmarks(comparisons);
            Inventory();
            _sb.Append("<footer>Made by Sentinel ").Append(Html(Version)).Append(" with Plotly.NET; plotly.js ").Append(Html(PlotlyJs.Version))
              .Append(" is inside this file, so it opens without a network. Times are UTC. Lines are downsampled (largest triangle, three buckets) to at most ")
              .Append(ReportCharts.PointsPerSeries.ToString(C)).Append(" points each, which keeps peaks.</footer>\n");
            _sb.Append("<script>").Append(PlotlyJs.Source).Append("</script>\n<script>").Append(bootstrap).Append("</script>\n</body>\n</html>\n");
            return _sb.ToString();
        }

        private void Header(IReadOnlyList<BenchmarkComparison> comparisons)
        {
            _sb.Append("<header>\n<h1>").Append(Html(data.Title)).Append("</h1>\n<p class=\"meta\">Generated ").Append(Html(Time(data.GeneratedAt)))
              .Append(" from the ").Append(Html(data.Source)).Append(". Range: ").Append(Html(Time(data.Since))).Append(" to ").Append(Html(Time(data.Until)))
              .Append(" (").Append(Html(Span(data.Until - data.Since))).Append(").</p>\n<nav>");
            if (data.Machines.Count > 0) _sb.Append("<a href=\"#summary\">Fleet summary</a>");
            if (data.History.Count > 0) _sb.Append("<a href=\"#history\">History</a>");
            if (comparisons.Count > 0) _sb.Append("<a href=\"#benchmarks\">Benchmarks</a>");
            if (data.Machines.Count > 0) _sb.Append("<a href=\"#inventory\">Inventory</a>");
            _sb.Append("</nav>\n</header>\n");
            foreach (var note in data.Notes)
            {
                _sb.Append("<p class=\"note\">").Append(Html(note)).Append("</p>\n");
            }
            if (data.Machines.Count == 0 && data.History.Count == 0 && data.Results.Count == 0)
            {
                _sb.Append("<p class=\"note\">Nothing to report: no machines, history or benchmark results.</p>\n");
            }
        }

        private void Summary(IReadOnlyList<BenchmarkComparison> comparisons)
        {
            if (data.Machines.Count == 0) return;
            var machines = data.Machines;
            int online = machines.Count(m => m.Status == MachineStatus.Online);
            var live = machines.Where(m => m.Status == MachineStatus.Online && m.Latest is not null).Select(m => m.Latest!).ToList();
            _sb.Append("<section id=\"summary\">\n<h2>Fleet summary</h2>\n<div class=\"tiles\">");
            Tile("machines", machines.Count.ToString(C));
            Tile("online", online.ToString(C));
            Tile("offline", (machines.Count - online).ToString(C), machines.Count > online ? "bad" : null);
            Tile("mean CPU now", live.Count > 0 ? Percent(live.Average(s => s.CpuPercent)) + " %" : "-");
            Tile("mean memory now", live.Count > 0 ? Percent(live.Average(s => s.MemoryUsedPercent)) + " %" : "-");
            Tile("fullest disk", live.Any(s => s.DiskUsedPercentMax.HasValue) ? Percent(live.Max(s => s.DiskUsedPercentMax)) + " %" : "-");
            Tile("GPUs", machines.Sum(m => m.Inventory.Gpus.Count).ToString(C));
            Tile("benchmark results", data.Results.Count.ToString(C));
            int outliers = comparisons.Sum(c => c.Outliers.Count);
            Tile("outliers", outliers.ToString(C), outliers > 0 ? "bad" : null);
            _sb.Append("</div>\n<table>\n<thead><tr><th>Machine</th><th>Status</th><th>Last seen</th><th class=\"num\">CPU %</th><th class=\"num\">Memory %</th>")
              .Append("<th class=\"num\">Fullest disk %</th><th class=\"num\">Network in</th><th class=\"num\">Network out</th><th class=\"num\">GPU %</th></tr></thead>\n<tbody>\n");
            foreach (var m in machines)
            {
                var s = m.Latest;
                _sb.Append("<tr><td>").Append(Html(m.Name)).Append("</td><td class=\"status-").Append(m.Status == MachineStatus.Online ? "online" : "offline").Append("\">")
                  .Append(m.Status == MachineStatus.Online ? "online" : "offline").Append("</td><td>").Append(m.LastSeen is { } seen ? Html(Time(seen)) : "-").Append("</td>");
                Num(s is null ? "-" : Percent(s.CpuPercent));
                Num(s is null ? "-" : Percent(s.MemoryUsedPercent));
                Num(Percent(s?.DiskUsedPercentMax));
                Num(s is null ? "-" : Units.Rate(s.NetworkReceiveBytesPerSecond));
                Num(s is null ? "-" : Units.Rate(s.NetworkTransmitBytesPerSecond));
                Num(Percent(s?.GpuUtilizationPercent));
                _sb.Append("</tr>\n");
            }
            _sb.Append("</tbody>\n</table>\n<p class=\"small\">Figures \"now\" are each machine's latest sample when the report was made; offline machines show their last one.</p>\n");

            // One line per machine, so the fleet's CPU can be read at a glance (and machines told apart by the legend).
            var lines = data.History.Where(h => h.Series is { Points.Count: > 0 })
                .Select(h => (h.Machine, Line: new ReportCharts.Timeline(h.Series!).Line(p => p.CpuPercent, ReportCharts.PointsPerFleetLine)))
                .Where(x => x.Line is not null)
                .Select(x => new ReportCharts.Trace(x.Machine, x.Line!.Value.X, x.Line.Value.Y)).ToList();
            if (lines.Count > 0)
            {
                Chart("CPU busy across the fleet", ReportCharts.TimeChart("CPU %", lines, percent: true, legendRight: true), "tall");
            }
            _sb.Append("</section>\n");
        }

        private void History()
        {
            if (data.History.Count == 0) return;
            _sb.Append("<section id=\"history\">\n<h2>History</h2>\n");
            foreach (var h in data.History)
            {
                var machine = data.Machines.FirstOrDefault(m => string.Equals(m.Name, h.Machine, StringComparison.OrdinalIgnoreCase));
                _sb.Append("<article class=\"machine\">\n<h3>").Append(Html(h.Machine));
                if (machine is not null)
                {
                    _sb.Append(" <span class=\"small status-").Append(machine.Status == MachineStatus.Online ? "online\">online" : "offline\">offline").Append("</span>");
                }
                _sb.Append("</h3>\n");
                if (h.Series is null)
                {
                    _sb.Append("<p class=\"note\">No history: ").Append(Html(h.Missing ?? "none was found.")).Append("</p>\n</article>\n");
                    continue;
                }
                if (h.Series.Points.Count == 0)
                {
                    _sb.Append("<p class=\"note\">No samples in this range.</p>\n</article>\n");
                    continue;
                }
                var timeline = new ReportCharts.Timeline(h.Series);
                var first = h.Series.Points.Min(p => p.T);
                var last = h.Series.Points.Max(p => p.T);
                _sb.Append("<p class=\"small\">").Append(timeline.Count.ToString("#,0", C)).Append(timeline.Count == 1 ? " point, one per " : " points, one per ")
                  .Append(Html(Durations.Format(TimeSpan.FromSeconds(Math.Max(1, h.Series.StepSeconds))))).Append(", from ").Append(Html(Time(first)))
                  .Append(" to ").Append(Html(Time(last))).Append(".</p>\n<div class=\"pair\">\n");
                var usage = Traces(timeline,
                    ("CPU %", p => p.CpuPercent, "#1f77b4"),
                    ("memory %", p => p.MemoryUsedPercent, "#2ca02c"),
                    ("GPU %", p => p.GpuUtilizationPercent, "#9467bd"),
                    ("GPU memory %", p => p.GpuMemoryUsedPercent, "#8c564b"));
                var io = Traces(timeline,
                    ("network in", p => p.NetworkReceiveBytesPerSecond, "#17becf"),
                    ("network out", p => p.NetworkTransmitBytesPerSecond, "#ff7f0e"),
                    ("disk read", p => p.DiskReadBytesPerSecond, "#7f7f7f"),
                    ("disk write", p => p.DiskWriteBytesPerSecond, "#bcbd22"));
                if (usage.Count > 0) Chart(h.Machine + ": CPU, memory" + (usage.Count > 2 ? ", GPU" : ""), ReportCharts.TimeChart("percent", usage, percent: true));
                if (io.Count > 0) Chart(h.Machine + ": network and disk", ReportCharts.TimeChart("bytes per second", io, percent: false, ySuffix: "B/s"));
                _sb.Append("</div>\n</article>\n");
            }
            _sb.Append("</section>\n");
        }

        private static List<ReportCharts.Trace> Traces(ReportCharts.Timeline timeline, params (string Name, Func<MetricPoint, double?> Figure, string Color)[] figures)
        {
            var traces = new List<ReportCharts.Trace>();
            foreach (var (name, figure, color) in figures)
            {
                if (timeline.Line(figure, ReportCharts.PointsPerSeries) is { } line) traces.Add(new ReportCharts.Trace(name, line.X, line.Y, color));
            }
            return traces;
        }

        private void Benchmarks(IReadOnlyList<BenchmarkComparison> comparisons)
        {
            if (comparisons.Count == 0) return;
            _sb.Append("<section id=\"benchmarks\">\n<h2>Benchmarks</h2>\n<p class=\"small\">Each machine's latest completed run is compared. An outlier is worse than the fleet median by more than ")
              .Append(Outliers.DefaultTolerance.ToString("P0", C)).Append(" (below 0.8 × the median where higher is better, above median ÷ 0.8 where lower is better); a median needs at least three machines.</p>\n");
            foreach (var c in comparisons)
            {
                _sb.Append("<article class=\"benchmark\">\n<h3>").Append(Html(c.Benchmark));
                if (c.Headline is { } h)
                {
                    _sb.Append(": ").Append(Html(h.Value)).Append(" <span class=\"small\">(").Append(Html(h.Unit)).Append(", ").Append(h.HigherIsBetter ? "higher" : "lower").Append(" is better)</span>");
                }
                _sb.Append("</h3>\n");
                if (c.Headline is { } headline && c.Latest.Count > 0)
                {
                    var bars = c.Latest.OrderBy(x => headline.HigherIsBetter ? -x.Value : x.Value).Select(x => (x.Machine, x.Value)).ToList();
                    Chart($"{c.Benchmark}: {headline.Value} by machine, latest run each", ReportCharts.BarChart($"{headline.Value} ({headline.Unit})", bars, c.Outliers.Keys.ToHashSet(StringComparer.Ordinal),
                        c.Median, headline.Unit, Outliers.DefaultTolerance), "tall");
                    if (c.Latest.Count < 3)
                    {
                        _sb.Append("<p class=\"small\">").Append(c.Latest.Count.ToString(C)).Append(c.Latest.Count == 1 ? " machine" : " machines").Append(": outliers are flagged from three.</p>\n");
                    }
                    else if (c.Outliers.Count == 0)
                    {
                        _sb.Append("<p class=\"ok\">No outliers: every machine is within ").Append(Outliers.DefaultTolerance.ToString("P0", C)).Append(" of the median (")
                          .Append(Html(Number(c.Median))).Append(' ').Append(Html(headline.Unit)).Append(").</p>\n");
                    }
                    else
                    {
                        _sb.Append("<table class=\"outliers\">\n<caption>Outliers</caption>\n<thead><tr><th>Machine</th><th class=\"num\">").Append(Html(headline.Value))
                          .Append("</th><th class=\"num\">Fleet median</th><th class=\"num\">Worse by</th></tr></thead>\n<tbody>\n");
                        foreach (var (machine, worse) in c.Outliers.OrderByDescending(o => o.Value))
                        {
                            var value = c.Latest.First(x => x.Machine == machine).Value;
                            _sb.Append("<tr class=\"outlier\"><td>").Append(Html(machine)).Append("</td><td class=\"num\">").Append(Html(Number(value))).Append(' ').Append(Html(headline.Unit))
                              .Append("</td><td class=\"num\">").Append(Html(Number(c.Median))).Append(' ').Append(Html(headline.Unit)).Append("</td><td class=\"num bad\">")
                              .Append(worse.ToString("0.0", C)).Append(headline.HigherIsBetter ? " % below" : " % above").Append("</td></tr>\n");
                        }
                        _sb.Append("</tbody>\n</table>\n");
                    }
                }
                ResultsTable(c);
                _sb.Append("</article>\n");
            }
            _sb.Append("</section>\n");
        }

        private void ResultsTable(BenchmarkComparison c)
        {
            const int MaxRows = 200;
            var rows = c.Results.OrderByDescending(r => r.FinishedAt).ToList();
            _sb.Append("<table class=\"results\">\n<caption>Runs, newest first</caption>\n<thead><tr><th>Machine</th><th>Finished</th><th>State</th>");
            _sb.Append(c.Headline is { } h ? "<th class=\"num\">" + Html(h.Value) + "</th><th class=\"num\">vs median</th>" : "<th>Figures</th>");
            _sb.Append("<th class=\"num\">Duration</th><th>Warnings and errors</th></tr></thead>\n<tbody>\n");
            foreach (var r in rows.Take(MaxRows))
            {
                bool flagged = c.Outliers.ContainsKey(r.Machine) && c.Latest.Any(x => ReferenceEquals(x.Result, r));
                _sb.Append(flagged ? "<tr class=\"outlier\">" : "<tr>").Append("<td>").Append(Html(r.Machine)).Append("</td><td>").Append(Html(Time(r.FinishedAt)))
                  .Append("</td><td").Append(r.State == BenchmarkState.Completed ? ">" : " class=\"bad\">").Append(Html(r.State.ToString())).Append("</td>");
                if (c.Headline is { } headline)
                {
                    bool has = r.State == BenchmarkState.Completed && r.Values.TryGetValue(headline.Value, out var v) && double.IsFinite(v);
                    double value = has ? r.Values[headline.Value] : double.NaN;
                    Num(has ? Number(value) + " " + headline.Unit : "-");
                    Num(has && double.IsFinite(c.Median) && c.Median > 0 ? (value / c.Median).ToString("0.00", C) + " ×" : "-");
                }
                else
                {
                    _sb.Append("<td class=\"wrap\">").Append(Html(string.Join(", ", r.Values.Take(6).Select(kv => $"{kv.Key} {Number(kv.Value)}")))).Append("</td>");
                }
                Num(Html(Units.Duration(r.DurationSeconds)));
                var problems = r.Warnings.Concat(r.Error is { Length: > 0 } e ? [e] : Array.Empty<string>()).ToList();
                _sb.Append("<td class=\"wrap warn\">").Append(string.Join("<br>", problems.Select(Html))).Append("</td></tr>\n");
            }
            _sb.Append("</tbody>\n</table>\n");
            if (rows.Count > MaxRows)
            {
                _sb.Append("<p class=\"small\">").Append((rows.Count - MaxRows).ToString(C)).Append(" older runs not listed.</p>\n");
            }
        }

        private void Inventory()
        {
            if (data.Machines.Count == 0) return;
            _sb.Append("<section id=\"inventory\">\n<h2>Inventory</h2>\n<table>\n<thead><tr><th>Machine</th><th>CPU</th><th class=\"num\">Sockets / cores / threads</th><th class=\"num\">NUMA nodes</th>")
              .Append("<th class=\"num\">Memory</th><th>GPUs</th><th>Operating system</th><th>Kernel</th><th>Tags</th></tr></thead>\n<tbody>\n");
            foreach (var m in data.Machines.OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase))
            {
                var inv = m.Inventory;
                var gpus = inv.Gpus.GroupBy(g => g.Name).Select(g => (g.Count() > 1 ? g.Count().ToString(C) + " × " : "") + g.Key + (g.First().MemoryTotalBytes is { } b ? " (" + Units.Bytes(b) + ")" : ""));
                _sb.Append("<tr><td>").Append(Html(m.Name)).Append("</td><td class=\"wrap\">").Append(Html(inv.CpuModel)).Append(inv.Architecture.Length > 0 ? " <span class=\"small\">" + Html(inv.Architecture) + "</span>" : "")
                  .Append("</td>");
                Num($"{inv.Sockets} / {inv.Cores} / {inv.Threads}");
                Num(inv.NumaNodes.ToString(C));
                Num(inv.MemoryTotalBytes > 0 ? Html(Units.Bytes(inv.MemoryTotalBytes)) : "-");
                _sb.Append("<td class=\"wrap\">").Append(inv.Gpus.Count == 0 ? "-" : string.Join("<br>", gpus.Select(Html))).Append("</td><td class=\"wrap\">").Append(Html(inv.OperatingSystem))
                  .Append("</td><td class=\"wrap\">").Append(Html(inv.KernelVersion)).Append("</td><td class=\"wrap\">")
                  .Append(string.Join(", ", m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => Html(t.Key + "=" + t.Value)))).Append("</td></tr>\n");
            }
            _sb.Append("</tbody>\n</table>\n</section>\n");
        }

        private void Tile(string label, string value, string? cls = null)
            => _sb.Append("<div class=\"tile\"><b").Append(cls is null ? "" : $" class=\"{cls}\"").Append('>').Append(Html(value)).Append("</b><span>").Append(Html(label)).Append("</span></div>");

        // Callers pass text that is already safe (numbers, or encoded).
        private void Num(string safe) => _sb.Append("<td class=\"num\">").Append(safe).Append("</td>");

        private void Chart(string caption, string figureJson, string? cls = null)
        {
            var id = "chart" + (++_charts).ToString(C);
            _sb.Append("<figure><figcaption>").Append(Html(caption)).Append("</figcaption><div class=\"chart").Append(cls is null ? "" : " " + cls).Append("\" id=\"").Append(id).Append("\"></div>\n")
              .Append("<script type=\"application/json\" data-chart=\"").Append(id).Append("\">").Append(figureJson).Append("</script></figure>\n");
        }
    }

    private static string Version => typeof(ReportBuilder).Assembly.GetName().Version?.ToString(3) ?? "";

    // Draws every chart from its figure JSON once plotly.js has loaded. A chart keeps the pixel width the screen gave
    // it, so for printing each is redrawn at a width that fits a portrait A4 or Letter page, and put back afterwards.
    private const string Bootstrap = """
(function () {
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ['sendDataToCloud', 'lasso2d', 'select2d'] };
  var charts = [];
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (s) {
    var el = document.getElementById(s.getAttribute('data-chart'));
    var fig = JSON.parse(s.textContent);
    Plotly.newPlot(el, fig.data, fig.layout, config);
    charts.push(el);
  });
  var printing = false;
  function forPrint() {
    if (printing) return;
    printing = true;
    charts.forEach(function (el) { Plotly.relayout(el, { width: 680 }); });
  }
  function forScreen() {
    if (!printing) return;
    printing = false;
    charts.forEach(function (el) { Plotly.relayout(el, { width: null, autosize: true }); });
  }
  window.addEventListener('beforeprint', forPrint);
  window.addEventListener('afterprint', forScreen);
  if (window.matchMedia) {
    window.matchMedia('print').addEventListener('change', function (e) { if (e.matches) forPrint(); else forScreen(); });
  }
})();
""";

    private const string Css = """
:root { --fg: #1d2329; --muted: #5b6670; --line: #d9dee3; --bad: #c62828; --ok: #2e7d32; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; margin: 0 auto; max-width: 1400px; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin: 36px 0 12px; }
h3 { font-size: 16px; margin: 24px 0 6px; overflow-wrap: anywhere; }
.meta, .small { color: var(--muted); }
.small { font-size: .86em; font-weight: normal; }
nav a { margin-right: 16px; color: #1565c0; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px; min-width: 110px; }
.tile b { display: block; font-size: 22px; }
.tile span { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f6f8; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.wrap { overflow-wrap: anywhere; }
tr.outlier td { background: #fdecea; }
.status-online { color: var(--ok); font-weight: 600; }
.status-offline, .bad { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); }
.warn { color: #8a5a00; }
.note { background: #fff8e1; border-left: 4px solid #f9a825; padding: 6px 10px; margin: 6px 0; overflow-wrap: anywhere; }
.pair { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
figure { margin: 8px 0 16px; min-width: 0; }
figcaption { font-size: 13px; color: var(--fg); margin-bottom: 2px; overflow-wrap: anywhere; }
.chart { width: 100%; height: 300px; }
.chart.tall { height: 380px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media (max-width: 900px) { .pair { grid-template-columns: minmax(0, 1fr); } }
@media print {
  body { padding: 0; max-width: none; font-size: 11px; }
  table { font-size: 10px; }
  th, td { padding: 2px 4px; }
  nav, .modebar-container { display: none !important; }
  h2, h3 { break-after: avoid; }
  .chart, tr, .tile, article.machine { break-inside: avoid; }
  .pair { grid-template-columns: minmax(0, 1fr); }
}
""";
}
