using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Sentinel.Agent;
using Sentinel.Json;
using Sentinel.Master.Storage;

namespace Sentinel.Master.Tests;

/// <summary>What the live page reads from a real master: its files, the benchmark catalog, fleet history, connections and round trips.</summary>
public class LivePageApiTests
{
    private static MasterServer Start(string data) => MasterServer.Start(new MasterOptions
    {
        Port = 0, DataPath = data, PingInterval = TimeSpan.FromMilliseconds(300),
    });

    private static SentinelAgent Agent(MasterServer master, string name) => new(new AgentOptions
    {
        Master = master.Url, Name = name, HostId = "host-" + name, Interval = TimeSpan.FromSeconds(1),
    }, new FakeSource());

    [Fact]
    public async Task The_page_and_plotly_js_are_served_by_the_master_with_a_strict_content_security_policy()
    {
        using var dir = new TempDir();
        await using var master = Start(dir.Path);
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None });

        var page = await http.GetAsync(master.Url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.DoesNotContain("script-src 'self' 'unsafe-inline'", csp);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/plotly.min.js", html);
        Assert.DoesNotContain("cdn.plot.ly", html);

        // plotly.js as Plotly.NET carries it, plain and gzipped, revalidated by ETag.
        var js = await http.GetAsync(new Uri(master.Url, "plotly.min.js"));
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
        var plain = await js.Content.ReadAsByteArrayAsync();
        Assert.True(plain.Length > 1_000_000, $"plotly.min.js is {plain.Length} bytes");
        Assert.Contains("plotly.js v2.28.0", System.Text.Encoding.UTF8.GetString(plain, 0, 4096));

        using var gzRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(master.Url, "plotly.min.js"));
        gzRequest.Headers.AcceptEncoding.ParseAdd("gzip");
        var gz = await http.SendAsync(gzRequest);
        Assert.Equal("gzip", Assert.Single(gz.Content.Headers.ContentEncoding));
        var zipped = await gz.Content.ReadAsByteArrayAsync();
        Assert.True(zipped.Length < plain.Length / 2, $"gzip {zipped.Length} of {plain.Length} bytes");
        using (var unzip = new GZipStream(new MemoryStream(zipped), CompressionMode.Decompress))
        using (var back = new MemoryStream())
        {
            unzip.CopyTo(back);
            Assert.Equal(plain, back.ToArray());
        }

        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(master.Url, "plotly.min.js"));
        again.Headers.IfNoneMatch.Add(js.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);

        // No path escapes the page's files; the API still answers its own 404s.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(master.Url, "..%2Fsentinel.db"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(master.Url, "nosuch.js"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(master.Url, "plotly.min.js.gz"))).StatusCode); // the stored form is not a file of the page
    }

    [Fact]
    public async Task The_benchmark_catalog_names_each_headline_figure_and_the_outlier_rule()
    {
        using var dir = new TempDir();
        await using var master = Start(dir.Path);
        var list = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/benchmarks"), SentinelJsonContext.Default.ListBenchmarkInfo);
        Assert.NotNull(list);
        Assert.Equal(Benchmarks.BenchmarkCatalog.Names, list!.Select(b => b.Name));
        var bandwidth = list.Single(b => b.Name == "MemoryBandwidth");
        Assert.Equal("memory-bandwidth", bandwidth.CliName);
        Assert.Equal(new Benchmarks.BenchmarkHeadline("triadGBs", "GB/s", true), bandwidth.Headline);
        Assert.Contains(bandwidth.Parameters, p => p.Name == "arrayBytes");
        Assert.False(list.Single(b => b.Name == "MemoryLatency").Headline!.HigherIsBetter);
        Assert.Null(list.Single(b => b.Name == "Command").Headline);
        Assert.All(list, b => Assert.Equal(0.2, b.OutlierTolerance));
    }

    [Fact]
    public async Task A_machine_shows_its_connection_round_trip_and_history_and_the_fleet_history_holds_its_samples()
    {
        using var dir = new TempDir();
        await using var master = Start(dir.Path);
        var agent = Agent(master, "conn-a");
        agent.Start();

        Machine? m = null;
        await Wait.Until(async () => (m = await Api.Machine(master.Url, "conn-a"))?.Connection?.RttMilliseconds is > 0, TimeSpan.FromSeconds(20),
            "the master measured a round trip to the agent");
        Assert.True(m!.Connection!.Connected);
        Assert.StartsWith("127.0.0.1:", m.Connection.Remote);
        Assert.Equal(master.Url.ToString(), m.Connection.Dialled);
        Assert.True(m.Connection.RttMilliseconds < 5000, $"rtt {m.Connection.RttMilliseconds} ms");
        Assert.False(string.IsNullOrEmpty(m.AgentVersion));

        // A few samples, then the fleet history has them on its grid.
        await Wait.Until(async () => (await Api.Status(master.Url)).SamplesStored >= 3, TimeSpan.FromSeconds(20), "3 samples are stored");
        var history = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/fleet/history?step=1"), SentinelJsonContext.Default.FleetHistory);
        var row = Assert.Single(history!.Machines);
        Assert.Equal("conn-a", row.Name);
        Assert.Equal(history.Buckets, row.CpuPercent.Length);
        Assert.Equal(history.Buckets, row.NetworkTransmitBytesPerSecond.Length);
        Assert.Equal(1, history.StepSeconds);
        Assert.True(row.CpuPercent.Count(v => v is not null) >= 3, "a bucket per stored sample");
        Assert.All(row.MemoryUsedPercent.Where(v => v is not null), v => Assert.Equal(50, v));   // FakeSource's memory
        Assert.True(row.GpuUtilizationPercent.All(v => v is null), "no GPU, no figures");
        Assert.True(history.Start <= history.Since && history.Start + TimeSpan.FromSeconds(history.StepSeconds) > history.Since);

        // A large answer comes gzipped to a client that accepts it, byte for byte the same once unpacked; a small one never does.
        using (var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }))
        {
            var range = $"api/fleet/history?step=1&since={Uri.EscapeDataString(history.Until.AddMinutes(-10).ToString("O"))}&until={Uri.EscapeDataString(history.Until.ToString("O"))}";
            var plain = await raw.GetByteArrayAsync(new Uri(master.Url, range));
            Assert.True(plain.Length > Master.Api.GzipAbove, $"the answer is {plain.Length} bytes");
            var ask = new HttpRequestMessage(HttpMethod.Get, new Uri(master.Url, range));
            ask.Headers.AcceptEncoding.ParseAdd("gzip");
            var zipped = await raw.SendAsync(ask);
            Assert.Equal(["gzip"], zipped.Content.Headers.ContentEncoding);
            var packed = await zipped.Content.ReadAsByteArrayAsync();
            Assert.True(packed.Length < plain.Length / 4, $"gzip took {plain.Length} bytes to {packed.Length}");
            using var unpacked = new MemoryStream();
            using (var gz = new GZipStream(new MemoryStream(packed), CompressionMode.Decompress)) gz.CopyTo(unpacked);
            Assert.Equal(plain, unpacked.ToArray());
            var small = new HttpRequestMessage(HttpMethod.Get, new Uri(master.Url, "api/status"));
            small.Headers.AcceptEncoding.ParseAdd("gzip");
            Assert.Empty((await raw.SendAsync(small)).Content.Headers.ContentEncoding);
        }

        await agent.DisposeAsync(); // goodbye
        await Wait.Until(async () => (await Api.Machine(master.Url, "conn-a"))?.Connection?.Connected == false, TimeSpan.FromSeconds(10),
            "the machine shows its connection closed");
        ConnectionHistory? h = null;
        await Wait.Until(async () => (h = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/machines/conn-a/connections"), SentinelJsonContext.Default.ConnectionHistory))!.Disconnects == 1,
            TimeSpan.FromSeconds(10), "the disconnect is stored");
        Assert.Equal(1, h!.Connects);
        Assert.Equal(["connected", "disconnected"], h.Events.Select(e => e.Event));
        Assert.Equal("goodbye", h.Events[1].Detail);
        // Connected from the first event to the goodbye, then not until a minute past it: the share is that fraction.
        var until = h.Events[1].At + TimeSpan.FromMinutes(1);
        var window = await Api.Http.GetFromJsonAsync(new Uri(master.Url, "api/machines/conn-a/connections?until=" + Uri.EscapeDataString(until.ToString("O"))),
            SentinelJsonContext.Default.ConnectionHistory);
        var up = (h.Events[1].At - h.Events[0].At).TotalMilliseconds;
        Assert.Equal(up / (up + 60_000), window!.UptimeShare, 3);

        var unknown = await Api.Get(master.Url, "api/machines/nosuch/connections");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var bad = await Api.Get(master.Url, "api/fleet/history?since=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("since", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_agent_behind_a_relay_shows_the_relay_it_dialled_and_where_its_connection_comes_from()
    {
        using var dir = new TempDir();
        await using var master = Start(dir.Path);
        await using var relay = new Relay.TcpRelay(new IPEndPoint(IPAddress.Loopback, 0), "127.0.0.1", master.Url.Port);
        await relay.StartAsync();
        var running = relay.RunAsync();
        var viaRelay = new Uri($"http://127.0.0.1:{relay.LocalEndpoint.Port}/");
        await using var agent = new SentinelAgent(new AgentOptions
        {
            Master = viaRelay, Name = "behind-relay", HostId = "host-r", Interval = TimeSpan.FromSeconds(1),
        }, new FakeSource());
        agent.Start();
        Machine? m = null;
        await Wait.Until(async () => (m = await Api.Machine(master.Url, "behind-relay"))?.Connection?.RttMilliseconds is > 0, TimeSpan.FromSeconds(20),
            "the agent connected through the relay and answered a ping");
        // The page groups agents by what they dialled: the relay's address, not the master's.
        Assert.Equal(viaRelay.ToString(), m!.Connection!.Dialled);
        Assert.NotEqual(master.Url.Port, new Uri(m.Connection.Dialled!).Port);
        Assert.True(m.Connection.Connected);
    }

    [Fact]
    public async Task A_connection_left_open_by_a_master_that_died_is_closed_at_the_next_start()
    {
        using var dir = new TempDir();
        long id;
        var t0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) - TimeSpan.FromMinutes(10);
        await using (var store = SampleStore.Open(dir.Path))
        {
            var reg = await store.RegisterAsync("orphan", "h", "boot1", "1.0", new Inventory { HostName = "orphan" }, [], 1, CancellationToken.None);
            id = reg.MachineId;
            store.RecordConnection(id, t0, "connected", "10.0.0.5:4000", null);
            await store.FlushAsync();
        }
        await using (var store = SampleStore.Open(dir.Path))
        {
            var h = store.LoadConnections(id, "orphan", t0 - TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));
            Assert.Equal(["connected", "disconnected"], h.Events.Select(e => e.Event));
            Assert.Equal("the master stopped", h.Events[1].Detail);
            Assert.True(h.Events[1].At >= t0);
        }
    }

    [Theory]
    // window 0..100: known connected at the start, down at 50 → half
    [InlineData(true, true, new[] { "disconnected@50" }, 0.5)]
    // state unknown before the window: observed from the first event (connected at 20) to 100, down at 60 → 40/80
    [InlineData(false, false, new[] { "connected@20", "disconnected@60" }, 0.5)]
    // silent (offline) counts as down until samples come back (online)
    [InlineData(true, true, new[] { "offline@25", "online@75" }, 0.5)]
    [InlineData(true, true, new string[0], 1.0)]
    [InlineData(true, false, new string[0], 0.0)]
    public void Uptime_share_counts_connected_time_over_observed_time(bool known, bool connectedAtStart, string[] events, double expected)
    {
        var list = events.Select(e => e.Split('@')).Select(p => new ConnectionEvent { Event = p[0], At = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(p[1])) }).ToList();
        Assert.Equal(expected, SampleStore.UptimeShare(list, known, connectedAtStart, 0, 100), 6);
    }

    [Fact]
    public void Fleet_history_is_sent_rounded_percentages_to_a_hundredth_and_rates_to_a_byte_a_second()
    {
        double?[][] figures =
        [
            [43.535123, null, 0.004999], [2.977545214140346, 50, null], [null, null, null], [1234.5678, 0.49, null], [99.5, 1e9 + 0.5, null],
        ];
        var view = Master.Api.HistoryView([("a", 1), ("gone", 2)], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(3), 0, 1000, 3,
            new Dictionary<long, double?[][]> { [1] = figures });
        var a = Assert.Single(view.Machines); // a machine with no figures in the range is left out
        Assert.Equal("a", a.Name);
        Assert.Equal([43.54, null, 0], a.CpuPercent);
        Assert.Equal([2.98, 50, null], a.MemoryUsedPercent);
        Assert.Equal([null, null, null], a.GpuUtilizationPercent);
        Assert.Equal([1235, 0, null], a.NetworkReceiveBytesPerSecond);
        Assert.Equal([100, 1e9 + 1, null], a.NetworkTransmitBytesPerSecond);
        Assert.Equal(43.535123, figures[0][0]); // the store's arrays are not changed
        Assert.Equal((3, 1.0), (view.Buckets, view.StepSeconds));
    }
}
