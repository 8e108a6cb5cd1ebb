using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sentinel.Benchmarks;
using Sentinel.Fleet;
using Sentinel.Reports;
using Xunit.Abstractions;

namespace Sentinel.Tests;

/// <summary>Synthetic fleets for reports: machines, histories and benchmark results with known shapes.</summary>
internal static class ReportSamples
{
    public static readonly DateTimeOffset Start = new(2026, 11, 17, 0, 0, 0, TimeSpan.Zero);

    public const string Img = "<img src=x onerror=alert(1)>";
    public const string ScriptBreak = "</script><script>alert(2)</script>";

    public static Machine Machine(string name, MachineStatus status = MachineStatus.Online, string cpu = "Sim CPU", int gpus = 0) => new()
    {
        Name = name,
        Status = status,
        LastSeen = Start.AddDays(7),
        Tags = new Dictionary<string, string> { ["rack"] = "b7" },
        Inventory = new Inventory
        {
            HostName = name, CpuModel = cpu, Sockets = 2, Cores = 32, Threads = 64, NumaNodes = 2, MemoryTotalBytes = 256L << 30,
            OperatingSystem = "Debian GNU/Linux 13", KernelVersion = "6.12.0", Architecture = "x64",
            Gpus = Enumerable.Range(0, gpus).Select(i => new GpuInfo { Index = i, Name = "NVIDIA H100", MemoryTotalBytes = 80L << 30 }).ToList(),
        },
        Latest = new MachineSample
        {
            Timestamp = Start.AddDays(7), IntervalSeconds = 1.003, // a 1 s agent's sample, as measured
            Cpu = new CpuSample { CpuPercent = 42 }, Memory = new MemorySample { TotalBytes = 256L << 30, UsedBytes = 64L << 30, UsedPercent = 25 },
        },
    };

    /// <summary>
    /// One point per second: CPU a slow wave with noise (never above 60), one 100% spike at <paramref name="spikeAt"/>,
    /// memory a ramp, network a wave; no GPU figures.
    /// </summary>
    public static MetricSeries Seconds(string name, int seconds, int spikeAt = -1, DateTimeOffset? start = null)
    {
        var t0 = start ?? Start;
        var random = new Random(seconds);
        var points = new List<MetricPoint>(seconds);
        for (int i = 0; i < seconds; i++)
        {
            double wave = Math.Sin(i / 3600.0);
            points.Add(new MetricPoint
            {
                Machine = name, T = t0.AddSeconds(i), StepSeconds = 1, Samples = 1,
                CpuPercent = i == spikeAt ? 100 : 30 + 20 * wave + random.NextDouble() * 10,
                MemoryUsedPercent = 20 + 40.0 * i / seconds,
                NetworkReceiveBytesPerSecond = 1e6 * (2 + wave), NetworkTransmitBytesPerSecond = 5e5 * (2 - wave),
                DiskReadBytesPerSecond = 1e5, DiskWriteBytesPerSecond = 2e5 + random.NextDouble() * 1e5,
            });
        }
        return new MetricSeries { Name = name, Since = t0, Until = t0.AddSeconds(seconds), StepSeconds = 1, Points = points };
    }

    public static BenchmarkResult Bandwidth(string machine, double triad, int minutesAfterStart = 60, string[]? warnings = null) => new()
    {
        Benchmark = "MemoryBandwidth", Machine = machine, JobId = "job1", State = BenchmarkState.Completed,
        StartedAt = Start.AddMinutes(minutesAfterStart), FinishedAt = Start.AddMinutes(minutesAfterStart).AddSeconds(20),
        Values = new Dictionary<string, double> { ["copyGBs"] = triad * 0.9, ["triadGBs"] = triad },
        Warnings = [.. warnings ?? []],
    };

    public static ReportData Data(IEnumerable<Machine> machines, IEnumerable<MetricSeries> series, IEnumerable<BenchmarkResult> results) => new()
    {
        Title = "Test report", GeneratedAt = Start.AddDays(7), Source = "master at http://127.0.0.1:1", Since = Start, Until = Start.AddDays(7),
        Machines = machines.ToList(), History = series.Select(s => new MachineHistory(s.Name, s)).ToList(), Results = results.ToList(),
    };

    /// <summary>The page without the inlined plotly.js (which is a third party's text, not built from data).</summary>
    public static string WithoutPlotly(string html)
    {
        var start = html.IndexOf("<script>/**\n* plotly.js v", StringComparison.Ordinal);
        Assert.True(start > 0, "plotly.js is not inlined where expected");
        var end = html.IndexOf("</script>", start, StringComparison.Ordinal);
        return html[..start] + html[(end + "</script>".Length)..];
    }

    /// <summary>Each chart's figure JSON, parsed as a browser's JSON.parse would.</summary>
    public static List<JsonDocument> Figures(string html) => Regex.Matches(html, "<script type=\"application/json\" data-chart=\"chart\\d+\">(.*?)</script>", RegexOptions.Singleline)
        .Select(m => JsonDocument.Parse(m.Groups[1].Value)).ToList();
}

public class ReportTests(ITestOutputHelper output)
{
    private static (double[] X, double[] Y) Walk(int n, int seed)
    {
        var random = new Random(seed);
        var x = new double[n];
        var y = new double[n];
        double v = 50;
        for (int i = 0; i < n; i++)
        {
            x[i] = 1_700_000_000 + i;
            v += random.NextDouble() - 0.5;
            y[i] = v;
        }
        return (x, y);
    }

    [Fact]
    public void Lttb_returns_every_point_when_there_are_few()
    {
        var (x, y) = Walk(500, 1);
        Assert.Equal(Enumerable.Range(0, 500), Lttb.Downsample(x, y, 500));
        Assert.Equal(Enumerable.Range(0, 10), Lttb.Downsample(x.AsSpan(0, 10), y.AsSpan(0, 10), 1000));
        Assert.Empty(Lttb.Downsample([], [], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Lttb.Downsample(x, y, 2));
        Assert.Throws<ArgumentException>(() => Lttb.Downsample(x, y.AsSpan(1), 100));
    }

    [Fact]
    public void Lttb_keeps_the_count_the_endpoints_the_order_and_a_spike()
    {
        var (x, y) = Walk(604_800, 2);
        y[123_457] = 1000; // one sample far above the walk
        y[400_001] = -1000; // and one far below
        var keep = Lttb.Downsample(x, y, 1500);
        Assert.Equal(1500, keep.Length);
        Assert.Equal(0, keep[0]);
        Assert.Equal(604_799, keep[^1]);
        for (int i = 1; i < keep.Length; i++) Assert.True(keep[i] > keep[i - 1], $"indices not increasing at {i}: {keep[i - 1]}, {keep[i]}");
        Assert.Contains(123_457, keep);
        Assert.Contains(400_001, keep);
        // The shape is kept: the extremes of the downsampled walk (spikes aside) are close to the real ones.
        var rest = Enumerable.Range(0, y.Length).Where(i => i is not 123_457 and not 400_001).ToArray();
        var keptRest = keep.Where(i => i is not 123_457 and not 400_001).ToArray();
        double span = rest.Max(i => y[i]) - rest.Min(i => y[i]);
        Assert.InRange(rest.Max(i => y[i]) - keptRest.Max(i => y[i]), 0, span * 0.02);
        Assert.InRange(keptRest.Min(i => y[i]) - rest.Min(i => y[i]), 0, span * 0.02);
    }

    [Fact]
    public void Lttb_keeps_a_gap_marker_per_gap_and_shares_the_budget_between_stretches()
    {
        var (x, y) = Walk(20_000, 3);
        for (int i = 5_000; i < 6_000; i++) y[i] = double.NaN;  // a gap
        for (int i = 15_000; i < 15_010; i++) y[i] = double.NaN; // and a short one
        var keep = Lttb.Downsample(x, y, 400);
        Assert.InRange(keep.Length, 390, 400);
        Assert.Equal(2, keep.Count(i => double.IsNaN(y[i])));
        Assert.Contains(5_000, keep);
        Assert.Contains(15_000, keep);
        // Each stretch keeps its own ends, so the line stops and starts where the data does.
        Assert.Contains(4_999, keep);
        Assert.Contains(6_000, keep);
        Assert.Contains(14_999, keep);
        Assert.Contains(15_010, keep);
        Assert.Equal(19_999, keep[^1]);
        // The longest stretch (6000..14999) gets the most points.
        Assert.True(keep.Count(i => i is > 6_000 and < 14_999) > keep.Count(i => i < 4_999));
    }

    [Fact]
    public void Lttb_of_a_series_with_gaps_everywhere_drops_the_gaps_and_stays_within_the_budget()
    {
        var (x, y) = Walk(10_000, 4);
        for (int i = 0; i < y.Length; i += 3) y[i] = double.NaN;
        var keep = Lttb.Downsample(x, y, 100);
        Assert.InRange(keep.Length, 3, 100);
        Assert.DoesNotContain(keep, i => double.IsNaN(y[i]));
        Assert.Equal(1, keep[0]);
        Assert.Equal(9_998, keep[^1]);
    }

    [Fact]
    public void The_report_inlines_plotly_js_and_loads_nothing_from_anywhere()
    {
        var html = ReportBuilder.Build(ReportSamples.Data([ReportSamples.Machine("node01")], [ReportSamples.Seconds("node01", 3600)], [ReportSamples.Bandwidth("node01", 100)]));
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Single(Regex.Matches(html, @"\* plotly\.js v2\.28\.0"));
        Assert.Contains("Plotly.newPlot", html);
        Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=", html);
        Assert.DoesNotMatch(@"<link\b", html);
        var page = ReportSamples.WithoutPlotly(html);
        Assert.DoesNotContain("cdn.plot.ly", page);
        Assert.DoesNotMatch(@"(src|href)\s*=\s*""?https?:", page);
        Assert.Contains("default-src 'none'", page);
        // A chart per kind of figure: the fleet's CPU, the machine's utilisation and I/O, the benchmark.
        Assert.Equal(4, ReportSamples.Figures(html).Count);
    }

    [Fact]
    public void Machine_text_stays_text_in_the_page_in_the_charts_and_in_the_scripts()
    {
        string[] hostile = [ReportSamples.Img, ReportSamples.ScriptBreak];
        var machines = hostile.Select(n => ReportSamples.Machine(n)).ToList();
        machines[0] = new Machine
        {
            Name = machines[0].Name, Status = MachineStatus.Offline, Latest = machines[0].Latest,
            Tags = new Dictionary<string, string> { ["<b>rack</b>"] = ReportSamples.Img },
            Inventory = new Inventory { HostName = "h", CpuModel = ReportSamples.Img, OperatingSystem = ReportSamples.ScriptBreak, KernelVersion = "<svg onload=alert(3)>",
                Gpus = [new GpuInfo { Name = "<iframe src=javascript:alert(4)>" }] },
        };
        var results = hostile.Select((n, i) => ReportSamples.Bandwidth(n, 100 + i, warnings: ["<img src=y onerror=alert(5)>"]))
            .Append(ReportSamples.Bandwidth("third", 10) with { State = BenchmarkState.Completed })
            .Append(new BenchmarkResult { Benchmark = "Command", Machine = ReportSamples.Img, State = BenchmarkState.Failed, Error = "</script><img src=z onerror=alert(6)>",
                Values = new Dictionary<string, double> { ["<i>x</i>"] = 1 } })
            .ToList();
        var html = ReportBuilder.Build(ReportSamples.Data(machines, hostile.Select(n => ReportSamples.Seconds(n, 600)), results));
        var page = ReportSamples.WithoutPlotly(html);

        // No element from data: every '<' that opens a tag is the report's own.
        Assert.DoesNotContain("<img", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<svg", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>rack", page);
        Assert.DoesNotContain("<i>x", page);
        Assert.DoesNotContain("alert(2)</script>", page);
        // Scripts: the chart data blocks and the bootstrap; nothing a name opened or closed.
        int charts = ReportSamples.Figures(html).Count;
        Assert.Equal(charts + 1, Regex.Matches(page, "<script").Count);
        Assert.Equal(charts + 1, Regex.Matches(page, "</script>").Count);

        // In HTML the names read as themselves.
        Assert.Contains("<td>&lt;img src=x onerror=alert(1)&gt;</td>", page);
        Assert.Contains("<td>&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;</td>", page);
        Assert.Contains("&lt;svg onload=alert(3)&gt;", page);
        Assert.Contains("&lt;img src=y onerror=alert(5)&gt;", page);
        Assert.Contains("&lt;/script&gt;&lt;img src=z onerror=alert(6)&gt;", page);

        // In the figures, names are plotly entities (shown as the characters), and the JSON itself has no raw < > &.
        foreach (Match m in Regex.Matches(page, "data-chart=\"chart\\d+\">(.*?)</script>", RegexOptions.Singleline))
        {
            Assert.DoesNotMatch("[<>&\u2028\u2029]", m.Groups[1].Value);
        }
        var names = ReportSamples.Figures(html).SelectMany(f => f.RootElement.GetProperty("data").EnumerateArray())
            .Where(t => t.TryGetProperty("name", out _)).Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", names);
        Assert.Contains("&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;", names);
        var categories = ReportSamples.Figures(html).SelectMany(f => f.RootElement.GetProperty("data").EnumerateArray())
            .Where(t => t.GetProperty("type").GetString() == "bar").SelectMany(t => t.GetProperty("x").EnumerateArray()).Select(x => x.GetString()).ToList();
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", categories);
    }

    [Fact]
    public void Outliers_are_flagged_in_colour_named_in_a_table_and_measured_against_the_median()
    {
        var values = new Dictionary<string, double> { ["n1"] = 100, ["n2"] = 98, ["n3"] = 102, ["slow"] = 70, ["n5"] = 101 };
        // An older, good run of 'slow' does not count: the latest completed one does.
        var results = values.Select(kv => ReportSamples.Bandwidth(kv.Key, kv.Value, 120)).Append(ReportSamples.Bandwidth("slow", 100, 30)).ToList();
        var comparison = Assert.Single(ReportBuilder.Compare(results));
        Assert.Equal(100, comparison.Median);
        Assert.Equal(["slow"], comparison.Outliers.Keys);
        Assert.Equal(30, comparison.Outliers["slow"], 6);

        var html = ReportBuilder.Build(ReportSamples.Data(values.Keys.Select(n => ReportSamples.Machine(n)), [], results));
        Assert.Matches("<tr class=\"outlier\"><td>slow</td><td class=\"num\">70.00 GB/s</td><td class=\"num\">100.0 GB/s</td><td class=\"num bad\">30.0 % below</td></tr>", html);
        var bar = ReportSamples.Figures(html).Single(f => f.RootElement.GetProperty("data")[0].GetProperty("type").GetString() == "bar").RootElement;
        var traces = bar.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, traces.Count);
        Assert.Equal(["n3", "n5", "n1", "n2"], traces[0].GetProperty("x").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(ReportCharts.Good, traces[0].GetProperty("marker").GetProperty("color").GetString());
        Assert.Equal(["slow"], traces[1].GetProperty("x").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(ReportCharts.Bad, traces[1].GetProperty("marker").GetProperty("color").GetString());
        var median = bar.GetProperty("layout").GetProperty("shapes")[0];
        Assert.Equal(100, median.GetProperty("y0").GetDouble());

        // Lower is better for latency: the slow machine is the one with the larger figure.
        var latency = new[] { 90.0, 92, 88, 130 }.Select((v, i) => new BenchmarkResult
        {
            Benchmark = "MemoryLatency", Machine = "m" + i, FinishedAt = ReportSamples.Start, Values = new Dictionary<string, double> { ["latencyNs"] = v },
        }).ToList();
        var l = Assert.Single(ReportBuilder.Compare(latency));
        Assert.Equal(["m3"], l.Outliers.Keys);
        Assert.Contains("% above", ReportBuilder.Build(ReportSamples.Data([], [], latency)));

        // Two machines: a median, but nobody is called an outlier.
        var two = ReportBuilder.Compare([ReportSamples.Bandwidth("a", 100), ReportSamples.Bandwidth("b", 10)]).Single();
        Assert.Empty(two.Outliers);
    }

    [Fact]
    public void A_week_of_seconds_for_two_machines_stays_a_few_megabytes_and_keeps_its_spike()
    {
        const int Week = 7 * 24 * 3600;
        const int Spike = 345_678;
        var series = ReportSamples.Seconds("node01", Week, Spike);
        var other = new MetricSeries { Name = "node02", Since = series.Since, Until = series.Until, StepSeconds = 1, Points = series.Points };
        var watch = Stopwatch.StartNew();
        var html = ReportBuilder.Build(ReportSamples.Data([ReportSamples.Machine("node01"), ReportSamples.Machine("node02")], [series, other], []));
        watch.Stop();
        var page = ReportSamples.WithoutPlotly(html);
        output.WriteLine($"{html.Length / 1e6:0.00} MB in {watch.ElapsedMilliseconds} ms; {page.Length / 1e6:0.00} MB without plotly.js");
        Assert.InRange(html.Length, 3_600_000, 5_500_000);
        Assert.InRange(page.Length, 0, 1_500_000);

        // The one-second 100% spike is in each machine's CPU line and in the fleet chart.
        var spikeAt = ReportSamples.Start.AddSeconds(Spike).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var cpuLines = ReportSamples.Figures(html).SelectMany(f => f.RootElement.GetProperty("data").EnumerateArray())
            .Where(t => t.GetProperty("name").GetString() is "CPU %" or "node01" or "node02").ToList();
        Assert.Equal(4, cpuLines.Count);
        foreach (var line in cpuLines)
        {
            var x = line.GetProperty("x").EnumerateArray().Select(v => v.GetString()).ToList();
            var y = line.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToList();
            Assert.InRange(x.Count, 500, ReportCharts.PointsPerSeries);
            Assert.Equal(100, y[x.IndexOf(spikeAt)]);
            Assert.Equal(ReportSamples.Start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), x[0]);
        }
    }

    [Fact]
    public void Missing_steps_break_the_line_instead_of_drawing_a_slope()
    {
        var series = ReportSamples.Seconds("gappy", 600);
        series.Points.RemoveRange(200, 100); // the agent was away for 100 s
        var cpu = new ReportCharts.Timeline(series).Line(p => p.CpuPercent, 5000)!.Value;
        Assert.Equal(501, cpu.X.Length);
        Assert.Null(cpu.Y[200]);
        Assert.All(cpu.Y.Where((_, i) => i != 200), v => Assert.NotNull(v));
        Assert.Null(new ReportCharts.Timeline(series).Line(p => p.GpuUtilizationPercent, 5000));
    }

    [Fact]
    public async Task The_local_machine_is_reported_with_its_inventory_and_says_it_has_no_history()
    {
        await using var fleet = new LocalFleet();
        var now = DateTimeOffset.UtcNow;
        var data = await new ReportCollector(fleet).CollectAsync(new ReportInputs(), new ReportOptions { Since = now.AddHours(-24), Until = now });
        var host = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        Assert.Equal(host, Assert.Single(data.Machines).Name);
        var history = Assert.Single(data.History);
        Assert.Null(history.Series);
        Assert.Contains("keeps no history", history.Missing);
        var html = ReportBuilder.Build(data);
        Assert.Contains("No history: The local machine keeps no history", html);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(data.Machines[0].Inventory.CpuModel), html);
    }

    [Fact]
    public async Task Piped_input_decides_what_is_fetched_and_series_are_used_as_given()
    {
        var fleet = new FakeFleet(["a", "b", "c"]);
        var inputs = new ReportInputs();
        Assert.True(inputs.TryAdd("a"));
        Assert.True(inputs.TryAdd("nope"));
        Assert.True(inputs.TryAdd(ReportSamples.Seconds("b", 10)));
        Assert.True(inputs.TryAdd(ReportSamples.Bandwidth("c", 50)));
        Assert.False(inputs.TryAdd(42));
        var until = ReportSamples.Start.AddDays(7);
        var data = await new ReportCollector(fleet).CollectAsync(inputs, new ReportOptions { Since = ReportSamples.Start, Until = until });

        Assert.Equal(["a"], fleet.MetricsAskedFor.Select(m => m.Name)); // b came as a series; c only brought a result
        // A week asked for at 20000 points: 31 s steps, well within the master's 100000 points.
        Assert.Equal(TimeSpan.FromSeconds(31), fleet.MetricsAskedFor[0].Step);
        Assert.Equal(["a", "b", "c"], data.Machines.Select(m => m.Name));
        Assert.Equal(["a", "b"], data.History.Select(h => h.Machine));
        Assert.Equal(10, data.History[1].Series!.Points.Count);
        Assert.Contains(data.Notes, n => n.Contains("no machine named 'nope'"));
        // a's results are read from the fleet; c's came down the pipeline.
        Assert.Equal(["c", "a"], data.Results.Select(r => r.Machine));

        // Loose points become one series per machine.
        var points = new ReportInputs();
        foreach (var p in ReportSamples.Seconds("b", 5).Points) points.TryAdd(p);
        var fromPoints = await new ReportCollector(fleet).CollectAsync(points, new ReportOptions { Since = ReportSamples.Start, Until = until });
        Assert.Equal(5, Assert.Single(fromPoints.History).Series!.Points.Count);

        // Nothing piped: every machine, history read at most ThrottleLimit at a time.
        var all = new FakeFleet(Enumerable.Range(0, 12).Select(i => "n" + i).ToArray());
        var whole = await new ReportCollector(all).CollectAsync(new ReportInputs(), new ReportOptions { Since = ReportSamples.Start, Until = until, ThrottleLimit = 3 });
        Assert.Equal(12, whole.History.Count);
        Assert.Equal(all.Names, whole.History.Select(h => h.Machine));
        Assert.InRange(all.MostAtOnce, 1, 3);
    }

    [Fact]
    public async Task A_machine_the_master_cannot_give_history_for_is_named_and_an_unreachable_master_fails()
    {
        var fleet = new FakeFleet(["ok", "gone"]) { Refuse = "gone" };
        var data = await new ReportCollector(fleet).CollectAsync(new ReportInputs(), new ReportOptions { Since = ReportSamples.Start, Until = ReportSamples.Start.AddHours(1) });
        Assert.Equal("machine 'gone' is not known", data.History.Single(h => h.Machine == "gone").Missing);
        Assert.NotNull(data.History.Single(h => h.Machine == "ok").Series);
        // An hour of a 1 s agent: asked for at its interval (not at 2 s because its sample spanned 1.003 s).
        Assert.All(fleet.MetricsAskedFor, m => Assert.Equal(TimeSpan.FromSeconds(1), m.Step));

        await using var nowhere = new RemoteFleet(new Uri($"http://127.0.0.1:{Sentinel.Testing.SentinelProgram.FreePort()}"));
        var e = await Assert.ThrowsAsync<FleetException>(() => new ReportCollector(nowhere).CollectAsync(new ReportInputs(), new ReportOptions { Since = ReportSamples.Start, Until = ReportSamples.Start.AddHours(1) }));
        Assert.Equal("MasterUnreachable", e.Reason);
    }

    [Fact]
    public void Writing_a_report_never_replaces_a_file_unless_asked()
    {
        var dir = Directory.CreateTempSubdirectory("sentinel-report-").FullName;
        try
        {
            var path = Path.Combine(dir, "r.html");
            ReportFile.Write(path, "one", overwrite: false);
            Assert.Throws<IOException>(() => ReportFile.Write(path, "two", overwrite: false));
            Assert.Equal("one", File.ReadAllText(path));
            ReportFile.Write(path, "three", overwrite: true);
            Assert.Equal("three", File.ReadAllText(path));
            Assert.Equal(["r.html"], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temporary file left
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A fleet of named machines with one-point histories, recording what it was asked for.</summary>
    private sealed class FakeFleet(string[] names) : IFleet
    {
        private int _running;
        public string[] Names { get; } = names;
        public string? Refuse { get; init; }
        public List<(string Name, TimeSpan? Step)> MetricsAskedFor { get; } = [];
        public int MostAtOnce { get; private set; }
        public string Description => "fake fleet";

        public Task<IReadOnlyList<Machine>> GetMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default)
            => Task.FromResult<IReadOnlyList<Machine>>(Names.Select(n => ReportSamples.Machine(n)).Where(query.Matches).ToList());

        public async Task<MetricSeries> GetMetricsAsync(string name, DateTimeOffset? since, DateTimeOffset? until, TimeSpan? step, CancellationToken cancellationToken = default)
        {
            int now = Interlocked.Increment(ref _running);
            lock (MetricsAskedFor)
            {
                MetricsAskedFor.Add((name, step));
                MostAtOnce = Math.Max(MostAtOnce, now);
            }
            await Task.Delay(20, cancellationToken);
            Interlocked.Decrement(ref _running);
            if (name == Refuse) throw new FleetException("MachineNotFound", $"machine '{name}' is not known");
            return ReportSamples.Seconds(name, 1, start: since);
        }

        public IAsyncEnumerable<BenchmarkEvent> RunBenchmarkAsync(string benchmark, IReadOnlyDictionary<string, string> parameters, IReadOnlyList<string> machines, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public Task<IReadOnlyList<BenchmarkResult>> GetBenchmarkResultsAsync(ResultQuery query, CancellationToken cancellationToken = default)
            => Task.FromResult<IReadOnlyList<BenchmarkResult>>(Names.Select(n => ReportSamples.Bandwidth(n, 100)).ToList());

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
