using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Sentinel.Browser.Tests;

/// <summary>
/// The live page at / of a real master with real agents, in Debian's Chromium. Screenshots land in
/// bin/.../artifacts (see <see cref="Chromium.ArtifactsFolder"/>).
/// </summary>
public sealed class LivePageTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    private const float Wait = 30_000;
    private static readonly string[] Three = ["alpha", "bravo", "charlie"];

    /// <summary>Opens the page at <paramref name="url"/>, recording every request it makes (HTTP and WebSocket).</summary>
    private static async Task<List<string>> OpenAsync(WatchedPage w, Uri url, string path = "")
    {
        var requests = new List<string>();
        w.Page.Request += (_, r) => { lock (requests) requests.Add(r.Url); };
        w.Page.WebSocket += (_, ws) => { lock (requests) requests.Add(ws.Url); };
        // Chromium's console only says "404"; name the URL.
        w.Page.Response += (_, r) => { if (r.Status >= 400) lock (w.Errors) w.Errors.Add($"HTTP {r.Status}: {r.Url}"); };
        var response = await w.Page.GotoAsync(new Uri(url, path).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = Wait });
        Assert.True(response is { Ok: true }, $"GET {path}: {response?.Status}");
        return requests;
    }

    private static Task WaitForAsync(WatchedPage w, string js, object? arg = null, float timeout = Wait)
        => w.Page.WaitForFunctionAsync(js, arg, new PageWaitForFunctionOptions { Timeout = timeout, PollingInterval = 100 });

    private static Task<string[]> TableNamesAsync(WatchedPage w)
        => w.Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#machines-body tr')].map(r => r.querySelector('td.name button').textContent)");

    /// <summary>Waits until /api/fleet/history has <paramref name="buckets"/> buckets with a CPU figure for <paramref name="machine"/>.</summary>
    private static async Task WaitForHistoryAsync(LiveFleet fleet, string machine, int buckets)
    {
        using var http = new HttpClient();
        var watch = Stopwatch.StartNew();
        int found = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(fleet.Url, "api/fleet/history")));
            found = doc.RootElement.GetProperty("machines").EnumerateArray().Where(m => m.GetProperty("name").GetString() == machine)
                .SelectMany(m => m.GetProperty("cpuPercent").EnumerateArray()).Count(v => v.ValueKind == JsonValueKind.Number);
            if (found >= buckets) return;
            await Task.Delay(250);
        }
        Assert.Fail($"/api/fleet/history had {found} buckets for {machine}, waiting for {buckets}");
    }

    private static void NoErrors(WatchedPage w)
    {
        lock (w.Errors) Assert.True(w.Errors.Count == 0, "page errors:\n" + string.Join("\n", w.Errors));
        lock (w.Dialogs) Assert.True(w.Dialogs.Count == 0, "dialogs (script ran):\n" + string.Join("\n", w.Dialogs));
    }

    private async Task<string> ShotAsync(WatchedPage w, string name)
    {
        // A full-page shot of a scrolled page draws the sticky header where the scroll left it.
        await w.Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        var path = await w.ScreenshotAsync(name);
        output.WriteLine("screenshot: " + path);
        return path;
    }

    [Fact]
    public async Task The_page_lists_the_agents_the_master_holds_and_a_chart_updates_with_everything_served_by_the_master()
    {
        await using var fleet = await LiveFleet.StartAsync(Three);
        // A few seconds of history first: the page must draw it on load, before any live sample.
        await WaitForHistoryAsync(fleet, "alpha", 3);
        await using var w = await chromium.NewPageAsync();
        var requests = await OpenAsync(w, fleet.Url);

        await WaitForAsync(w, "n => document.querySelectorAll('#machines-body tr').length === n", Three.Length);
        var expected = (await fleet.MachinesAsync()).Select(m => m.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, await TableNamesAsync(w));
        Assert.Equal("3", await w.Page.TextContentAsync("#stat-online .v"));
        Assert.Equal("live", await w.Page.TextContentAsync("#conn"));

        // One line per machine on the CPU chart; the newest point moves on as samples arrive over /ws.
        await WaitForAsync(w, "() => { const d = document.getElementById('chart-cpu').data; return d && d.length === 3 && d.every(t => t.x.length > 0); }");
        var before = await w.Page.EvaluateAsync<double>("() => Math.max(...document.getElementById('chart-cpu').data.map(t => t.x[t.x.length - 1]))");
        await WaitForAsync(w, "b => Math.max(...document.getElementById('chart-cpu').data.map(t => t.x[t.x.length - 1])) > b + 1500", before);
        Assert.Equal(expected, await w.Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#chart-cpu .legendtext')].map(e => e.textContent).sort()"));
        var fromHistory = await w.Page.EvaluateAsync<int>("() => document.getElementById('chart-cpu').data.find(t => t.name === 'alpha').x.filter(x => x < performance.timeOrigin).length");
        Assert.True(fromHistory >= 2, $"{fromHistory} points from before the page opened (the snapshot holds one; /api/fleet/history the rest)");
        // The fleet aggregate has an average line with figures in it.
        await WaitForAsync(w, "() => { const d = document.getElementById('agg-cpu').data; return d && d[3].y.some(v => v != null); }");

        // The hardware overview counts what the agents reported; the topology lists all three.
        Assert.Equal(3, await w.Page.EvaluateAsync<int>("() => [...document.querySelectorAll('#hw-cpu tbody tr td.num')].reduce((s, td) => s + Number(td.textContent), 0)"));
        Assert.Equal(3, await w.Page.EvaluateAsync<int>("() => document.querySelectorAll('#topology .topo-m').length"));
        await ShotAsync(w, "live-table-and-charts");

        // plotly.js and every other request went to this master, none to a CDN.
        string[] seen;
        lock (requests) seen = [.. requests];
        Assert.Contains(seen, u => u == new Uri(fleet.Url, "plotly.min.js").ToString());
        Assert.Contains(seen, u => u.StartsWith("ws://" + fleet.Url.Authority + "/ws", StringComparison.Ordinal));
        Assert.All(seen, u => Assert.True(new Uri(u).Authority == fleet.Url.Authority && new Uri(u).Host == "127.0.0.1", "a request left the master: " + u));
        NoErrors(w);
    }

    [Fact]
    public async Task A_machine_removed_through_the_API_leaves_the_table_and_the_charts_without_a_reload()
    {
        await using var fleet = await LiveFleet.StartAsync(Three);
        await using var w = await chromium.NewPageAsync();
        await OpenAsync(w, fleet.Url);
        await WaitForAsync(w, "n => document.querySelectorAll('#machines-body tr').length === n", Three.Length);
        await WaitForAsync(w, "() => { const d = document.getElementById('chart-cpu').data; return d && d.length === 3; }");

        await fleet.StopAgentAsync("charlie");
        await WaitForAsync(w, "() => document.getElementById('stat-online').querySelector('.v').textContent === '2'");
        Assert.Equal(Three, await TableNamesAsync(w)); // offline, still listed
        await w.Page.EvaluateAsync("() => { window.notReloaded = true; }");
        var snapshots = await w.Page.EvaluateAsync<int>("() => window.sentinelPage.snapshots");

        using var http = new HttpClient();
        var removed = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri(fleet.Url, "api/machines/charlie")) { Headers = { { "X-Sentinel-Request", "1" } } });
        Assert.Equal(System.Net.HttpStatusCode.NoContent, removed.StatusCode);

        await WaitForAsync(w, "() => document.querySelectorAll('#machines-body tr').length === 2");
        Assert.Equal(["alpha", "bravo"], await TableNamesAsync(w));
        await WaitForAsync(w, "() => document.getElementById('chart-cpu').data.every(t => t.name !== 'charlie')");
        Assert.True(await w.Page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page reloaded");
        Assert.Equal(snapshots, await w.Page.EvaluateAsync<int>("() => window.sentinelPage.snapshots")); // an update did it, not a new snapshot
        Assert.DoesNotContain("charlie", await w.Page.TextContentAsync("#machines-body"));
        NoErrors(w);
    }

    [Fact]
    public async Task Run_on_all_machines_through_the_page_shows_a_result_for_every_machine_side_by_side()
    {
        await using var fleet = await LiveFleet.StartAsync(Three);
        await using var w = await chromium.NewPageAsync();
        await OpenAsync(w, fleet.Url);
        await WaitForAsync(w, "() => document.querySelectorAll('#machines-body tr').length === 3");

        await w.Page.WaitForSelectorAsync("#bench-select option[value='MemoryBandwidth']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached, Timeout = Wait });
        await w.Page.SelectOptionAsync("#bench-select", "MemoryBandwidth");
        await w.Page.CheckAsync("input[name='target'][value='all']");
        await w.Page.FillAsync("#bench-params input[data-param='arrayBytes']", "8M");
        await w.Page.FillAsync("#bench-params input[data-param='repetitions']", "2");
        await w.Page.FillAsync("#bench-params input[data-param='threads']", "1");
        await w.Page.ClickAsync("#run-button");

        // The job list shows it Completed, with one bar per machine in the result chart.
        await WaitForAsync(w, "() => document.querySelector('#jobs-body tr .state')?.textContent === 'Completed'", timeout: 120_000);
        await WaitForAsync(w, "() => { const d = document.getElementById('result-chart').data; return d && d[0].x.length === 3; }");
        var bars = await w.Page.EvaluateAsync<string[]>("() => document.getElementById('result-chart').data[0].x.slice().sort()");
        Assert.Equal(Three, bars);
        Assert.All(await w.Page.EvaluateAsync<double[]>("() => document.getElementById('result-chart').data[0].y"), v => Assert.True(v > 0, "triad GB/s"));
        Assert.Equal("", await w.Page.InnerTextAsync("#run-error"));
        Assert.Equal(3, await w.Page.EvaluateAsync<int>("() => document.querySelectorAll('#job-progress .prog.Completed').length"));
        // The median line is drawn; the job is in the header's count.
        Assert.True(await w.Page.EvaluateAsync<bool>("() => document.getElementById('result-chart').layout.shapes.some(s => s.type === 'line')"));

        // The run is marked on the metric charts of the machines that ran it: one span over their parts, labelled.
        var jobId = await w.Page.TextContentAsync("#jobs-body tr td.muted");
        await WaitForAsync(w, "id => (document.getElementById('chart-cpu').layout.shapes || []).some(s => s.type === 'rect' && s.name === 'run ' + id)", jobId);
        Assert.Contains("3 machines", await w.Page.EvaluateAsync<string>("() => document.getElementById('chart-cpu').layout.annotations.map(a => a.text).join(' ')"));
        var api = JsonDocument.Parse(await new HttpClient().GetStringAsync(new Uri(fleet.Url, "api/jobs")));
        Assert.Equal("Completed", api.RootElement[0].GetProperty("state").GetString());
        await ShotAsync(w, "benchmark-run");
        NoErrors(w);
    }

    [Fact]
    public async Task A_machine_far_below_the_median_is_flagged_red_and_named_under_the_results()
    {
        // Real benchmarks on one box give near-equal figures, so the viewer stream is played by the test: a
        // snapshot with a finished job whose figures hold one outlier (and a machine named like markup).
        const string evil = "<img src=x onerror=alert(1)>";
        var figures = new Dictionary<string, double> { ["n1"] = 100, ["n2"] = 98, ["n3"] = 102, [evil] = 97, ["slow"] = 60 };
        var now = DateTimeOffset.UtcNow;
        string T(double seconds) => now.AddSeconds(seconds).ToString("O");
        var snapshot = JsonSerializer.Serialize(new
        {
            v = 1, type = "snapshot",
            data = new
            {
                machines = figures.Keys.Order(StringComparer.Ordinal).Select(n => new
                {
                    name = n, status = "online", lastSeen = T(0), tags = new Dictionary<string, string>(),
                    inventory = new { hostName = "h", cpuModel = "Sim CPU", cores = 4, threads = 8, memoryTotalBytes = 16L << 30, gpus = Array.Empty<object>() },
                    latest = new { timestamp = T(0), intervalSeconds = 1, cpuPercent = 20, memoryUsedPercent = 30, networkReceiveBytesPerSecond = 0, networkTransmitBytesPerSecond = 0 },
                }),
                jobs = new[]
                {
                    new
                    {
                        id = "20261124-120000-abcdef", benchmark = "MemoryBandwidth", parameters = new Dictionary<string, string>(), createdAt = T(-30), finishedAt = T(-5), state = "Completed",
                        parts = figures.Select(f => new
                        {
                            machine = f.Key, state = "Completed", progress = 1, stage = "completed", startedAt = T(-29), finishedAt = T(-6),
                            result = new { benchmark = "MemoryBandwidth", machine = f.Key, jobId = "20261124-120000-abcdef", state = "Completed", values = new Dictionary<string, double> { ["triadGBs"] = f.Value } },
                        }),
                    },
                },
            },
        });
        await using var fleet = await LiveFleet.StartAsync(["real-agent"]);
        await using var w = await chromium.NewPageAsync();
        await w.Page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/ws$"), ws => ws.Send(snapshot));
        await OpenAsync(w, fleet.Url);

        await WaitForAsync(w, "() => { const d = document.getElementById('result-chart').data; return d && d[0].x.length === 5; }");
        var colours = await w.Page.EvaluateAsync<string[]>("() => document.getElementById('result-chart').data[0].marker.color");
        var texts = await w.Page.EvaluateAsync<string[]>("() => document.getElementById('result-chart').data[0].text");
        var names = await w.Page.EvaluateAsync<string[]>("() => document.getElementById('result-chart').data[0].x");
        int slow = Array.IndexOf(names, "slow");
        Assert.True(slow >= 0, string.Join(", ", names));
        Assert.Single(texts, t => t.Contains("outlier"));
        Assert.Contains("outlier", texts[slow]);
        Assert.Single(colours.Distinct(), c => c == colours[slow]);
        var flags = await w.Page.TextContentAsync("#job-flags");
        Assert.Contains("slow (60.00 GB/s, -39%)", flags);
        Assert.DoesNotContain("n1", flags);
        // The markup-like name is a tick label and a progress row, as text.
        Assert.Contains(evil, await w.Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#result-chart .xtick text')].map(e => e.textContent)"));
        Assert.Contains(evil, await w.Page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#job-progress .prog .n')].map(e => e.textContent)"));
        Assert.Equal(0, await w.Page.EvaluateAsync<int>("() => document.querySelectorAll('img').length"));
        await ShotAsync(w, "benchmark-outlier");
        NoErrors(w);
    }

    [Fact]
    public async Task A_machine_named_like_markup_stays_text_in_the_table_the_detail_view_and_the_chart_legend()
    {
        const string evil = "<img src=x onerror=alert(1)>";
        await using var fleet = await LiveFleet.StartAsync([evil, "plain-node"]);
        await using var w = await chromium.NewPageAsync();
        await OpenAsync(w, fleet.Url);

        await WaitForAsync(w, "() => document.querySelectorAll('#machines-body tr').length === 2");
        Assert.Contains(evil, await TableNamesAsync(w));
        await WaitForAsync(w, "n => [...document.querySelectorAll('#chart-cpu .legendtext')].some(e => e.textContent === n)", evil);
        // The hover template and tick labels carry the escaped name, not markup.
        Assert.True(await w.Page.EvaluateAsync<bool>("n => document.getElementById('chart-cpu').data.some(t => t.hovertemplate.includes('&lt;img'))", evil));

        await w.Page.Locator("#machines-body tr td.name button", new PageLocatorOptions { HasTextString = evil }).ClickAsync();
        await w.Page.WaitForSelectorAsync("#detail:not([hidden])", new PageWaitForSelectorOptions { Timeout = Wait });
        Assert.Equal(evil, await w.Page.TextContentAsync("#d-name"));
        Assert.Equal(evil, await w.Page.EvaluateAsync<string>("() => decodeURIComponent(location.hash.slice('#machine='.length))"));
        await WaitForAsync(w, "() => { const d = document.getElementById('d-cpu').data; return d && d[0].x.length > 0; }");

        // No element came from the name: no <img> anywhere, nothing ran.
        Assert.Equal(0, await w.Page.EvaluateAsync<int>("() => document.querySelectorAll('img').length"));
        Assert.Equal(0, await w.Page.EvaluateAsync<int>("() => document.querySelectorAll('[onerror]').length"));
        await ShotAsync(w, "markup-name-detail");
        NoErrors(w);
    }

    [Fact]
    public async Task The_detail_view_deep_link_shows_history_inventory_cores_and_connection_history()
    {
        await using var fleet = await LiveFleet.StartAsync(Three);
        await using var w = await chromium.NewPageAsync();
        await OpenAsync(w, fleet.Url, "/#machine=bravo");

        await w.Page.WaitForSelectorAsync("#detail:not([hidden])", new PageWaitForSelectorOptions { Timeout = Wait });
        Assert.Equal("bravo", await w.Page.TextContentAsync("#d-name"));
        await WaitForAsync(w, "() => { const d = document.getElementById('d-cpu').data; return d && d[0].x.length > 0; }");
        var inventory = await w.Page.TextContentAsync("#d-inventory");
        var model = (await fleet.MachinesAsync()).Single(m => m.Name == "bravo").Inventory.CpuModel;
        Assert.Contains(model, inventory);
        await WaitForAsync(w, "() => document.querySelectorAll('#d-cores .core').length > 0");
        await WaitForAsync(w, "() => document.querySelectorAll('#d-conn tbody tr').length > 0 && /connect/.test(document.getElementById('d-conn').textContent)");
        Assert.Contains("connects", await w.Page.TextContentAsync("#d-conn-summary"));

        // Another range asks the master again.
        await w.Page.ClickAsync("#d-ranges button[data-range='900']");
        await WaitForAsync(w, "() => document.querySelector('#d-ranges button.on')?.dataset.range === '900'");
        await ShotAsync(w, "detail-view");

        // Escape closes it and clears the link.
        await w.Page.Keyboard.PressAsync("Escape");
        await w.Page.WaitForSelectorAsync("#detail", new PageWaitForSelectorOptions { State = WaitForSelectorState.Hidden, Timeout = Wait });
        Assert.Equal("", await w.Page.EvaluateAsync<string>("() => location.hash"));
        NoErrors(w);
    }

    [Fact]
    public async Task When_the_websocket_fails_the_page_says_polling_and_keeps_updating()
    {
        await using var fleet = await LiveFleet.StartAsync(Three);
        await using var w = await chromium.NewPageAsync();
        int attempts = 0;
        // Every /ws connection is refused by closing it at once (never reaching the master).
        await w.Page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/ws$"), ws =>
        {
            Interlocked.Increment(ref attempts);
            _ = ws.CloseAsync(new WebSocketRouteCloseOptions { Code = 1011, Reason = "blocked by the test" });
        });
        await OpenAsync(w, fleet.Url);

        await WaitForAsync(w, "() => document.getElementById('conn').textContent === 'polling'");
        await WaitForAsync(w, "() => document.querySelectorAll('#machines-body tr').length === 3");
        Assert.True(Volatile.Read(ref attempts) >= 3, $"{attempts} WebSocket attempts before polling");
        var polls = await w.Page.EvaluateAsync<int>("() => window.sentinelPage.polls");
        await WaitForAsync(w, "() => { const d = document.getElementById('chart-cpu').data; return d && d.length === 3 && d.every(t => t.x.length > 0); }");
        var before = await w.Page.EvaluateAsync<double>("() => Math.max(...document.getElementById('chart-cpu').data.map(t => t.x[t.x.length - 1]))");
        await WaitForAsync(w, "b => Math.max(...document.getElementById('chart-cpu').data.map(t => t.x[t.x.length - 1])) > b + 1500", before);
        Assert.True(await w.Page.EvaluateAsync<int>("() => window.sentinelPage.polls") > polls);
        Assert.Equal(0, await w.Page.EvaluateAsync<int>("() => window.sentinelPage.updates"));
        Assert.Equal("polling", await w.Page.TextContentAsync("#conn"));
        NoErrors(w);
    }

    [Fact]
    public async Task The_dark_theme_follows_the_system_and_the_choice_is_kept()
    {
        await using var fleet = await LiveFleet.StartAsync(Three);
        await using var w = await chromium.NewPageAsync(colorScheme: "dark");
        await OpenAsync(w, fleet.Url);
        await WaitForAsync(w, "() => document.documentElement.dataset.ready === '1'");
        await WaitForAsync(w, "() => { const d = document.getElementById('chart-cpu').data; return d && d.length === 3 && d.every(t => t.x.length > 1); }");

        Assert.Equal("dark", await w.Page.EvaluateAsync<string>("() => document.documentElement.dataset.theme"));
        var background = await w.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        Assert.True(Luminance(background) < 0.2, "dark background: " + background);
        // The charts are drawn in the theme's colours too.
        var axis = await w.Page.EvaluateAsync<string>("() => document.getElementById('chart-cpu').layout.font.color");
        Assert.True(Luminance(axis) > 0.6, "light text on the dark chart: " + axis);
        await ShotAsync(w, "dark-theme");

        // Switching is kept across a reload, over the system's preference.
        await w.Page.ClickAsync("#theme-toggle");
        Assert.Equal("light", await w.Page.EvaluateAsync<string>("() => document.documentElement.dataset.theme"));
        Assert.True(Luminance(await w.Page.EvaluateAsync<string>("() => document.getElementById('chart-cpu').layout.font.color")) < 0.4);
        await w.Page.ReloadAsync();
        await WaitForAsync(w, "() => document.documentElement.dataset.theme === 'light'");
        NoErrors(w);
    }

    /// <summary>rgb(r, g, b) or #rrggbb to 0..1.</summary>
    private static double Luminance(string css)
    {
        int[] c;
        if (css.StartsWith('#'))
        {
            c = [Convert.ToInt32(css[1..3], 16), Convert.ToInt32(css[3..5], 16), Convert.ToInt32(css[5..7], 16)];
        }
        else
        {
            c = css[(css.IndexOf('(') + 1)..css.IndexOf(')')].Split(',').Take(3).Select(s => (int)double.Parse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
    }

    [Fact]
    public async Task A_thousand_machines_render_a_paged_table_and_the_fleet_aggregate()
    {
        const int n = 1000;
        var names = Enumerable.Range(1, n).Select(i => $"node{i:D4}");
        var started = Stopwatch.StartNew();
        // 2 s intervals: a thousand agents in this process on a small box, besides the master and the browser.
        await using var fleet = await LiveFleet.StartAsync(names, TimeSpan.FromSeconds(2), onlineWithin: TimeSpan.FromSeconds(180));
        output.WriteLine($"{n} agents online after {started.Elapsed.TotalSeconds:F1} s");
        await using var w = await chromium.NewPageAsync(1600, 1100);

        var load = Stopwatch.StartNew();
        await OpenAsync(w, fleet.Url);
        await WaitForAsync(w, "() => document.documentElement.dataset.ready === '1'", timeout: 60_000);
        await WaitForAsync(w, "() => { const d = document.getElementById('agg-cpu').data; return d && d[3].y.some(v => v != null); }", timeout: 60_000);
        var ready = load.Elapsed;

        Assert.Equal(50, await w.Page.EvaluateAsync<int>("() => document.querySelectorAll('#machines-body tr').length"));
        Assert.Contains($"of {n}", await w.Page.InnerTextAsync("#pg-info"));
        Assert.Equal(n.ToString(), await w.Page.TextContentAsync("#stat-online .v"));
        var lines = await w.Page.EvaluateAsync<int>("() => document.getElementById('chart-cpu').data.length");
        Assert.InRange(lines, 1, 40);
        Assert.Contains("not drawn", await w.Page.InnerTextAsync("#lines-info"));
        // Page 2 holds the next 50 names in order.
        await w.Page.ClickAsync("#pg-next");
        await WaitForAsync(w, "() => document.querySelector('#machines-body tr td.name button').textContent === 'node0051'");
        // A search narrows the table and the lines to the matches.
        await w.Page.FillAsync("#f-search", "node09");
        await WaitForAsync(w, "() => document.querySelectorAll('#machines-body tr').length === 50 && document.getElementById('f-count').textContent.startsWith('100 of')");
        await w.Page.FillAsync("#f-search", "");
        await WaitForAsync(w, "() => document.getElementById('f-count').textContent === '1000 machines'");

        var firstRender = await w.Page.EvaluateAsync<double>("() => window.sentinelPage.firstRenderMs");
        var heap = await w.Page.EvaluateAsync<double>("() => performance.memory ? performance.memory.usedJSHeapSize : -1");
        // A minute of live updates from a thousand machines, then the heap again: the rolling windows are bounded.
        var before = await w.Page.EvaluateAsync<int>("() => window.sentinelPage.chartDraws");
        await WaitForAsync(w, "b => window.sentinelPage.chartDraws > b + 20", before, timeout: 90_000);
        var heapLater = await w.Page.EvaluateAsync<double>("() => performance.memory ? performance.memory.usedJSHeapSize : -1");
        var domNodes = await w.Page.EvaluateAsync<int>("() => document.getElementsByTagName('*').length");
        var drawMs = await w.Page.EvaluateAsync<double>("""
            () => { const t = performance.now(); window.dispatchEvent(new Event('sentinel-draw')); return performance.now() - t; }
            """);
        output.WriteLine($"N={n}: first render {firstRender:F0} ms after navigation start; table + aggregate ready {ready.TotalMilliseconds:F0} ms after goto; " +
            $"JS heap {heap / 1048576:F1} MiB, {heapLater / 1048576:F1} MiB after {await w.Page.EvaluateAsync<int>("() => window.sentinelPage.updates")} updates and {await w.Page.EvaluateAsync<int>("() => window.sentinelPage.snapshots")} snapshots; " +
            $"{domNodes} DOM elements; one full chart redraw {drawMs:F0} ms");
        await ShotAsync(w, "fleet-1000");
        NoErrors(w);
    }
}
