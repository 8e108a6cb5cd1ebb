using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Json;

namespace Sentinel.Master.Tests;

/// <summary>What an alert does: a webhook on a real HttpListener that fails at first, and a command on the master fed hostile machine names.</summary>
public sealed class AlertActionTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<SentinelAgent> _agents = [];
    private MasterServer _master = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private void Start(Func<MasterOptions, MasterOptions> tweak)
        => _master = MasterServer.Start(tweak(new MasterOptions { Port = 0, DataPath = _dir.Path, AlertHoldOff = TimeSpan.Zero, Log = _log.Enqueue }));

    private DialSource Agent(string name, double cpu)
    {
        var source = new DialSource("h", cpu);
        var agent = new SentinelAgent(new AgentOptions
        {
            Master = _master.Url, Name = name, HostId = "host-" + Guid.NewGuid().ToString("N")[..8], Interval = TimeSpan.FromSeconds(1),
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(1),
        }, source);
        _agents.Add(agent);
        agent.Start();
        return source;
    }

    private async Task AddRule(object rule)
    {
        var r = await Api.Post(_master.Url, "api/alerts/rules", JsonSerializer.Serialize(rule));
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"POST /api/alerts/rules: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
    }

    private string Log => string.Join("\n", _log);

    [Fact]
    public async Task A_webhook_is_retried_until_its_receiver_takes_it_and_is_told_of_the_resolve_too()
    {
        int port = Testing.SentinelProgram.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var bodies = new ConcurrentQueue<(int Attempt, string ContentType, string Body)>();
        int attempts = 0;
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext c;
                try { c = await listener.GetContextAsync(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                int n = Interlocked.Increment(ref attempts);
                using (var reader = new StreamReader(c.Request.InputStream, Encoding.UTF8)) bodies.Enqueue((n, c.Request.ContentType ?? "", await reader.ReadToEndAsync()));
                c.Response.StatusCode = n <= 2 ? 503 : 200; // the first two attempts fail
                c.Response.Close();
            }
        });
        Start(o => o with { AlertWebhookRetryDelay = TimeSpan.FromMilliseconds(100), AlertWebhookTimeout = TimeSpan.FromSeconds(10) });
        await AddRule(new { id = "hot", name = "Hot", metric = "cpu", threshold = 90, clearThreshold = 50, machines = "web01", webhookUrl = $"http://127.0.0.1:{port}/hook/" });
        var cpu = Agent("web01", 99);

        await Wait.Until(() => bodies.Any(b => b.Attempt == 3), TimeSpan.FromSeconds(30), () => "the third attempt reaches the receiver; log:\n" + Log);
        Assert.Equal(3, bodies.Count);
        Assert.All(bodies, b => Assert.StartsWith("application/json", b.ContentType));
        Assert.Single(bodies.Select(b => b.Body).Distinct()); // the same notification each time
        var n = JsonSerializer.Deserialize(bodies.First().Body, SentinelJsonContext.Default.AlertNotification)!;
        Assert.Equal(("firing", "web01", "hot", AlertState.Firing), (n.Change, n.Alert.Machine, n.Alert.RuleId, n.Alert.State));
        Assert.Equal(99, n.Alert.FiredValue);
        Assert.Equal(_master.Url.ToString().TrimEnd('/'), n.Source);
        await Wait.Until(() => Log.Contains("took it on attempt 3", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the master logs the delivery");
        Assert.Contains("attempt 1 failed (HTTP 503)", Log);

        cpu.Cpu = 10;
        await Wait.Until(() => bodies.Count == 4, TimeSpan.FromSeconds(30), () => "the resolve is posted; log:\n" + Log);
        var resolved = JsonSerializer.Deserialize(bodies.Last().Body, SentinelJsonContext.Default.AlertNotification)!;
        Assert.Equal(("resolved", AlertState.Resolved, n.Alert.Id), (resolved.Change, resolved.Alert.State, resolved.Alert.Id));
        listener.Stop();
        await serving;
    }

    [Fact]
    public async Task A_webhook_that_does_not_answer_in_time_is_given_up_on_for_that_attempt_and_retried()
    {
        int port = Testing.SentinelProgram.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/slow/");
        listener.Start();
        var held = new List<HttpListenerContext>();
        int attempts = 0;
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext c;
                try { c = await listener.GetContextAsync(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                if (Interlocked.Increment(ref attempts) == 1)
                {
                    lock (held) held.Add(c); // never answered: the master's timeout must end the attempt
                    continue;
                }
                c.Response.StatusCode = 204;
                c.Response.Close();
            }
        });
        Start(o => o with { AlertWebhookTimeout = TimeSpan.FromMilliseconds(500), AlertWebhookRetryDelay = TimeSpan.FromMilliseconds(50) });
        await AddRule(new { id = "hot", name = "Hot", metric = "cpu", threshold = 90, webhookUrl = $"http://127.0.0.1:{port}/slow/" });
        Agent("slow01", 99);
        await Wait.Until(() => Log.Contains("took it on attempt 2", StringComparison.Ordinal), TimeSpan.FromSeconds(30), () => "the second attempt is taken; log:\n" + Log);
        Assert.Contains("attempt 1 failed (no answer within 0.5 s)", Log);
        listener.Stop();
        await serving;
    }

    [Fact]
    public async Task A_webhook_nobody_answers_is_given_up_after_its_attempts_and_logged()
    {
        int closed = Testing.SentinelProgram.FreePort();
        Start(o => o with { AlertWebhookRetryDelay = TimeSpan.FromMilliseconds(50), AlertWebhookAttempts = 2 });
        await AddRule(new { id = "hot", name = "Hot", metric = "cpu", threshold = 90, webhookUrl = $"http://127.0.0.1:{closed}/nobody" });
        Agent("lonely01", 99);
        await Wait.Until(() => Log.Contains("failed after 2 attempts", StringComparison.Ordinal), TimeSpan.FromSeconds(60), () => "the master gives up; log:\n" + Log);
        Assert.Contains("attempt 1 failed", Log);
    }

    /// <summary>
    /// Machine names are whatever an agent says. A command rule gets them only as the SENTINEL_ALERT_MACHINE environment variable,
    /// and its own arguments exactly as written: none of these names, nor an argument that looks like a substitution, runs anything.
    /// </summary>
    [Fact]
    public async Task A_command_action_gets_hostile_machine_names_as_data_never_as_code()
    {
        var outFile = Path.Combine(_dir.Path, "names.txt");
        var names = new[] { $"$(touch {_dir.Path}/pwned1)", $"x; touch {_dir.Path}/pwned2 #", $"`touch {_dir.Path}/pwned3`", "it's \"quoted\" && | > <" };
        Start(o => o with { AllowAlertCommands = true });
        // The rule's author chose sh; the master passes the script and its arguments as separate elements, and the name only in the environment.
        await AddRule(new
        {
            id = "cmd", name = "Command", metric = "cpu", threshold = 90,
            command = new[] { "/bin/sh", "-c", "printf '%s|%s|%s\\n' \"$SENTINEL_ALERT_CHANGE\" \"$SENTINEL_ALERT_MACHINE\" \"$1\" >> \"$0\"", outFile, $"$(touch {_dir.Path}/pwned4)" },
        });
        foreach (var name in names) Agent(name, 99);

        await Wait.Until(() => File.Exists(outFile) && File.ReadAllLines(outFile).Length >= names.Length, TimeSpan.FromSeconds(60),
            () => "every machine's alert ran the command; log:\n" + Log);
        var lines = File.ReadAllLines(outFile);
        Assert.Equal(names.Order(StringComparer.Ordinal), lines.Select(l => l.Split('|')[1..^1]).Select(p => string.Join("|", p)).Order(StringComparer.Ordinal));
        Assert.All(lines, l => Assert.StartsWith("firing|", l));
        Assert.All(lines, l => Assert.EndsWith($"|$(touch {_dir.Path}/pwned4)", l));
        Assert.Empty(Directory.GetFiles(_dir.Path, "pwned*"));
        await Wait.Until(() => Log.Contains("exited with 0", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the master logs the exit");
    }

    public async Task DisposeAsync()
    {
        foreach (var a in _agents)
        {
            try { await a.DisposeAsync(); } catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException) { }
        }
        if (_master is not null) await _master.DisposeAsync();
        _dir.Dispose();
    }
}
