using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sentinel.Agent;
using Sentinel.Master.Auth;

namespace Sentinel.Master.Tests;

/// <summary>One master that needs a login, with a user of each role and an operator API token, shared by the auth tests.</summary>
public sealed class AuthFixture : IAsyncLifetime
{
    public const string AdminPassword = "admin-password-for-tests";
    private readonly TempDir _dir = new();
    public MasterServer Master { get; private set; } = null!;
    public string DataPath => _dir.Path;
    public Dictionary<string, string?> Callers { get; } = [];

    public async Task InitializeAsync()
    {
        Master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = _dir.Path, RequireLogin = true, InitialAdminPassword = AdminPassword });
        var admin = await AuthTests.Login(Master, "admin", AdminPassword);
        Callers["none"] = null;
        Callers["wrong token"] = "stk_not-a-real-token";
        Callers["admin"] = admin;
        foreach (var role in new[] { "viewer", "operator" })
        {
            var add = await AuthTests.Send(Master, HttpMethod.Post, "api/users", admin, $$"""{"name":"{{role}}1","password":"{{role}}-password-123","role":"{{role}}"}""");
            Assert.Equal(HttpStatusCode.OK, add.StatusCode);
            Callers[role] = await AuthTests.Login(Master, role + "1", role + "-password-123");
        }
        var token = await AuthTests.Send(Master, HttpMethod.Post, "api/tokens", admin, """{"name":"ci script","kind":"api","role":"operator"}""");
        Assert.Equal(HttpStatusCode.Created, token.StatusCode);
        Callers["operator api token"] = JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString();
    }

    public async Task DisposeAsync()
    {
        await Master.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>A master that needs a login: every route with every kind of caller, sessions, tokens, CSRF and Origin rules.</summary>
public sealed class AuthTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private const string AdminPassword = AuthFixture.AdminPassword;
    private MasterServer _master => fixture.Master;
    private Dictionary<string, string?> _callers => fixture.Callers;
    private string DataPath => fixture.DataPath;

    // No cookie jar: each request carries exactly the credentials a test gives it.
    private static readonly HttpClient Http = new(new HttpClientHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private Task<string> Login(string user, string password) => Login(_master, user, password);

    internal static async Task<string> Login(MasterServer master, string user, string password)
    {
        var r = await Send(master, HttpMethod.Post, "api/login", null, JsonSerializer.Serialize(new { user, password }));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("HttpOnly", string.Join(";", r.Headers.GetValues("Set-Cookie")));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? bearer, string? json = null, Dictionary<string, string>? headers = null)
        => Send(_master, method, path, bearer, json, headers);

    internal static Task<HttpResponseMessage> Send(MasterServer master, HttpMethod method, string path, string? bearer, string? json = null, Dictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(method, new Uri(master.Url, path));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        else if (method != HttpMethod.Get) request.Headers.Add(AuthService.CsrfHeader, "1");
        foreach (var (k, v) in headers ?? []) request.Headers.TryAddWithoutValidation(k, v);
        return Http.SendAsync(request);
    }

    private static Role RoleOf(string caller) => caller switch
    {
        "admin" => Role.Admin,
        "operator" or "operator api token" => Role.Operator,
        "viewer" => Role.Viewer,
        _ => Role.None,
    };

    public static TheoryData<string, string> RoutesAndCallers()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in Routes.All)
        {
            foreach (var caller in new[] { "none", "wrong token", "viewer", "operator", "operator api token", "admin" })
            {
                data.Add(route.Method + " " + route.Path, caller);
            }
        }
        return data;
    }

    [Fact]
    public async Task Metrics_open_lets_anyone_read_metrics_and_nothing_more_while_without_it_metrics_needs_a_viewer()
    {
        using var dir = new TempDir();
        await using var open = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir.Path, RequireLogin = true, InitialAdminPassword = AdminPassword, MetricsOpen = true });
        var metrics = await Send(open, HttpMethod.Get, "metrics", null);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("sentinel_master_agents_connected 0", await metrics.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(open, HttpMethod.Get, "api/status", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(open, HttpMethod.Get, "api/machines", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, "metrics", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "metrics", _callers["viewer"])).StatusCode);
    }

    [Theory]
    [MemberData(nameof(RoutesAndCallers))]
    public async Task Every_route_answers_each_caller_by_its_role(string route, string caller)
    {
        var (method, pattern) = (route.Split(' ')[0], route.Split(' ')[1]);
        var needs = Routes.All.Single(r => r.Method == method && r.Path == pattern).Needs;
        var path = pattern.TrimStart('/').Replace("{name}", "nosuch").Replace("{id}", "nosuch");
        // Logging out would end the shared session the other rows use; logout needs no role, so it is sent as anyone.
        var bearer = pattern == "/api/logout" ? null : _callers[caller];
        bool allowed = RoleOf(caller) >= needs;
        if (method == "WS")
        {
            using var ws = new ClientWebSocket();
            ws.Options.CollectHttpResponseDetails = true;
            if (bearer is not null) ws.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
            var uri = new Uri(_master.Url.ToString().Replace("http://", "ws://") + path);
            try
            {
                await ws.ConnectAsync(uri, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
                Assert.True(allowed, $"{caller} opened {route}");
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
            catch (WebSocketException)
            {
                Assert.False(allowed, $"{caller} was refused {route} ({ws.HttpStatusCode})");
                Assert.Equal(RoleOf(caller) == Role.None ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden, ws.HttpStatusCode);
            }
            return;
        }
        var body = method == "POST" ? path switch
        {
            "api/login" => """{"user":"viewer1","password":"viewer-password-123"}""", // a right one: wrong ones would slow the later rows
            "api/jobs" => """{"benchmark":"cpu","machines":["nosuch"]}""",
            _ => "{}",
        } : null;
        var response = await Send(new HttpMethod(method), path, bearer, body);
        var status = response.StatusCode;
        if (allowed)
        {
            Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) || path == "api/login",
                $"{caller} on {route}: {(int)status} {await response.Content.ReadAsStringAsync()}");
        }
        else
        {
            Assert.Equal(RoleOf(caller) == Role.None ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden, status);
            Assert.Contains(RoleOf(caller) == Role.None ? "unauthorized" : "forbidden", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task The_command_benchmark_needs_an_admin_and_passwords_are_never_listed()
    {
        var asOperator = await Send(HttpMethod.Post, "api/jobs", _callers["operator"], """{"benchmark":"command","parameters":{"command":"id"}}""");
        Assert.Equal(HttpStatusCode.Forbidden, asOperator.StatusCode);
        Assert.Contains("admin", await asOperator.Content.ReadAsStringAsync());
        var asAdmin = await Send(HttpMethod.Post, "api/jobs", _callers["admin"], """{"benchmark":"command","parameters":{"command":"id"}}""");
        Assert.NotEqual(HttpStatusCode.Forbidden, asAdmin.StatusCode); // 409: no machines online, after the role check

        var users = await (await Send(HttpMethod.Get, "api/users", _callers["admin"])).Content.ReadAsStringAsync();
        Assert.Contains("viewer1", users);
        Assert.DoesNotContain("password", users, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hash", users, StringComparison.OrdinalIgnoreCase);
        var tokens = await (await Send(HttpMethod.Get, "api/tokens", _callers["admin"])).Content.ReadAsStringAsync();
        Assert.Contains("ci script", tokens);
        Assert.DoesNotContain(_callers["operator api token"]!, tokens);
        // Nothing secret is stored in clear: not the API token, not a password.
        var db = await File.ReadAllBytesAsync(Path.Combine(DataPath, "sentinel.db"));
        var wal = File.Exists(Path.Combine(DataPath, "sentinel.db-wal")) ? await File.ReadAllBytesAsync(Path.Combine(DataPath, "sentinel.db-wal")) : [];
        var all = Encoding.UTF8.GetString(db) + Encoding.UTF8.GetString(wal);
        Assert.DoesNotContain(_callers["operator api token"]!, all);
        Assert.DoesNotContain("viewer-password-123", all);
    }

    [Fact]
    public async Task Commands_need_an_admin_and_every_refused_attempt_is_in_the_audit_log()
    {
        var body = """{"machines":["gpu01","gpu02"],"command":"cat /etc/shadow"}""";
        foreach (var caller in new[] { "viewer", "operator", "operator api token" })
        {
            var r = await Send(HttpMethod.Post, "api/commands", _callers[caller], body);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("admin", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Post, "api/commands", null, body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Get, "api/audit", _callers["operator"])).StatusCode);

        var audit = JsonSerializer.Deserialize(await (await Send(HttpMethod.Get, "api/audit?limit=1000", _callers["admin"])).Content.ReadAsStringAsync(),
            Json.SentinelJsonContext.Default.ListAuditEntry)!.Where(e => e.Command == "cat /etc/shadow").ToList();
        foreach (var (who, role) in new[] { ("viewer1", "viewer"), ("operator1", "operator"), ("token ci script", "operator"), ("anonymous", "none") })
        {
            var entry = audit.Single(e => e.User == who);
            Assert.Equal(role, entry.Role);
            Assert.Equal("refused-by-master", entry.Outcome);
            Assert.Equal(["gpu01", "gpu02"], entry.Machines);
            Assert.All(entry.Results, r => Assert.Equal("refused-by-master", r.Outcome));
            Assert.NotNull(entry.Remote);
        }
        Assert.Contains("admin role", audit.Single(e => e.User == "operator1").Detail);
        Assert.Contains("not signed in", audit.Single(e => e.User == "anonymous").Detail);
    }

    [Fact]
    public async Task A_cookie_session_needs_the_request_header_and_the_same_origin_to_change_anything()
    {
        var cookie = $"{AuthService.SessionCookie}={_callers["admin"]}";
        // A cross-site form: the cookie goes along, the custom header cannot.
        var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(_master.Url, "api/tokens")) { Content = new StringContent("""{"name":"x","kind":"api","role":"admin"}""", Encoding.UTF8, "application/json") };
        forged.Headers.TryAddWithoutValidation("Cookie", cookie);
        var r = await Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("csrf", await r.Content.ReadAsStringAsync());
        // Removing a machine deletes its history: the same rule holds for DELETE.
        var forgedDelete = new HttpRequestMessage(HttpMethod.Delete, new Uri(_master.Url, "api/machines/nosuch"));
        forgedDelete.Headers.TryAddWithoutValidation("Cookie", cookie);
        r = await Http.SendAsync(forgedDelete);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("csrf", await r.Content.ReadAsStringAsync());

        var fromElsewhere = new HttpRequestMessage(HttpMethod.Post, new Uri(_master.Url, "api/tokens")) { Content = new StringContent("""{"name":"x","kind":"api","role":"admin"}""", Encoding.UTF8, "application/json") };
        fromElsewhere.Headers.TryAddWithoutValidation("Cookie", cookie);
        fromElsewhere.Headers.Add(AuthService.CsrfHeader, "1");
        fromElsewhere.Headers.TryAddWithoutValidation("Origin", "http://evil.example");
        r = await Http.SendAsync(fromElsewhere);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("cross-origin", await r.Content.ReadAsStringAsync());

        var own = new HttpRequestMessage(HttpMethod.Post, new Uri(_master.Url, "api/tokens")) { Content = new StringContent("""{"name":"page","kind":"api","role":"viewer"}""", Encoding.UTF8, "application/json") };
        own.Headers.TryAddWithoutValidation("Cookie", cookie);
        own.Headers.Add(AuthService.CsrfHeader, "1");
        own.Headers.TryAddWithoutValidation("Origin", _master.Url.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.Created, (await Http.SendAsync(own)).StatusCode);

        // A viewer socket from another site's page is refused even with a valid session.
        using var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.SetRequestHeader("Cookie", cookie);
        ws.Options.SetRequestHeader("Origin", "http://evil.example");
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ws.ConnectAsync(new Uri(_master.Url.ToString().Replace("http://", "ws://") + "ws"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, ws.HttpStatusCode);
    }

    [Fact]
    public async Task Logging_out_ends_the_session_and_wrong_passwords_are_refused()
    {
        var session = await Login("viewer1", "viewer-password-123");
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "api/machines", session)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Post, "api/logout", session)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, "api/machines", session)).StatusCode);

        for (int i = 0; i < 5; i++)
        {
            var bad = await Send(HttpMethod.Post, "api/login", null, """{"user":"viewer1","password":"wrong"}""");
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }
        // Past five failures the master slows this address (the delays themselves: ThrottleTests); a right password still works.
        var slowed = await Send(HttpMethod.Post, "api/login", null, """{"user":"viewer1","password":"wrong"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, slowed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "api/login", null, """{"user":"viewer1","password":"viewer-password-123"}""")).StatusCode);
    }

    [Fact]
    public async Task Static_files_refuse_path_traversal_in_every_encoding()
    {
        foreach (var path in new[] { "../sentinel.db", "..%2fsentinel.db", "%2e%2e/sentinel.db", "%2e%2e%2fsentinel.db", "%252e%252e%252fsentinel.db",
                     "..%5csentinel.db", "%c0%ae%c0%ae/sentinel.db", "web/../app.js", "./app.js/../../sentinel.db", "app.js%00.html", "..;/sentinel.db", "/etc/passwd" })
        {
            using var socket = new System.Net.Sockets.TcpClient();
            await socket.ConnectAsync(IPAddress.Loopback, _master.Url.Port);
            var stream = socket.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
            var answer = await new StreamReader(stream).ReadToEndAsync();
            var status = answer.Split(' ')[1];
            Assert.True(status is "404" or "400", $"/{path}: {answer.Split('\n')[0]}");
            Assert.DoesNotContain("SQLite format", answer);
            Assert.DoesNotContain("root:", answer);
        }
    }

    [Fact]
    public async Task Agents_need_a_token_once_a_master_has_one_and_a_wrong_token_is_closed_at_once()
    {
        var made = await Send(HttpMethod.Post, "api/tokens", _callers["admin"], """{"name":"rack 7","kind":"agent"}""");
        var secret = JsonDocument.Parse(await made.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        Assert.StartsWith("sta_", secret);

        await using var bad = await RawPeer.ConnectAsync(_master.Url);
        await bad.SendHello(RawPeer.HelloFor("intruder", token: "sta_guess"));
        await bad.ExpectError(Protocol.ErrorCodes.Unauthorized);

        await using var agent = new SentinelAgent(new AgentOptions { Master = _master.Url, Name = "rack7-node", HostId = "h7", Token = secret, Interval = TimeSpan.FromSeconds(1) }, new FakeSource());
        agent.Start();
        await Wait.Until(async () => (await Send(HttpMethod.Get, "api/machines/rack7-node", _callers["viewer"])).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the agent with a stored agent token is in");
        // An agent token is not an API credential.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, "api/machines", secret)).StatusCode);
    }

    [Fact]
    public async Task Sentinel_run_signs_in_with_an_api_token_and_says_what_to_do_without_one()
    {
        static async Task<(int Code, string Out, string Err)> Run(string args, string? tokenVariable = null)
        {
            var start = new System.Diagnostics.ProcessStartInfo(Sentinel.Testing.SentinelProgram.Path, args) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment.Remove(ApiTokenVariable);
            if (tokenVariable is not null) start.Environment[ApiTokenVariable] = tokenVariable;
            using var p = System.Diagnostics.Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            return (p.ExitCode, await stdout, await stderr);
        }
        var url = _master.Url.ToString().TrimEnd('/');
        var refused = await Run($"run --master {url} --machine nosuch cpu");
        Assert.NotEqual(0, refused.Code);
        // The CLI user is told about --token and SENTINEL_TOKEN, not the master's HTTP-level "sign in first".
        Assert.Contains("needs a login", refused.Err);
        Assert.Contains("--token", refused.Err);
        Assert.Contains(ApiTokenVariable, refused.Err);
        var wrong = await Run($"run --master {url} --machine nosuch cpu --token stk_not_a_token");
        Assert.NotEqual(0, wrong.Code);
        Assert.Contains("did not accept the token", wrong.Err);
        var report = await Run($"report --master {url} --out {Path.Combine(Path.GetTempPath(), "never-written-" + Guid.NewGuid().ToString("N") + ".html")}");
        Assert.NotEqual(0, report.Code);
        Assert.Contains("needs a login", report.Err);
        // With the operator's API token (as an option, then from the environment) the request gets past the login to the job itself.
        var withToken = await Run($"run --master {url} --machine nosuch cpu --token {_callers["operator api token"]}");
        Assert.DoesNotContain("login", withToken.Err + withToken.Out);
        Assert.Contains("nosuch", withToken.Err + withToken.Out);
        var fromEnvironment = await Run($"run --master {url} --machine nosuch cpu", _callers["operator api token"]);
        Assert.DoesNotContain("login", fromEnvironment.Err + fromEnvironment.Out);
        Assert.Contains("nosuch", fromEnvironment.Err + fromEnvironment.Out);
    }

    private const string ApiTokenVariable = "SENTINEL_TOKEN";

    [Fact]
    public async Task A_master_bound_beyond_loopback_makes_an_agent_token_and_an_admin_and_says_them_once()
    {
        using var dir = new TempDir();
        var log = new List<string>();
        await using (var master = MasterServer.Start(new MasterOptions { Address = IPAddress.Any, Port = 0, DataPath = dir.Path, Log = log.Add }))
        {
            Assert.Contains(log, l => l.Contains("--token sta_"));
            Assert.Contains(log, l => l.Contains("user 'admin' was made with the password"));
            var r = await Http.GetAsync(new Uri(master.Url, "api/machines"));
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            await using var peer = await RawPeer.ConnectAsync(master.Url);
            await peer.SendHello(RawPeer.HelloFor("no-token"));
            await peer.ExpectError(Protocol.ErrorCodes.Unauthorized);
        }
        log.Clear();
        await using (var again = MasterServer.Start(new MasterOptions { Address = IPAddress.Any, Port = 0, DataPath = dir.Path, Log = log.Add }))
        {
            Assert.DoesNotContain(log, l => l.Contains("sta_") || l.Contains("password"));
        }
    }

    [Fact]
    public async Task A_master_running_open_on_loopback_answers_only_to_loopback_host_names()
    {
        using var dir = new TempDir();
        await using var open = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir.Path });
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(new Uri(open.Url, "api/machines"))).StatusCode);
        var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(open.Url, "api/machines"));
        rebound.Headers.Host = "evil.example:" + open.Url.Port; // DNS rebinding: another site's name pointed at 127.0.0.1
        var r = await Http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("forbidden-host", await r.Content.ReadAsStringAsync());
        var local = new HttpRequestMessage(HttpMethod.Get, new Uri(open.Url, "api/machines"));
        local.Headers.Host = "localhost:" + open.Url.Port;
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(local)).StatusCode);
        var status = await Http.GetFromJsonAsync<JsonElement>(new Uri(open.Url, "api/auth"));
        Assert.False(status.GetProperty("loginRequired").GetBoolean());
        // Agents keep coming in under other names (through a relay on a login node, an SSH tunnel).
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Host", "login01:13580");
        await ws.ConnectAsync(new Uri(open.Url.ToString().Replace("http://", "ws://") + "ws/agent"), CancellationToken.None);
        Assert.Equal(WebSocketState.Open, ws.State);
        // ...while a viewer socket under that name is refused (so the Host header above was really sent).
        using var viewer = new ClientWebSocket();
        viewer.Options.CollectHttpResponseDetails = true;
        viewer.Options.SetRequestHeader("Host", "login01:13580");
        await Assert.ThrowsAnyAsync<WebSocketException>(() => viewer.ConnectAsync(new Uri(open.Url.ToString().Replace("http://", "ws://") + "ws"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, viewer.HttpStatusCode);
    }
}

/// <summary>docs/security.md lists every route of the table the master enforces, with the role it needs.</summary>
public class SecurityDocTests
{
    [Fact]
    public void Every_route_is_in_security_md_with_the_role_it_needs()
    {
        var doc = File.ReadAllText(Path.Combine(Sentinel.Testing.SentinelProgram.RepositoryRoot, "docs", "security.md"));
        foreach (var route in Routes.All)
        {
            var line = doc.Split('\n').FirstOrDefault(l => l.StartsWith($"| `{route.Method}` | `{route.Path}` |", StringComparison.Ordinal));
            Assert.True(line is not null, $"docs/security.md has no row for {route.Method} {route.Path}");
            var needs = route.Path is "/ws/agent" or "/ws/net" ? "an agent token" : route.Needs == Role.None ? "nobody" : RoleNames.Of(route.Needs);
            Assert.Contains($"| {needs}", line);
        }
    }
}

/// <summary>How failures slow an address, on a clock the test moves.</summary>
public class ThrottleTests
{
    [Fact]
    public void Five_failures_a_minute_cost_nothing_then_each_one_more_adds_a_second_up_to_ten_and_a_quiet_minute_forgets()
    {
        var clock = new ManualClock();
        var throttle = new Throttle(clock);
        var address = IPAddress.Parse("192.0.2.7");
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(TimeSpan.Zero, throttle.Delay(address));
            throttle.Fail(address);
        }
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Delay(address));
        throttle.Fail(address);
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.Delay(address));
        for (int i = 0; i < 20; i++) throttle.Fail(address);
        Assert.Equal(TimeSpan.FromSeconds(10), throttle.Delay(address));
        Assert.Equal(TimeSpan.Zero, throttle.Delay(IPAddress.Parse("192.0.2.8"))); // per address
        clock.Set(clock.GetUtcNow() + TimeSpan.FromSeconds(61));
        Assert.Equal(TimeSpan.Zero, throttle.Delay(address));
    }
}
