using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Json;
using Sentinel.Testing;

namespace Sentinel.Master.Tests;

/// <summary>
/// A real Prometheus (Debian's, its own process, config and storage in a temp folder) scrapes a real master that
/// needs a login, with a viewer API token as its bearer token, every second; what it stored is read back through
/// its HTTP API and compared with the master's own /api figures. docs/prometheus.md's alert rules load into it.
/// </summary>
public class PrometheusServerTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private const string MachineName = "rack7 \"node\" \\ <b>$(id)</b> \u202Eevil";

    [Fact]
    public async Task Prometheus_scrapes_the_master_with_a_viewer_token_and_stores_what_the_api_shows()
    {
        using var dir = new TempDir();
        await using var master = MasterServer.Start(new MasterOptions
        {
            Port = 0, DataPath = Path.Combine(dir.Path, "master"), RequireLogin = true, InitialAdminPassword = AuthFixture.AdminPassword, AgentToken = "agent-secret",
        });
        var admin = await AuthTests.Login(master, "admin", AuthFixture.AdminPassword);
        var made = await AuthTests.Send(master, HttpMethod.Post, "api/tokens", admin, """{"name":"prometheus","kind":"api","role":"viewer"}""");
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var viewerToken = JsonDocument.Parse(await made.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;

        await using var agent = new SentinelAgent(new AgentOptions
        {
            Master = master.Url, Name = MachineName, HostId = "prom-host", Interval = TimeSpan.FromSeconds(1), Token = "agent-secret",
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
        }); // this machine's real sampler
        agent.Start();
        async Task<T> ApiGet<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
            => JsonSerializer.Deserialize(await (await AuthTests.Send(master, HttpMethod.Get, path, admin)).Content.ReadAsStringAsync(), info)!;
        await Wait.Until(async () => (await ApiGet("api/machines", SentinelJsonContext.Default.ListMachine)).Any(m => m.Name == MachineName && m.Latest is not null),
            TimeSpan.FromSeconds(30), "the agent sends samples");
        var started = await AuthTests.Send(master, HttpMethod.Post, "api/jobs", admin, """{"benchmark":"network","parameters":{"seconds":"0.5","pings":"20"}}""");
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var jobId = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        BenchmarkJob job = null!;
        await Wait.Until(async () => (job = await ApiGet("api/jobs/" + jobId, SentinelJsonContext.Default.BenchmarkJob)).State is not (BenchmarkState.Queued or BenchmarkState.Running),
            TimeSpan.FromSeconds(60), "the network job ends");
        Assert.Equal(BenchmarkState.Completed, job.State);

        await using var prometheus = await PrometheusProcess.StartAsync(dir.Path, master.Url, viewerToken,
            rules: PrometheusDocTests.AlertRules());

        // What Prometheus stored, once it has scraped (generous: the box is shared and Prometheus starts slowly).
        JsonElement[] up = [];
        await Wait.Until(async () => (up = await prometheus.Query("sentinel_machine_up")).Length > 0, TimeSpan.FromSeconds(90),
            "Prometheus has scraped sentinel_machine_up (its log: " + prometheus.Log + ")");
        var series = up.Single();
        Assert.Equal(MachineName, series.GetProperty("metric").GetProperty("machine").GetString());
        Assert.Equal("sentinel", series.GetProperty("metric").GetProperty("job").GetString());
        Assert.Equal(1, Value(series));

        var machine = (await ApiGet("api/machines", SentinelJsonContext.Default.ListMachine)).Single(m => m.Name == MachineName);
        var memory = (await prometheus.Query("sentinel_memory_total_bytes")).Single();
        Assert.Equal(machine.Latest!.Memory.TotalBytes, Value(memory));
        var cores = await prometheus.Query("sentinel_cpu_core_busy_ratio");
        Assert.Equal(machine.Inventory.Threads, cores.Length);
        Assert.All(cores, c => Assert.InRange(Value(c), 0, 1));
        var load = Value((await prometheus.Query("sentinel_load1")).Single());
        Assert.InRange(load, 0, machine.Inventory.Threads * 50.0); // a level, not a share; shared box, so only its sanity

        var rtt = (await prometheus.Query("sentinel_benchmark_seconds{benchmark=\"Network\",figure=\"rttMedian\"}")).Single();
        Assert.Equal(job.Parts.Single().Result!.Values["rttMedianMs"] / 1000, Value(rtt), 9);

        var status = await ApiGet("api/status", SentinelJsonContext.Default.MasterStatus);
        Assert.InRange(Value((await prometheus.Query("sentinel_master_samples_stored_total")).Single()), 1, status.SamplesStored);
        Assert.Equal(1, Value((await prometheus.Query("sentinel_master_agents_connected")).Single()));

        // The scrape itself succeeded with the token (Prometheus' own up), and the docs' alert rules loaded and evaluate.
        Assert.Equal(1, Value((await prometheus.Query("up{job=\"sentinel\"}")).Single()));
        await Wait.Until(async () => (await prometheus.Rules()).All(r => r.Health == "ok") && (await prometheus.Rules()).Count >= 3, TimeSpan.FromSeconds(60),
            "docs/prometheus.md's rules are loaded and evaluated without errors");
    }

    private static double Value(JsonElement series)
        => double.Parse(series.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A prometheus process of our own: config, storage and port of its own, killed at the end.</summary>
    private sealed class PrometheusProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();
        private readonly Uri _url;

        private PrometheusProcess(Process process, Uri url)
        {
            _process = process;
            _url = url;
        }

        public string Log
        {
            get { lock (_log) return _log.Length > 4000 ? _log.ToString(_log.Length - 4000, 4000) : _log.ToString(); }
        }

        public static async Task<PrometheusProcess> StartAsync(string folder, Uri master, string token, string rules)
        {
            var home = Directory.CreateDirectory(Path.Combine(folder, "prometheus")).FullName;
            File.WriteAllText(Path.Combine(home, "rules.yml"), rules);
            File.WriteAllText(Path.Combine(home, "prometheus.yml"), $"""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files: [rules.yml]
                scrape_configs:
                  - job_name: sentinel
                    scrape_interval: 1s
                    authorization:
                      credentials: {token}
                    static_configs:
                      - targets: ['{master.Authority}']
                """);
            int port = SentinelProgram.FreePort();
            var start = new ProcessStartInfo("prometheus") { WorkingDirectory = home, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--config.file=" + Path.Combine(home, "prometheus.yml"), "--storage.tsdb.path=" + Path.Combine(home, "data"),
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" })
            {
                start.ArgumentList.Add(a);
            }
            var p = new PrometheusProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}/"));
            p._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (p._log) p._log.AppendLine(e.Data); };
            p._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (p._log) p._log.AppendLine(e.Data); };
            p._process.BeginOutputReadLine();
            p._process.BeginErrorReadLine();
            await Wait.Until(async () =>
            {
                Assert.False(p._process.HasExited, "prometheus exited: " + p.Log);
                try { return (await Http.GetAsync(new Uri(p._url, "-/ready"))).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(60), "prometheus is ready");
            return p;
        }

        /// <summary>An instant query's result vector.</summary>
        public async Task<JsonElement[]> Query(string promql)
        {
            var body = await Http.GetStringAsync(new Uri(_url, "api/v1/query?query=" + Uri.EscapeDataString(promql)));
            var root = JsonDocument.Parse(body).RootElement;
            Assert.Equal("success", root.GetProperty("status").GetString());
            return root.GetProperty("data").GetProperty("result").EnumerateArray().ToArray();
        }

        public async Task<List<(string Name, string Health)>> Rules()
        {
            var root = JsonDocument.Parse(await Http.GetStringAsync(new Uri(_url, "api/v1/rules"))).RootElement;
            return root.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("health").GetString()!)).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}

/// <summary>docs/prometheus.md's alert rules are valid Prometheus rules (promtool check rules).</summary>
public class PrometheusDocTests
{
    /// <summary>The YAML block under docs/prometheus.md's "Alert rules" heading.</summary>
    internal static string AlertRules()
    {
        var doc = File.ReadAllText(Path.Combine(SentinelProgram.RepositoryRoot, "docs", "prometheus.md"));
        var at = doc.IndexOf("## Alert rules", StringComparison.Ordinal);
        Assert.True(at >= 0, "docs/prometheus.md has no '## Alert rules' section");
        var open = doc.IndexOf("```yaml\n", at, StringComparison.Ordinal) + "```yaml\n".Length;
        return doc[open..doc.IndexOf("```", open, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task Every_promql_query_in_the_docs_parses()
    {
        var queries = new List<string>();
        foreach (var doc in new[] { "prometheus.md", "deploy-slurm.md" })
        {
            var text = File.ReadAllText(Path.Combine(SentinelProgram.RepositoryRoot, "docs", doc));
            foreach (System.Text.RegularExpressions.Match block in System.Text.RegularExpressions.Regex.Matches(text, "```promql\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline))
            {
                // Queries are separated by comment lines and blank lines; a query may run over several lines.
                var current = new List<string>();
                foreach (var line in block.Groups[1].Value.Split('\n').Append(""))
                {
                    if (line.StartsWith('#') || line.Trim().Length == 0)
                    {
                        if (current.Count > 0) queries.Add(string.Join(" ", current));
                        current.Clear();
                    }
                    else current.Add(line.Trim());
                }
            }
        }
        Assert.True(queries.Count >= 8, $"found only {queries.Count} queries");
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "queries.yml");
        File.WriteAllText(file, "groups:\n  - name: docs\n    rules:\n" + string.Concat(queries.Select((q, i) =>
            $"      - record: docs_query_{i}\n        expr: '{q.Replace("'", "''")}'\n")));
        var (exit, output) = await Prometheus.Promtool("", "check", "rules", file);
        Assert.True(exit == 0, $"promtool check rules on the docs' queries: exit {exit}: {output}\n{string.Join("\n", queries)}");
    }

    [Fact]
    public async Task The_alert_rules_in_prometheus_md_pass_promtool_check_rules()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "rules.yml");
        File.WriteAllText(file, AlertRules());
        var (exit, output) = await Prometheus.Promtool("", "check", "rules", file);
        Assert.True(exit == 0, $"promtool check rules: exit {exit}: {output}");
        Assert.Contains("SUCCESS", output);
    }
}
