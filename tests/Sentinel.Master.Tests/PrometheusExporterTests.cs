using System.Net;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Collectors;
using Sentinel.Json;
using Sentinel.Master.Metrics;

namespace Sentinel.Master.Tests;

/// <summary>GET /metrics on a real master with real agents: promtool accepts it, hostile names round-trip, figures match /api/machines.</summary>
public class PrometheusExporterTests
{
    private static SentinelAgent Agent(Uri master, string name, Dictionary<string, string>? tags = null, ISampleSource? source = null) => new(new AgentOptions
    {
        Master = master, Name = name, HostId = "host-" + name.GetHashCode(), Interval = TimeSpan.FromSeconds(1), Tags = tags ?? [],
        ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
    }, source); // null: this machine's real sampler (cores, disks, interfaces, file systems)

    private static async Task<string> Scrape(Uri master)
    {
        var r = await Api.Get(master, "metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", r.Content.Headers.ContentType!.ToString().Replace("\"", ""));
        return await r.Content.ReadAsStringAsync();
    }

    /// <summary>Names the master accepts at hello that are hard on a text format: quotes, backslashes, markup, shell, right-to-left override, the longest allowed.</summary>
    internal static readonly string[] HostileNames =
    [
        "quote\"d\\back\\\\slash",
        "<script>alert(1)</script>&amp;",
        "$(id)`id`;rm -rf /",
        "rtl\u202Eexe.txt",
        "ünï·cødé 節點 🖥",
        "label=\"x\",other=\"y\"}",
        new string('n', 253),
    ];

    [Fact]
    public async Task Metrics_of_real_agents_and_a_benchmark_pass_promtool_and_carry_per_core_device_and_benchmark_labels()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        await using var a = Agent(master.Url, "prom-a", new() { ["rack"] = "r1" });
        await using var b = Agent(master.Url, "prom-b");
        a.Start();
        b.Start();
        await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Status == MachineStatus.Online && m.Latest is not null) == 2, TimeSpan.FromSeconds(30), "both agents send samples");
        var job = await Api.WaitJob(master.Url, (await Api.StartJob(master.Url, """{"benchmark":"network","parameters":{"seconds":"0.5","pings":"20"},"machines":["prom-a"]}""")).Id, TimeSpan.FromSeconds(60));
        Assert.Equal(BenchmarkState.Completed, job.State);

        var text = await Scrape(master.Url);
        var (exit, output) = await Prometheus.Promtool(text, "check", "metrics");
        Assert.True(exit == 0 && output.Length == 0, $"promtool check metrics: exit {exit}: {output}");

        var series = Prometheus.Parse(text);
        var machines = await Api.Machines(master.Url);
        var ma = machines.Single(m => m.Name == "prom-a");
        Assert.Equal(1, series.Single(s => s.Name == "sentinel_machine_up" && s.Labels["machine"] == "prom-a").Value);
        Assert.Equal(ma.Latest!.Memory.TotalBytes, series.Single(s => s.Name == "sentinel_memory_total_bytes" && s.Labels["machine"] == "prom-a").Value);
        Assert.Equal(ma.Inventory.Threads, series.Count(s => s.Name == "sentinel_cpu_core_busy_ratio" && s.Labels["machine"] == "prom-a"));
        Assert.All(series.Where(s => s.Name.EndsWith("_ratio", StringComparison.Ordinal) && s.Name.StartsWith("sentinel_cpu", StringComparison.Ordinal)), s => Assert.InRange(s.Value, 0, 1));
        Assert.Contains(series, s => s.Name == "sentinel_network_receive_bytes_per_second" && s.Labels["machine"] == "prom-a" && s.Labels["interface"] == "lo");
        Assert.Contains(series, s => s.Name == "sentinel_filesystem_size_bytes" && s.Labels["machine"] == "prom-a" && s.Labels["mountpoint"].Length > 0 && s.Value > 0);
        Assert.Equal("r1", series.Single(s => s.Name == "sentinel_machine_tag" && s.Labels["machine"] == "prom-a").Labels["value"]);
        Assert.Equal(SentinelAgent.Version, series.Single(s => s.Name == "sentinel_agent_info" && s.Labels["machine"] == "prom-b").Labels["version"]);

        // The benchmark: its figures in base units, under the figure's name less its unit.
        var result = job.Parts.Single().Result!;
        var rtt = series.Single(s => s.Name == "sentinel_benchmark_seconds" && s.Labels["machine"] == "prom-a" && s.Labels["benchmark"] == "Network" && s.Labels["figure"] == "rttMedian");
        Assert.Equal(result.Values["rttMedianMs"] / 1000, rtt.Value, 12);
        var upload = series.Single(s => s.Name == "sentinel_benchmark_bytes_per_second" && s.Labels["figure"] == "upload");
        Assert.Equal(result.Values["uploadMbps"] * 1e6 / 8, upload.Value, 3);
        Assert.DoesNotContain(series, s => s.Name.StartsWith("sentinel_benchmark", StringComparison.Ordinal) && s.Labels["machine"] == "prom-b");

        // The master's own health agrees with /api/status.
        var status = await Api.Status(master.Url);
        Assert.Equal(2, series.Single(s => s.Name == "sentinel_master_agents_connected").Value);
        Assert.InRange(series.Single(s => s.Name == "sentinel_master_viewer_queue_frames").Value, 0, 0); // no viewer connected
        Assert.True(series.Single(s => s.Name == "sentinel_master_samples_stored_total").Value > 0);
        Assert.InRange(series.Single(s => s.Name == "sentinel_master_samples_received_total").Value, 1, status.SamplesReceived);
        Assert.Equal(status.MachinesOnline, series.Single(s => s.Name == "sentinel_master_machines" && s.Labels["status"] == "online").Value);
    }

    [Fact]
    public async Task Hostile_machine_names_and_tags_come_out_escaped_so_promtool_parses_them_and_each_label_round_trips()
    {
        using var dir = new TempDir();
        await using var master = Masters.Start(dir.Path);
        var agents = HostileNames.Select((n, i) => Agent(master.Url, n, new() { ["note"] = n }, new FakeSource("hostile-" + i))).ToList();
        try
        {
            agents.ForEach(a => a.Start());
            await Wait.Until(async () => (await Api.Machines(master.Url)).Count(m => m.Latest is not null) == HostileNames.Length, TimeSpan.FromSeconds(60), "every hostile-named agent sends samples");
            var text = await Scrape(master.Url);
            var (exit, output) = await Prometheus.Promtool(text, "check", "metrics");
            Assert.True(exit == 0 && output.Length == 0, $"promtool check metrics: exit {exit}: {output}");
            var series = Prometheus.Parse(text);
            foreach (var name in HostileNames)
            {
                Assert.Equal(1, series.Single(s => s.Name == "sentinel_machine_up" && s.Labels["machine"] == name).Value);
                Assert.Equal(name, series.Single(s => s.Name == "sentinel_machine_tag" && s.Labels["machine"] == name).Labels["value"]);
            }
            // Nothing a name holds starts a line of its own: every line is a comment or a sample of a sentinel/process/dotnet family.
            Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches("^(# (HELP|TYPE) |sentinel_|process_|dotnet_)", l));
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_latest_benchmark_figures_are_still_exported_after_the_master_restarts()
    {
        using var dir = new TempDir();
        double rttSeconds;
        await using (var master = Masters.Start(dir.Path))
        {
            await using var a = Agent(master.Url, "bench-a", source: new FakeSource("bench-a"));
            a.Start();
            await Wait.Until(async () => (await Api.Machine(master.Url, "bench-a"))?.Status == MachineStatus.Online, TimeSpan.FromSeconds(30), "the agent is online");
            var job = await Api.WaitJob(master.Url, (await Api.StartJob(master.Url, """{"benchmark":"network","parameters":{"seconds":"0.5","pings":"20"}}""")).Id, TimeSpan.FromSeconds(60));
            Assert.True(job.State == BenchmarkState.Completed, $"{job.State}: {job.Parts.Single().Error}");
            rttSeconds = job.Parts.Single().Result!.Values["rttMedianMs"] / 1000;
        }
        await using var again = Masters.Start(dir.Path);
        var series = Prometheus.Parse(await Scrape(again.Url));
        Assert.Equal(rttSeconds, series.Single(s => s.Name == "sentinel_benchmark_seconds" && s.Labels["figure"] == "rttMedian").Value, 12);
        Assert.Equal(0, series.Single(s => s.Name == "sentinel_machine_up" && s.Labels["machine"] == "bench-a").Value);
    }

    [Theory]
    [InlineData("triadGBs", 12.5, "bytes_per_second", "triad", 12.5e9)]
    [InlineData("readMBs", 300, "bytes_per_second", "read", 300e6)]
    [InlineData("uploadMbps", 800, "bytes_per_second", "upload", 100e6)]
    [InlineData("latencyNs", 85, "seconds", "latency", 85e-9)]
    [InlineData("randomReadLatencyUs", 120, "seconds", "randomReadLatency", 120e-6)]
    [InlineData("rttMedianMs", 0.25, "seconds", "rttMedian", 0.25e-3)]
    [InlineData("floatAllGflops", 40, "flops", "floatAll", 40e9)]
    [InlineData("randomReadIops", 5000, "operations_per_second", "randomRead", 5000)]
    [InlineData("busyPercent", 50, "ratio", "busy", 0.5)]
    [InlineData("idleLatencyClocks", 300, "value", "idleLatencyClocks", 300)]
    [InlineData("Ns", 3, "value", "Ns", 3)]
    public void Benchmark_figures_go_to_base_units_by_the_unit_their_name_ends_with(string figure, double value, string family, string label, double expected)
    {
        var (f, l, v) = PrometheusExporter.Convert(figure, value);
        Assert.Equal((family, label), (f, l));
        Assert.Equal(expected, v, expected * 1e-12);
    }

    [Fact]
    public async Task Figures_that_would_share_a_series_stay_apart_so_prometheus_takes_the_scrape()
    {
        var result = new BenchmarkResult
        {
            Benchmark = "Command", Machine = "m\"1", State = BenchmarkState.Completed,
            Values = new() { ["xMs"] = 5, ["xSeconds"] = 0.5, ["xUs"] = 7, ["exitCode"] = 0, ["rate"] = double.NaN },
        };
        var w = new PrometheusWriter();
        PrometheusExporter.WriteFleet(w, [], [result]);
        var text = w.ToString();
        var (exit, output) = await Prometheus.Promtool(text, "check", "metrics");
        Assert.True(exit == 0 && output.Length == 0, $"promtool check metrics: exit {exit}: {output}");
        var seconds = Prometheus.Parse(text).Where(s => s.Name == "sentinel_benchmark_seconds").ToDictionary(s => s.Labels["figure"], s => s.Value);
        Assert.Equal(3, seconds.Count);
        Assert.Equal(0.005, seconds["x"]);
        Assert.Equal(0.5, seconds["xSeconds"]);
        Assert.Equal(7e-6, seconds["xUs"], 15);
        Assert.True(double.IsNaN(Prometheus.Parse(text).Single(s => s.Name == "sentinel_benchmark_value" && s.Labels["figure"] == "rate").Value));
    }

    [Fact]
    public void The_writer_escapes_backslash_quote_and_line_feed_in_labels_and_spells_special_values_as_the_format_does()
    {
        var w = new PrometheusWriter();
        w.Family("sentinel_test", "gauge", "help with \\ and\nnewline");
        w.Sample("sentinel_test", double.NaN, ("l", "a\\b\"c\nd"));
        w.Sample("sentinel_test", double.PositiveInfinity, ("l", "x"));
        w.Sample("sentinel_test", null, ("l", "left out"));
        Assert.Equal("# HELP sentinel_test help with \\\\ and\\nnewline\n# TYPE sentinel_test gauge\nsentinel_test{l=\"a\\\\b\\\"c\\nd\"} NaN\nsentinel_test{l=\"x\"} +Inf\n", w.ToString());
        Assert.Throws<InvalidOperationException>(() => w.Family("sentinel_test", "gauge", "again"));
    }
}
