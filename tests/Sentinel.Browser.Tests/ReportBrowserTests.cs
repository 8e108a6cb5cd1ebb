using Microsoft.Playwright;
using Sentinel.Reports;

namespace Sentinel.Browser.Tests;

/// <summary>
/// A generated report opened from disk (file://, no server, no network) in Chromium: its charts draw, and
/// machines named like markup stay text in tables, legends and ticks, with no script of theirs running.
/// </summary>
public sealed class ReportBrowserTests(Chromium chromium) : IClassFixture<Chromium>, IDisposable
{
    private const string Img = "<img src=x onerror=alert(1)>";
    private const string ScriptBreak = "</script><script>alert(2)</script>";
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("sentinel-report-page-").FullName;

    private static Machine Machine(string name, int gpus = 0, MachineStatus status = MachineStatus.Online) => new()
    {
        Name = name, Status = status, LastSeen = Start.AddHours(6),
        Tags = new Dictionary<string, string> { ["rack"] = name == Img ? Img : "b7" },
        Inventory = new Inventory
        {
            HostName = name, CpuModel = name == Img ? Img : "AMD EPYC 9654 96-Core Processor", Sockets = 2, Cores = 192, Threads = 384, NumaNodes = 2,
            MemoryTotalBytes = 768L << 30, OperatingSystem = "Debian GNU/Linux 13 (trixie)", KernelVersion = "6.12.57+deb13-amd64", Architecture = "x64",
            Gpus = Enumerable.Range(0, gpus).Select(i => new GpuInfo { Index = i, Name = "NVIDIA H100 80GB HBM3", MemoryTotalBytes = 80L << 30 }).ToList(),
        },
        Latest = new MachineSample
        {
            Timestamp = Start.AddHours(6), IntervalSeconds = 1, Cpu = new CpuSample { CpuPercent = 37.5 },
            Memory = new MemorySample { TotalBytes = 768L << 30, UsedBytes = 200L << 30, UsedPercent = 26 },
            Gpus = Enumerable.Range(0, gpus).Select(i => new GpuSample { Index = i, Name = "NVIDIA H100 80GB HBM3", UtilizationPercent = 80 }).ToList(),
        },
    };

    // Six hours at 1 s: a daily-ish wave, a 10-minute gap, a spike; GPU figures on machines with GPUs.
    private static MetricSeries History(string name, int seed, bool gpu)
    {
        var random = new Random(seed);
        var points = new List<MetricPoint>();
        for (int i = 0; i < 6 * 3600; i++)
        {
            if (i is > 7200 and < 7800) continue;
            double wave = Math.Sin(i / 1800.0 + seed);
            points.Add(new MetricPoint
            {
                Machine = name, T = Start.AddSeconds(i), StepSeconds = 1, Samples = 1,
                CpuPercent = i == 15_000 + seed * 100 ? 100 : 35 + 25 * wave + random.NextDouble() * 8,
                MemoryUsedPercent = 20 + seed * 5 + 10.0 * i / 21600,
                NetworkReceiveBytesPerSecond = 2e6 * (1.5 + wave) + random.NextDouble() * 3e5, NetworkTransmitBytesPerSecond = 8e5 * (1.5 - wave),
                DiskReadBytesPerSecond = 4e6 * Math.Max(0, wave), DiskWriteBytesPerSecond = 1e6 + random.NextDouble() * 5e5,
                GpuUtilizationPercent = gpu ? 60 + 30 * Math.Sin(i / 900.0) : null, GpuMemoryUsedPercent = gpu ? 45 : null,
            });
        }
        return new MetricSeries { Name = name, Since = Start, Until = Start.AddHours(6), StepSeconds = 1, Points = points };
    }

    private static BenchmarkResult Bandwidth(string machine, double triad, params string[] warnings) => new()
    {
        Benchmark = "MemoryBandwidth", Machine = machine, JobId = "j1", StartedAt = Start.AddHours(2), FinishedAt = Start.AddHours(2).AddSeconds(31),
        Values = new Dictionary<string, double> { ["copyGBs"] = triad * 0.92, ["triadGBs"] = triad }, Warnings = [.. warnings],
    };

    private string WriteReport()
    {
        string[] names = ["node01", "node02", "gpu01", Img, ScriptBreak];
        var machines = names.Select((n, i) => Machine(n, gpus: n == "gpu01" ? 4 : 0, status: n == ScriptBreak ? MachineStatus.Offline : MachineStatus.Online)).ToList();
        var history = names.Select((n, i) => new MachineHistory(n, n == ScriptBreak ? null : History(n, i, n == "gpu01"), n == ScriptBreak ? "The master has no history for it in this range." : null)).ToList();
        var results = new List<BenchmarkResult>
        {
            Bandwidth("node01", 310.2), Bandwidth("node02", 305.8), Bandwidth("gpu01", 298.1, "cpufreq governor is powersave"),
            Bandwidth(Img, 180.4, "<img src=y onerror=alert(3)>"), Bandwidth(ScriptBreak, 312.9),
            new() { Benchmark = "MemoryLatency", Machine = "node01", StartedAt = Start, FinishedAt = Start.AddSeconds(40), Values = new() { ["latencyNs"] = 92.1 } },
            new() { Benchmark = "MemoryLatency", Machine = Img, StartedAt = Start, FinishedAt = Start.AddSeconds(40), Values = new() { ["latencyNs"] = 140.3 } },
            new() { Benchmark = "MemoryLatency", Machine = "gpu01", StartedAt = Start, FinishedAt = Start.AddSeconds(40), Values = new() { ["latencyNs"] = 95.5 } },
            new() { Benchmark = "Command", Machine = ScriptBreak, State = BenchmarkState.Failed, StartedAt = Start, FinishedAt = Start.AddSeconds(2),
                Error = "</script><img src=z onerror=alert(4)>" },
        };
        var data = new ReportData
        {
            Title = "Cluster b7, " + Img, GeneratedAt = Start.AddHours(6), Source = "master at http://login01:8080", Since = Start, Until = Start.AddHours(6),
            Machines = machines, History = history, Results = results, Notes = ["Only the newest 1000 benchmark results were read."],
        };
        var path = Path.Combine(_dir, "report.html");
        ReportFile.Write(path, ReportBuilder.Build(data), overwrite: false);
        return path;
    }

    [Fact]
    public async Task The_report_draws_its_charts_offline_and_hostile_names_stay_text()
    {
        var path = WriteReport();
        await using var w = await chromium.NewPageAsync(width: 1400, height: 1000);
        // Nothing but the file itself may load: any request elsewhere fails the test.
        var elsewhere = new List<string>();
        w.Page.Request += (_, r) => { if (!r.Url.StartsWith("file://", StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)) lock (elsewhere) elsewhere.Add(r.Url); };
        await w.Page.GotoAsync(new Uri(path).AbsoluteUri);

        int charts = await w.Page.Locator("div.chart").CountAsync();
        Assert.Equal(1 + 4 * 2 + 2, charts); // the fleet's CPU; CPU/memory and I/O for each of four machines; two benchmarks
        await w.Page.WaitForFunctionAsync($"document.querySelectorAll('div.chart.js-plotly-plot .main-svg').length >= {charts}", null, new() { Timeout = 30_000 });
        // Every chart has traces drawn as SVG paths.
        var drawn = await w.Page.EvaluateAsync<int[]>("Array.from(document.querySelectorAll('div.chart')).map(c => c.querySelectorAll('.scatterlayer .trace path.js-line, .barlayer .trace path').length)");
        Assert.All(drawn, n => Assert.True(n > 0, "a chart has no drawn trace: " + string.Join(",", drawn)));

        // The names read literally where people look: inventory, summary, legends, bar ticks, outlier table, headings.
        var cells = await w.Page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('#inventory td')).map(td => td.textContent)");
        Assert.Contains(Img, cells);
        Assert.Contains(ScriptBreak, cells);
        Assert.Contains("rack=" + Img, cells);
        var legend = await w.Page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('.legendtext')).map(t => t.textContent)");
        Assert.Contains(Img, legend);
        var ticks = await w.Page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('.xtick text')).map(t => t.textContent)");
        Assert.Contains(Img, ticks);
        Assert.Contains(ScriptBreak, ticks);
        var outliers = await w.Page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('table.outliers td:first-child')).map(t => t.textContent)");
        Assert.Equal([Img, Img], outliers); // bandwidth and latency both flag it
        Assert.Contains(Img, await w.Page.InnerTextAsync("h1"));
        var titles = await w.Page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('figcaption')).map(t => t.textContent)");
        Assert.Contains(Img + ": CPU, memory", titles);
        Assert.Contains("<img src=y onerror=alert(3)>", await w.Page.InnerTextAsync("#benchmarks"));

        // Nothing from the data became an element or ran.
        Assert.Equal(0, await w.Page.EvaluateAsync<int>("document.querySelectorAll('img, iframe, object, embed').length"));
        Assert.Equal(charts + 2, await w.Page.EvaluateAsync<int>("document.scripts.length"));
        Assert.Empty(w.Dialogs);
        Assert.Empty(w.Errors);
        Assert.Empty(elsewhere);

        await Pictures(w, "report");
        // Printed: page.pdf() fires no beforeprint, so the test does, as a browser's print dialog would; then A4 width.
        await w.Page.EvaluateAsync("window.dispatchEvent(new Event('beforeprint'))");
        await w.Page.EmulateMediaAsync(new() { Media = Media.Print });
        await w.Page.SetViewportSizeAsync(718, 1000);
        var widest = await w.Page.EvaluateAsync<int>("Math.max(...Array.from(document.querySelectorAll('div.chart .main-svg')).map(s => s.getBoundingClientRect().right))");
        Assert.InRange(widest, 100, 718);
        // Nothing sticks out of the page.
        var sticking = await w.Page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 718.5).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))");
        Assert.True(sticking.Length == 0, "wider than the page: " + string.Join("; ", sticking));
        await Pictures(w, "report-print");
        var pdf = await w.Page.PdfAsync(new() { Path = Path.Combine(Chromium.ArtifactsFolder, "report.pdf"), Format = "A4", PrintBackground = true });
        Assert.True(pdf.Length > 10_000);
    }

    // The whole page, and screen-sized pieces of it (the whole is too tall to read in one picture).
    private static async Task Pictures(WatchedPage w, string name)
    {
        await w.ScreenshotAsync(name);
        var (width, height) = (await w.Page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await w.Page.EvaluateAsync<int>("document.documentElement.scrollHeight"));
        for (int y = 0, i = 1; y < height; y += 900, i++)
        {
            await w.Page.ScreenshotAsync(new() { FullPage = true, Clip = new Clip { X = 0, Y = y, Width = width, Height = Math.Min(900, height - y) },
                Path = Path.Combine(Chromium.ArtifactsFolder, $"{name}-part{i}.png") });
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
