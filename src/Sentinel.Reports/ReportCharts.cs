using Plotly.NET;

namespace Sentinel.Reports;

/// <summary>
/// The report's figures, built as Plotly.NET charts and written as plotly.js figure JSON (data and layout),
/// escaped for an inline script. Plotly.NET's typed chart functions are F# with F#-only optional arguments,
/// which C# must spell out in full (30-odd each), so traces and layouts are set through their dynamic
/// properties (the same objects and serialiser Plotly.NET uses); the property names are plotly.js's own.
/// </summary>
internal static class ReportCharts
{
    /// <summary>Points kept per line of a machine's history: enough for a wide screen, small enough for a week of seconds.</summary>
    public const int PointsPerSeries = 1500;

    /// <summary>Points per machine in the fleet-wide chart, which has a line for every machine.</summary>
    public const int PointsPerFleetLine = 600;

    public const string Good = "#1f77b4";
    public const string Bad = "#d62728";

    /// <summary>A line of a time chart, or a set of bars.</summary>
    public sealed record Trace(string Name, string[] X, object?[] Y, string? Color = null);

    /// <summary>A history laid out for charting: times in Unix seconds, with a NaN-valued marker wherever samples stop for a while.</summary>
    public sealed class Timeline
    {
        private readonly List<MetricPoint> _points;
        private readonly double[] _t;
        private readonly int[] _source;

        public Timeline(MetricSeries series)
        {
            _points = series.Points.OrderBy(p => p.T).ToList();
            var t = new List<double>(_points.Count + 16);
            var source = new List<int>(_points.Count + 16);
            double gap = GapSeconds(_points, series.StepSeconds);
            for (int i = 0; i < _points.Count; i++)
            {
                double at = _points[i].T.ToUnixTimeMilliseconds() / 1000.0;
                if (i > 0 && at - t[^1] > gap)
                {
                    // The master leaves out steps with no samples; a chart must show that as a break, not a slope.
                    t.Add(t[^1] + gap / 2);
                    source.Add(-1);
                }
                t.Add(at);
                source.Add(i);
            }
            _t = [.. t];
            _source = [.. source];
        }

        public int Count => _points.Count;

        /// <summary>One figure over time, downsampled with LTTB; null when no point has it.</summary>
        public (string[] X, object?[] Y)? Line(Func<MetricPoint, double?> figure, int threshold)
        {
            var y = new double[_t.Length];
            bool any = false;
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = _source[i] < 0 ? double.NaN : figure(_points[_source[i]]) is { } v && double.IsFinite(v) ? v : double.NaN;
                any |= !double.IsNaN(y[i]);
            }
            if (!any) return null;
            var keep = Lttb.Downsample(_t, y, threshold);
            var xs = new string[keep.Length];
            var ys = new object?[keep.Length];
            for (int i = 0; i < keep.Length; i++)
            {
                xs[i] = ReportText.PlotTime(_t[keep[i]]);
                ys[i] = ReportText.ChartValue(y[keep[i]]);
            }
            return (xs, ys);
        }

        // More than 2.5 usual spacings without a point is a gap; the usual spacing is the step or, when samples
        // came slower than the step (an agent at 5 s read at 1 s), the median spacing.
        private static double GapSeconds(List<MetricPoint> points, double step)
        {
            if (points.Count < 3) return double.MaxValue;
            int stride = Math.Max(1, points.Count / 10_000);
            var diffs = new List<double>();
            for (int i = stride; i < points.Count; i += stride)
            {
                diffs.Add((points[i].T - points[i - 1].T).TotalSeconds);
            }
            double usual = Math.Max(step, Sentinel.Benchmarks.Outliers.Median(diffs));
            return usual > 0 ? 2.5 * usual : double.MaxValue;
        }
    }

    /// <summary>
    /// Lines over time on one axis. Axis titles and trace names are plain text, encoded here; <paramref name="percent"/>
    /// fixes the y axis at 0 to 100; <paramref name="ySuffix"/> ("B/s") follows SI-prefixed tick labels. The chart's
    /// title is the page's (a caption above it), which leaves the top of the figure to the legend.
    /// </summary>
    public static string TimeChart(string yTitle, IReadOnlyList<Trace> traces, bool percent, string? ySuffix = null, bool legendRight = false)
    {
        var charts = traces.Select(t =>
        {
            var trace = new Trace2D("scatter");
            trace.SetProperty("name", ReportText.Plotly(t.Name));
            trace.SetProperty("x", t.X);
            trace.SetProperty("y", t.Y);
            // A few points are easier to see as dots (one point makes no line at all).
            trace.SetProperty("mode", t.X.Length < 60 ? "lines+markers" : "lines");
            trace.SetProperty("connectgaps", false);
            var line = new Dictionary<string, object> { ["width"] = 1.3 };
            if (t.Color is not null) line["color"] = t.Color;
            trace.SetProperty("line", line);
            return GenericChart.ofTraceObject(false, trace);
        }).ToList();
        var yaxis = new Dictionary<string, object>
        {
            ["title"] = new Dictionary<string, object> { ["text"] = ReportText.Plotly(yTitle) },
            ["rangemode"] = "tozero",
            ["gridcolor"] = "#e6e9ec",
            ["zerolinecolor"] = "#c9ced3",
        };
        if (percent) yaxis["range"] = new[] { 0, 100 };
        if (ySuffix is not null)
        {
            yaxis["ticksuffix"] = ySuffix;
            yaxis["exponentformat"] = "SI";
        }
        var layout = BaseLayout(legendOnTop: !legendRight);
        layout.SetProperty("xaxis", new Dictionary<string, object> { ["type"] = "date", ["gridcolor"] = "#e6e9ec" });
        layout.SetProperty("yaxis", yaxis);
        layout.SetProperty("hovermode", "x unified");
        return Json(GenericChart.setLayout(layout, GenericChart.combine(charts)));
    }

    /// <summary>
    /// A benchmark's headline across machines: one bar each (machine names as plain text, in the order to draw),
    /// outliers in red, the fleet median as a dashed line.
    /// </summary>
    public static string BarChart(string yTitle, IReadOnlyList<(string Machine, double Value)> bars, IReadOnlySet<string> outliers,
        double median, string unit, double tolerance)
    {
        var categories = bars.Select(b => ReportText.Plotly(b.Machine)).ToArray();
        var charts = new List<GenericChart>();
        foreach (var (flagged, name, color) in new[] { (false, $"within {tolerance:P0} of the median", Good), (true, $"outlier: over {tolerance:P0} worse than the median", Bad) })
        {
            var set = bars.Where(b => outliers.Contains(b.Machine) == flagged).ToList();
            if (set.Count == 0) continue;
            var trace = new Trace2D("bar");
            trace.SetProperty("name", ReportText.Plotly(name));
            trace.SetProperty("x", set.Select(b => ReportText.Plotly(b.Machine)).ToArray());
            trace.SetProperty("y", set.Select(b => ReportText.ChartValue(b.Value)).ToArray());
            trace.SetProperty("text", set.Select(b => ReportText.Number(b.Value)).ToArray());
            trace.SetProperty("textposition", "outside");
            trace.SetProperty("cliponaxis", false);
            trace.SetProperty("marker", new Dictionary<string, object> { ["color"] = color });
            trace.SetProperty("hovertemplate", "%{x}: %{text} " + ReportText.Plotly(unit) + "<extra></extra>");
            charts.Add(GenericChart.ofTraceObject(false, trace));
        }
        var layout = BaseLayout(legendOnTop: true);
        layout.SetProperty("barmode", "overlay");
        layout.SetProperty("showlegend", true);
        layout.SetProperty("xaxis", new Dictionary<string, object>
        {
            ["type"] = "category",
            ["categoryorder"] = "array",
            ["categoryarray"] = categories,
            ["automargin"] = true,
            ["tickangle"] = categories.Length > 6 ? -30 : 0,
        });
        layout.SetProperty("yaxis", new Dictionary<string, object>
        {
            ["title"] = new Dictionary<string, object> { ["text"] = ReportText.Plotly(yTitle) },
            ["rangemode"] = "tozero",
            ["gridcolor"] = "#e6e9ec",
        });
        if (double.IsFinite(median))
        {
            layout.SetProperty("shapes", new[]
            {
                new Dictionary<string, object>
                {
                    ["type"] = "line", ["xref"] = "paper", ["x0"] = 0, ["x1"] = 1, ["yref"] = "y", ["y0"] = median, ["y1"] = median,
                    ["line"] = new Dictionary<string, object> { ["color"] = "#444", ["width"] = 1.5, ["dash"] = "dash" },
                },
            });
            layout.SetProperty("annotations", new[]
            {
                new Dictionary<string, object>
                {
                    ["xref"] = "paper", ["x"] = 1, ["xanchor"] = "right", ["yref"] = "y", ["y"] = median, ["yanchor"] = "bottom",
                    ["text"] = ReportText.Plotly($"fleet median {ReportText.Number(median)} {unit}"), ["showarrow"] = false,
                    ["font"] = new Dictionary<string, object> { ["size"] = 11, ["color"] = "#444" },
                },
            });
        }
        return Json(GenericChart.setLayout(layout, GenericChart.combine(charts)));
    }

    private static Layout BaseLayout(bool legendOnTop)
    {
        var layout = new Layout();
        layout.SetProperty("margin", new Dictionary<string, object> { ["l"] = 64, ["r"] = 24, ["t"] = legendOnTop ? 36 : 12, ["b"] = 40 });
        layout.SetProperty("legend", legendOnTop
            ? new Dictionary<string, object> { ["orientation"] = "h", ["x"] = 0, ["y"] = 1.02, ["yanchor"] = "bottom" }
            : new Dictionary<string, object> { ["orientation"] = "v" });
        layout.SetProperty("paper_bgcolor", "#ffffff");
        layout.SetProperty("plot_bgcolor", "#ffffff");
        layout.SetProperty("font", new Dictionary<string, object> { ["family"] = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif", ["size"] = 12 });
        return layout;
    }

    private static string Json(GenericChart chart) => ReportText.ScriptJson(GenericChart.toFigureJson(chart));
}
