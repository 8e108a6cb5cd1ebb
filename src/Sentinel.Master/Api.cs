using System.Globalization;
using System.Net;
using System.Text;
using Sentinel.Master.Http;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Xml;
using Sentinel.Json;

namespace Sentinel.Master;

/// <summary>The REST API under /api (docs/api.md). JSON in camelCase; errors as {"error":{"code","message"}}.</summary>
internal sealed class Api(MasterContext ctx)
{
    private readonly AlertApi _alerts = new(ctx);

    public async Task HandleAsync(HttpContext http, Auth.Principal who, CancellationToken ct)
    {
        var req = http.Request;
        var path = req.Path.TrimEnd('/');
        if (path.Length == 0) path = "/";
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (await AuthRoutes(http, who, parts).ConfigureAwait(false) || await _alerts.HandleAsync(http, who, parts).ConfigureAwait(false))
        {
            return;
        }
        if (req.Method == "POST")
        {
            switch (parts)
            {
                case ["api", "jobs"]:
                    await CreateJob(http, who).ConfigureAwait(false);
                    return;
                case ["api", "commands"]:
                    await CreateCommand(http, who).ConfigureAwait(false);
                    return;
                case ["api", "commands", var commandId, "cancel"]:
                    if (ctx.Commands.Cancel(commandId) is { } stopping)
                        await Json(http, 200, stopping, SentinelJsonContext.Default.CommandRun).ConfigureAwait(false);
                    else
                        await Error(http, 404, "command-not-found", $"no command '{commandId}' (the master keeps the last 100 in memory; GET /api/audit has them all)").ConfigureAwait(false);
                    return;
                case ["api", "jobs", var id, "cancel"]:
                    if (ctx.Jobs.Cancel(id) is { } cancelled)
                        await Json(http, 200, cancelled, SentinelJsonContext.Default.BenchmarkJob).ConfigureAwait(false);
                    else
                        await Error(http, 404, "job-not-found", $"no job '{id}'").ConfigureAwait(false);
                    return;
            }
        }
        if (req.Method == "DELETE" && parts is ["api", "machines", var forget])
        {
            await DeleteMachine(http, who, forget, ct).ConfigureAwait(false);
            return;
        }
        if (req.Method != "GET" && req.Method != "HEAD")
        {
            await Error(http, 405, "method-not-allowed", $"{req.Method} is not allowed on {path}").ConfigureAwait(false);
            return;
        }
        if (parts is [] or [not "api", ..] && StaticFiles.Exists(path))
        {
            await StaticFiles.ServeAsync(http, path).ConfigureAwait(false);
            return;
        }
        switch (parts)
        {
            case ["api", "jobs"]:
                await Json(http, 200, ctx.Jobs.List(Limit(req.Query)), SentinelJsonContext.Default.ListBenchmarkJob).ConfigureAwait(false);
                return;
            case ["api", "jobs", var id]:
                await GetJob(http, id, ct).ConfigureAwait(false);
                return;
            case ["api", "results"]:
                await Results(http).ConfigureAwait(false);
                return;
            case ["api", "commands", var commandId]:
                await GetCommand(http, commandId, ct).ConfigureAwait(false);
                return;
            case ["api", "audit"]:
                await AuditLog(http).ConfigureAwait(false);
                return;
            case ["api", "status"]:
                await Json(http, 200, Status(), SentinelJsonContext.Default.MasterStatus).ConfigureAwait(false);
                return;
            case ["api", "machines"]:
                await Json(http, 200, ctx.Fleet.Snapshot(ctx.Source), SentinelJsonContext.Default.ListMachine).ConfigureAwait(false);
                return;
            case ["api", "machines", var name]:
                if (ctx.Fleet.Find(name) is { } entry)
                {
                    Machine m;
                    lock (ctx.Fleet.Lock) m = entry.ToMachine(ctx.Source);
                    await Json(http, 200, m, SentinelJsonContext.Default.Machine).ConfigureAwait(false);
                }
                else
                {
                    await NotFound(http, name).ConfigureAwait(false);
                }
                return;
            case ["api", "machines", var name, "metrics"]:
                await Metrics(http, name).ConfigureAwait(false);
                return;
            case ["api", "machines", var name, "connections"]:
                await Connections(http, name).ConfigureAwait(false);
                return;
            case ["api", "fleet", "history"]:
                await History(http).ConfigureAwait(false);
                return;
            case ["metrics"]:
                await Prometheus(http).ConfigureAwait(false);
                return;
            case ["api", "benchmarks"]:
                await Json(http, 200, BenchmarkInfos, SentinelJsonContext.Default.ListBenchmarkInfo).ConfigureAwait(false);
                return;
            default:
                await Error(http, 404, "not-found", $"no such resource: {path}").ConfigureAwait(false);
                return;
        }
    }

    /// <summary>Login, logout, who am I, users and tokens. True when the request was one of them (and is answered).</summary>
    private async Task<bool> AuthRoutes(HttpContext http, Auth.Principal who, string[] parts)
    {
        var auth = ctx.Auth;
        var method = http.Request.Method;
        var json = Auth.AuthJsonContext.Default;
        switch (method, parts)
        {
            case ("GET" or "HEAD", ["api", "auth"]):
                await Json(http, 200, new Auth.AuthStatus
                {
                    LoginRequired = auth.LoginRequired, Authenticated = who.Role > Auth.Role.None, User = who.Role > Auth.Role.None ? who.Name : null,
                    Role = who.Role > Auth.Role.None ? Auth.RoleNames.Of(who.Role) : null, Via = who.Role > Auth.Role.None ? who.Via : null,
                }, json.AuthStatus).ConfigureAwait(false);
                return true;
            case ("POST", ["api", "login"]):
                await Login(http).ConfigureAwait(false);
                return true;
            case ("POST", ["api", "logout"]):
                auth.Logout(Auth.AuthService.CookieValue(http.Request.Header("Cookie"), Auth.AuthService.SessionCookie));
                if (http.Request.Header("Authorization") is { } a && a.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) auth.Logout(a[7..].Trim());
                await http.RespondAsync(204, "text/plain", ReadOnlyMemory<byte>.Empty,
                    new Dictionary<string, string> { ["Set-Cookie"] = $"{Auth.AuthService.SessionCookie}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" }).ConfigureAwait(false);
                return true;
            case ("GET" or "HEAD", ["api", "users"]):
                await Json(http, 200, auth.Users(), json.ListUserInfo).ConfigureAwait(false);
                return true;
            case ("POST", ["api", "users"]):
                var user = Read(http, json.UserRequest);
                if (user?.Name is not { Length: > 0 } name || HelloValidation.NameProblem("name", name) is not null || user.Password is not { Length: >= 12 } password
                    || !Auth.RoleNames.TryParse(user.Role, out var role))
                {
                    await Error(http, 400, "bad-request", "a user needs a 'name' (1 to 253 characters, no control characters), a 'password' of at least 12 characters " +
                        "and a 'role': viewer, operator or admin").ConfigureAwait(false);
                    return true;
                }
                auth.AddUser(name, password, role);
                ctx.Log($"user '{name}' set to {Auth.RoleNames.Of(role)} by {who.Name}");
                await Json(http, 200, auth.Users(), json.ListUserInfo).ConfigureAwait(false);
                return true;
            case ("DELETE", ["api", "users", var gone]):
                if (gone == who.Name)
                {
                    await Error(http, 400, "bad-request", "you cannot remove yourself; sign in as another admin").ConfigureAwait(false);
                }
                else if (auth.RemoveUser(gone))
                {
                    ctx.Log($"user '{gone}' removed by {who.Name}");
                    await http.RespondAsync(204, "text/plain", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                }
                else
                {
                    await Error(http, 404, "user-not-found", $"no user named '{gone}'").ConfigureAwait(false);
                }
                return true;
            case ("GET" or "HEAD", ["api", "tokens"]):
                await Json(http, 200, auth.Tokens(), json.ListTokenInfo).ConfigureAwait(false);
                return true;
            case ("POST", ["api", "tokens"]):
                var request = Read(http, json.TokenRequest);
                var kind = request?.Kind ?? "api";
                Auth.Role? tokenRole = null;
                if (request?.Name is not { Length: > 0 and <= 253 } tokenName || kind is not ("api" or "agent")
                    || (kind == "api" && !(Auth.RoleNames.TryParse(request.Role, out var r) && (tokenRole = r) is not null)))
                {
                    await Error(http, 400, "bad-request", "a token needs a 'name', a 'kind' (api or agent) and, for api tokens, a 'role': viewer, operator or admin").ConfigureAwait(false);
                    return true;
                }
                var made = auth.CreateToken(tokenName, kind, tokenRole);
                ctx.Log($"{kind} token '{tokenName}' ({made.Id}) made by {who.Name}");
                await Json(http, 201, made, json.TokenInfo).ConfigureAwait(false);
                return true;
            case ("DELETE", ["api", "tokens", var id]):
                if (auth.RevokeToken(id))
                {
                    ctx.Log($"token {id} revoked by {who.Name}");
                    await http.RespondAsync(204, "text/plain", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
                }
                else
                {
                    await Error(http, 404, "token-not-found", $"no token with id '{id}'").ConfigureAwait(false);
                }
                return true;
            case (_, ["api", "auth" or "login" or "logout" or "users" or "tokens", ..]):
                await Error(http, 405, "method-not-allowed", $"{method} is not allowed on {http.Request.Path}").ConfigureAwait(false);
                return true;
        }
        return false;
    }

    private async Task Login(HttpContext http)
    {
        var remote = http.Request.RemoteEndPoint?.Address;
        var wait = ctx.Auth.Failures.Delay(remote);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ctx.Time).ConfigureAwait(false);
        var request = Read(http, Auth.AuthJsonContext.Default.LoginRequest);
        if (request?.User is not { Length: > 0 } user || request.Password is not { } password)
        {
            await Error(http, 400, "bad-request", "send {\"user\":\"NAME\",\"password\":\"…\"}").ConfigureAwait(false);
            return;
        }
        if (ctx.Auth.Login(user, password) is not { } session)
        {
            ctx.Auth.Failures.Fail(remote);
            ctx.Log($"login as '{Truncate(user)}' from {remote} refused");
            await Error(http, 401, "unauthorized", "wrong user name or password").ConfigureAwait(false);
            return;
        }
        var secure = http.Request.Header("X-Forwarded-Proto") == "https" || ctx.Source.StartsWith("https:", StringComparison.Ordinal) ? "; Secure" : "";
        var body = JsonSerializer.SerializeToUtf8Bytes(new Auth.LoginResponse
        {
            Token = session.Secret, User = session.Who.Name, Role = Auth.RoleNames.Of(session.Who.Role), Expires = session.Expires,
        }, Auth.AuthJsonContext.Default.LoginResponse);
        await http.RespondAsync(200, "application/json; charset=utf-8", body, new Dictionary<string, string>
        {
            ["Set-Cookie"] = $"{Auth.AuthService.SessionCookie}={session.Secret}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={(int)(session.Expires - ctx.Time.GetUtcNow()).TotalSeconds}",
        }).ConfigureAwait(false);
    }

    private static T? Read<T>(HttpContext http, JsonTypeInfo<T> info) where T : class
    {
        try
        {
            return http.Request.Body.Length == 0 ? null : JsonSerializer.Deserialize(http.Request.Body, info);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string s) => s.Length > 64 ? s[..64] + "…" : s;

    private static int Limit(IReadOnlyDictionary<string, string> q)
        => q.GetValueOrDefault("limit") is { } text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, 1000) : 100;

    private async Task CreateJob(HttpContext http, Auth.Principal who)
    {
        JobRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(http.Request.Body, SentinelJsonContext.Default.JobRequest);
        }
        catch (JsonException e)
        {
            await Error(http, 400, "bad-json", $"the body is not a job request: {e.Message}").ConfigureAwait(false);
            return;
        }
        if (request is null || string.IsNullOrWhiteSpace(request.Benchmark))
        {
            await Error(http, 400, "bad-request", "the body needs a 'benchmark', e.g. {\"benchmark\":\"memory-bandwidth\",\"machines\":[\"node01\"]}").ConfigureAwait(false);
            return;
        }
        bool command = Benchmarks.BenchmarkCatalog.Find(request.Benchmark)?.Name == "Command";
        var commandLine = command ? Benchmarks.CommandBenchmark.LineOf(request.Parameters ?? []) : "";
        var remote = http.Request.RemoteEndPoint?.ToString();
        if (command && who.Role < Auth.Role.Admin)
        {
            var why = $"the Command benchmark runs a program on every machine: it needs the admin role; {who.Name} is {Auth.RoleNames.Of(who.Role)}";
            ctx.Commands.Audit.Add(who, remote, "command-benchmark", null, request.Machines ?? [], commandLine, "refused-by-master", why,
                (request.Machines ?? []).Select(m => new Sentinel.Commands.AuditOutcome { Machine = m, Outcome = "refused-by-master", Detail = why }).ToList());
            await Error(http, 403, "forbidden", why).ConfigureAwait(false);
            return;
        }
        try
        {
            var job = ctx.Jobs.Create(request);
            if (command)
            {
                ctx.Jobs.Audited(job.Id, ctx.Commands.Audit.Add(who, remote, "command-benchmark", job.Id, job.Parts.Select(p => p.Machine).ToList(), commandLine,
                    "accepted", null, Jobs.JobManager.AuditOutcomes(job)));
            }
            await http.RespondAsync(201, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(job, SentinelJsonContext.Default.BenchmarkJob),
                new Dictionary<string, string> { ["Location"] = "/api/jobs/" + Uri.EscapeDataString(job.Id) }).ConfigureAwait(false);
        }
        catch (Jobs.JobRequestException e)
        {
            if (command)
            {
                ctx.Commands.Audit.Add(who, remote, "command-benchmark", null, request.Machines ?? [], commandLine, "rejected", e.Message, []);
            }
            await Error(http, e.Status, e.Code, e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>POST /api/commands {"machines":[…],"command":"…","timeoutSeconds":60}: 201 with the run and its id.</summary>
    private async Task CreateCommand(HttpContext http, Auth.Principal who)
    {
        Sentinel.Commands.CommandRequest? request = null;
        string? unreadable = null;
        try
        {
            request = http.Request.Body.Length == 0 ? null : JsonSerializer.Deserialize(http.Request.Body, SentinelJsonContext.Default.CommandRequest);
        }
        catch (JsonException e)
        {
            unreadable = e.Message;
        }
        var remote = http.Request.RemoteEndPoint?.ToString();
        if (unreadable is not null)
        {
            ctx.Commands.Audit.Add(who, remote, "command", null, [], "(unreadable body)", "rejected", "bad JSON: " + unreadable, []);
            await Error(http, 400, "bad-json", $"the body is not a command request: {unreadable}").ConfigureAwait(false);
            return;
        }
        try
        {
            var run = ctx.Commands.Create(request, who, remote);
            await http.RespondAsync(201, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(run, SentinelJsonContext.Default.CommandRun),
                new Dictionary<string, string> { ["Location"] = "/api/commands/" + Uri.EscapeDataString(run.Id) }).ConfigureAwait(false);
        }
        catch (Commands.CommandRequestException e)
        {
            await Error(http, e.Status, e.Code, e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>The longest a long-poll is held (?wait=); more is taken as this. Under the usual 30 s of HTTP client timeouts,
    /// and well under the server's idle timeout.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    /// <summary>GET /api/commands/{id}?since=SEQ&amp;wait=SECONDS: the run, with the output after SEQ (all of it without); with
    /// wait, held until the run changes after SEQ (or ends), at most that long.</summary>
    private async Task GetCommand(HttpContext http, string id, CancellationToken ct)
    {
        if (await Since(http, "the 'seq' of the last answer") is not { } since || await Wait(http) is not { } wait) return;
        if (await Hold(http, held => ctx.Commands.WaitAsync(id, since, wait, held), ct).ConfigureAwait(false) is { } run)
            await Json(http, 200, run, SentinelJsonContext.Default.CommandRun).ConfigureAwait(false);
        else
            await Error(http, 404, "command-not-found", $"no command '{id}' (the master keeps the last 100 in memory; GET /api/audit has them all)").ConfigureAwait(false);
    }

    /// <summary>GET /api/jobs/{id}?since=VERSION&amp;wait=SECONDS: the job; with wait, held until its version passes VERSION (or it
    /// ends), at most that long.</summary>
    private async Task GetJob(HttpContext http, string id, CancellationToken ct)
    {
        if (await Since(http, "the 'version' of the last answer") is not { } since || await Wait(http) is not { } wait) return;
        if (await Hold(http, held => ctx.Jobs.WaitAsync(id, since, wait, held), ct).ConfigureAwait(false) is { } job)
            await Json(http, 200, job, SentinelJsonContext.Default.BenchmarkJob).ConfigureAwait(false);
        else
            await Error(http, 404, "job-not-found", $"no job '{id}'").ConfigureAwait(false);
    }

    /// <summary>?since= as a whole number (0 when absent). Null after answering 400.</summary>
    private static async Task<long?> Since(HttpContext http, string what)
    {
        long since = 0;
        if (http.Request.Query.GetValueOrDefault("since") is { Length: > 0 } text && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out since))
        {
            await Error(http, 400, "bad-parameter", $"since: '{text}' is not a whole number ({what})").ConfigureAwait(false);
            return null;
        }
        return since;
    }

    /// <summary>?wait= in seconds, 0 to <see cref="MaxWait"/> (more is taken as the cap; 0 when absent). Null after answering 400.</summary>
    private static async Task<TimeSpan?> Wait(HttpContext http)
    {
        if (http.Request.Query.GetValueOrDefault("wait") is not { } text) return TimeSpan.Zero;
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds))
        {
            await Error(http, 400, "bad-parameter", $"wait: '{text}' is not a number of seconds (0 to {MaxWait.TotalSeconds:0}; e.g. wait=25)").ConfigureAwait(false);
            return null;
        }
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxWait.TotalSeconds));
    }

    /// <summary>Runs a long-poll's wait, ended early when the client closes the connection or the master stops (the answer
    /// is then what there is; a client that left never reads it, and the master's own shutdown closes the connection after it).</summary>
    private static async Task<T> Hold<T>(HttpContext http, Func<CancellationToken, Task<T>> wait, CancellationToken stopping)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var waiting = wait(held.Token);
        if (waiting.IsCompleted) return await waiting.ConfigureAwait(false); // something new already, or no wait asked: no watch needed
        var closed = http.ClientClosedAsync(held.Token);
        if (await Task.WhenAny(closed, waiting).ConfigureAwait(false) == closed) await held.CancelAsync().ConfigureAwait(false);
        try
        {
            return await waiting.ConfigureAwait(false);
        }
        finally
        {
            await held.CancelAsync().ConfigureAwait(false);
            await closed.ConfigureAwait(false);
        }
    }

    /// <summary>GET /api/audit?since=&amp;user=&amp;machine=&amp;limit=: who ran what where, newest first.</summary>
    private async Task AuditLog(HttpContext http)
    {
        var q = http.Request.Query;
        if (!TryTime(q.GetValueOrDefault("since"), DateTimeOffset.MinValue, out var since))
        {
            await Error(http, 400, "bad-parameter", $"since: '{q["since"]}' is not an ISO-8601 time (e.g. 2026-11-24T09:00:00Z)").ConfigureAwait(false);
            return;
        }
        var entries = ctx.Commands.Audit.Query(new Sentinel.Commands.AuditQuery(since == DateTimeOffset.MinValue ? null : since,
            q.GetValueOrDefault("user"), q.GetValueOrDefault("machine"), Limit(q)));
        await Json(http, 200, entries, SentinelJsonContext.Default.ListAuditEntry).ConfigureAwait(false);
    }

    /// <summary>GET /api/results?benchmark=&amp;machine=a,b&amp;since=&amp;job=&amp;limit=&amp;metrics=true</summary>
    private async Task Results(HttpContext http)
    {
        var q = http.Request.Query;
        string? benchmark = null;
        if (q.GetValueOrDefault("benchmark") is { Length: > 0 } b)
        {
            if (Benchmarks.BenchmarkCatalog.Find(b) is not { } known)
            {
                await Error(http, 400, "unknown-benchmark", $"benchmark: no benchmark '{b}' ({string.Join(", ", Benchmarks.BenchmarkCatalog.Names)})").ConfigureAwait(false);
                return;
            }
            benchmark = known.Name;
        }
        if (!TryTime(q.GetValueOrDefault("since"), DateTimeOffset.MinValue, out var since))
        {
            await Error(http, 400, "bad-parameter", $"since: '{q["since"]}' is not an ISO-8601 time (e.g. 2026-11-24T09:00:00Z)").ConfigureAwait(false);
            return;
        }
        var machines = q.GetValueOrDefault("machine") is { Length: > 0 } m ? m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
        // A job shown as finished has its results queued for the writer: wait for them, so what a caller just saw is there.
        await ctx.Store.FlushAsync().ConfigureAwait(false);
        var results = ctx.Store.QueryResults(benchmark, machines, since == DateTimeOffset.MinValue ? null : since, q.GetValueOrDefault("job"), Limit(q));
        if (q.GetValueOrDefault("metrics") is "true" or "1")
        {
            // The machine's figures around the run: from a minute before to a minute after, at its own interval.
            results = results.Select(r =>
            {
                if (ctx.Fleet.Find(r.Machine) is not { } entry || r.StartedAt == default) return r;
                var from = r.StartedAt - TimeSpan.FromMinutes(1);
                var to = (r.FinishedAt == default ? r.StartedAt : r.FinishedAt) + TimeSpan.FromMinutes(1);
                var step = TimeSpan.FromSeconds(Math.Max(entry.IntervalSeconds, Math.Ceiling((to - from).TotalSeconds / 500)));
                return r with { Metrics = ctx.Store.Query(entry.Id, entry.Name, from, to, step) };
            }).ToList();
        }
        await Json(http, 200, results, SentinelJsonContext.Default.ListBenchmarkResult).ConfigureAwait(false);
    }

    public MasterStatus Status()
    {
        var (online, offline, connected) = ctx.Fleet.Counts();
        var s = ctx.Store.Stats;
        var alerts = ctx.Alerts.Counts();
        return new MasterStatus
        {
            Version = ctx.Version,
            StartedAt = ctx.StartedAt,
            UptimeSeconds = (ctx.Time.GetUtcNow() - ctx.StartedAt).TotalSeconds,
            MachinesOnline = online,
            MachinesOffline = offline,
            AgentsConnected = connected,
            Viewers = ctx.Viewers.Count,
            SamplesReceived = Interlocked.Read(ref ctx.SamplesReceived),
            SamplesStored = s.SamplesWritten,
            SamplesDuplicate = s.Duplicates,
            SamplesRefused = s.Refused,
            FramesRejected = Interlocked.Read(ref ctx.FramesRejected),
            StoreQueueDepth = s.QueueDepth,
            StoreCommitMilliseconds = s.LastCommitMilliseconds,
            StoreHealthy = s.Healthy,
            StoreError = s.LastError,
            DatabaseBytes = s.DatabaseBytes,
            WalBytes = s.WalBytes,
            DataPath = ctx.Options.DataPath,
            JobsRunning = ctx.Jobs.RunningCount(),
            JobsFinished = ctx.Store.CountFinishedJobs(),
            AlertsFiring = alerts.Firing,
            AlertsOpen = alerts.Open,
        };
    }

    /// <summary>GET /metrics: the Prometheus text format, gzipped for scrapers that accept it (Prometheus does; it is ~5 KB per machine plain).</summary>
    private async Task Prometheus(HttpContext http)
    {
        await Respond(http, 200, Sentinel.Master.Metrics.PrometheusWriter.ContentType, Sentinel.Master.Metrics.PrometheusExporter.Render(ctx)).ConfigureAwait(false);
    }

    /// <summary>Answers larger than this are gzipped for clients that accept it; smaller ones (a login's token, a new API
    /// token's secret) never are, so no answer that holds a secret is compressed.</summary>
    internal const int GzipAbove = 8 * 1024;

    /// <summary>
    /// Answers with <paramref name="body"/>, gzipped when it is over <see cref="GzipAbove"/> bytes and the client accepts gzip
    /// (browsers, Prometheus and .NET's HttpClient do): the fleet's history, machine list and /metrics are large at scale and
    /// shrink several times.
    /// </summary>
    internal static async Task Respond(HttpContext http, int status, string contentType, ReadOnlyMemory<byte> body)
    {
        if (body.Length > GzipAbove && (http.Request.Header("Accept-Encoding") ?? "").Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            var zipped = new MemoryStream(body.Length / 4 + 1024);
            using (var gz = new System.IO.Compression.GZipStream(zipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(body.Span);
            }
            await http.RespondAsync(status, contentType, zipped.GetBuffer().AsMemory(0, (int)zipped.Length),
                new Dictionary<string, string> { ["Content-Encoding"] = "gzip", ["Vary"] = "Accept-Encoding" }).ConfigureAwait(false);
            return;
        }
        await http.RespondAsync(status, contentType, body).ConfigureAwait(false);
    }

    /// <summary>GET /api/benchmarks: the catalog, with each benchmark's headline figure and the outlier rule.</summary>
    internal static readonly List<BenchmarkInfo> BenchmarkInfos = Benchmarks.BenchmarkCatalog.Benchmarks.Select(b => new BenchmarkInfo
    {
        Name = b.Name,
        CliName = Benchmarks.BenchmarkCatalog.CliName(b.Name),
        Description = b.Description,
        Parameters = b.Parameters.Select(p => new BenchmarkParameterDescription { Name = p.Name, Default = p.Default, Description = p.Description }).ToList(),
        Headline = Benchmarks.BenchmarkHeadline.Of(b.Name),
        OutlierTolerance = Benchmarks.Outliers.DefaultTolerance,
    }).ToList();

    /// <summary>GET /api/machines/{name}/connections?since=&amp;until= (default: the last 24 hours).</summary>
    private async Task Connections(HttpContext http, string name)
    {
        if (ctx.Fleet.Find(name) is not { } entry)
        {
            await NotFound(http, name).ConfigureAwait(false);
            return;
        }
        if (await Range(http, TimeSpan.FromDays(1)).ConfigureAwait(false) is not var (since, until)) return;
        await Json(http, 200, ctx.Store.LoadConnections(entry.Id, entry.Name, since, until), SentinelJsonContext.Default.ConnectionHistory).ConfigureAwait(false);
    }

    /// <summary>GET /api/fleet/history?since=&amp;until=&amp;step= (default: the last 10 minutes, about 300 steps, never finer than 1 s).</summary>
    private async Task History(HttpContext http)
    {
        if (await Range(http, TimeSpan.FromMinutes(10)).ConfigureAwait(false) is not var (since, until)) return;
        var step = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((until - since).TotalSeconds / 300)));
        if (http.Request.Query.GetValueOrDefault("step") is { } stepText && !TryDuration(stepText, out step))
        {
            await Error(http, 400, "bad-parameter", $"step: '{stepText}' is not a duration (seconds, or ISO-8601 like PT1M)").ConfigureAwait(false);
            return;
        }
        if ((until - since) / step > 10_000)
        {
            await Error(http, 400, "bad-parameter", "step is too small for this range: at most 10000 steps").ConfigureAwait(false);
            return;
        }
        var ids = ctx.Fleet.Ids();
        var (start, stepMs, buckets, byMachine) = ctx.Store.FleetHistory(ids.Select(x => x.Id).ToList(), since, until, step);
        await Json(http, 200, HistoryView(ids.Select(x => (x.Name, x.Id)), since, until, start, stepMs, buckets, byMachine),
            SentinelJsonContext.Default.FleetHistory).ConfigureAwait(false);
    }

    /// <summary>
    /// The answer of GET /api/fleet/history from the store's arrays: percentages to 0.01 and rates to whole bytes a second.
    /// The answer is every machine's 5 figures × about 300 buckets, so its size is set by how each number is written: a
    /// double in full takes up to 17 characters, far finer than a one-second CPU or network reading is.
    /// </summary>
    internal static FleetHistory HistoryView(IEnumerable<(string Name, long Id)> ids, DateTimeOffset since, DateTimeOffset until,
        long startMs, long stepMs, int buckets, IReadOnlyDictionary<long, double?[][]> byMachine)
    {
        static double?[] Round(double?[] values, int digits)
        {
            var rounded = new double?[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] is { } v) rounded[i] = Math.Round(v, digits, MidpointRounding.AwayFromZero);
            }
            return rounded;
        }
        var machines = new List<FleetHistoryMachine>();
        foreach (var (name, id) in ids)
        {
            if (!byMachine.TryGetValue(id, out var a)) continue;
            machines.Add(new FleetHistoryMachine
            {
                Name = name, CpuPercent = Round(a[0], 2), MemoryUsedPercent = Round(a[1], 2), GpuUtilizationPercent = Round(a[2], 2),
                NetworkReceiveBytesPerSecond = Round(a[3], 0), NetworkTransmitBytesPerSecond = Round(a[4], 0),
            });
        }
        return new FleetHistory
        {
            Since = since, Until = until, StepSeconds = stepMs / 1000.0, Start = DateTimeOffset.FromUnixTimeMilliseconds(startMs),
            Buckets = buckets, Machines = machines,
        };
    }

    /// <summary>since/until from the query (until defaults to now, since to <paramref name="span"/> before it), or null after answering 400.</summary>
    private async Task<(DateTimeOffset Since, DateTimeOffset Until)?> Range(HttpContext http, TimeSpan span)
    {
        var q = http.Request.Query;
        if (!TryTime(q.GetValueOrDefault("until"), ctx.Time.GetUtcNow(), out var until))
        {
            await Error(http, 400, "bad-parameter", $"until: '{q["until"]}' is not an ISO-8601 time (e.g. 2026-11-24T10:00:00Z)").ConfigureAwait(false);
            return null;
        }
        if (!TryTime(q.GetValueOrDefault("since"), until - span, out var since))
        {
            await Error(http, 400, "bad-parameter", $"since: '{q["since"]}' is not an ISO-8601 time (e.g. 2026-11-24T09:00:00Z)").ConfigureAwait(false);
            return null;
        }
        if (since >= until)
        {
            await Error(http, 400, "bad-parameter", "since must be before until").ConfigureAwait(false);
            return null;
        }
        return (since, until);
    }

    private async Task Metrics(HttpContext http, string name)
    {
        if (ctx.Fleet.Find(name) is not { } entry)
        {
            await NotFound(http, name).ConfigureAwait(false);
            return;
        }
        var q = http.Request.Query;
        var now = ctx.Time.GetUtcNow();
        if (!TryTime(q.GetValueOrDefault("until"), now, out var until))
        {
            await Error(http, 400, "bad-parameter", $"until: '{q["until"]}' is not an ISO-8601 time (e.g. 2026-11-24T10:00:00Z)").ConfigureAwait(false);
            return;
        }
        if (!TryTime(q.GetValueOrDefault("since"), until - TimeSpan.FromHours(1), out var since))
        {
            await Error(http, 400, "bad-parameter", $"since: '{q["since"]}' is not an ISO-8601 time (e.g. 2026-11-24T09:00:00Z)").ConfigureAwait(false);
            return;
        }
        if (since >= until)
        {
            await Error(http, 400, "bad-parameter", "since must be before until").ConfigureAwait(false);
            return;
        }
        // Default step: about 500 points over the range, never finer than the machine's interval.
        var step = TimeSpan.FromSeconds(Math.Max(entry.IntervalSeconds, Math.Ceiling((until - since).TotalSeconds / 500)));
        if (q.GetValueOrDefault("step") is { } stepText && !TryDuration(stepText, out step))
        {
            await Error(http, 400, "bad-parameter", $"step: '{stepText}' is not a duration (seconds, or ISO-8601 like PT1M)").ConfigureAwait(false);
            return;
        }
        if ((until - since) / step > 100_000)
        {
            await Error(http, 400, "bad-parameter", "step is too small for this range: at most 100000 points").ConfigureAwait(false);
            return;
        }
        var series = ctx.Store.Query(entry.Id, entry.Name, since, until, step);
        await Json(http, 200, series, SentinelJsonContext.Default.MetricSeries).ConfigureAwait(false);
    }

    private static bool TryTime(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }
        // An offset typed unencoded ("...T10:00:00+01:00") arrives with its '+' decoded to a space.
        var offsetAsSpace = System.Text.RegularExpressions.Regex.Match(text, @"^(.*T.*\d) (\d\d(:?\d\d)?)$");
        if (offsetAsSpace.Success)
        {
            text = offsetAsSpace.Groups[1].Value + "+" + offsetAsSpace.Groups[2].Value;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    internal static bool TryDuration(string text, out TimeSpan value)
    {
        value = default;
        if (double.TryParse(text.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        try
        {
            value = XmlConvert.ToTimeSpan(text);
            return value > TimeSpan.Zero;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// DELETE /api/machines/{name}: forgets an offline machine and its history (samples, roll-ups, boots, connections);
    /// benchmark results, alerts (its open ones resolve) and the audit log name machines by name and stay. Audited.
    /// </summary>
    private async Task DeleteMachine(HttpContext http, Auth.Principal who, string name, CancellationToken ct)
    {
        var (outcome, stored) = ctx.Fleet.TryRemove(name, ctx.Store.TryForget);
        switch (outcome)
        {
            case FleetState.Removal.NotFound:
                await NotFound(http, name).ConfigureAwait(false);
                return;
            case FleetState.Removal.Online:
                await Error(http, 409, "machine-online",
                    $"machine '{name}' is online (its agent is connected): stop its agent first (Stop-SentinelAgent, or end the job that runs it), then remove it once it shows offline").ConfigureAwait(false);
                return;
            case FleetState.Removal.QueueFull:
                await Error(http, 503, "store-busy", "the master's write queue is full; try again in a moment").ConfigureAwait(false);
                return;
        }
        var remote = http.Request.RemoteEndPoint?.ToString();
        try
        {
            await stored!.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Gone from the fleet, but its rows may still be on disk (the store gave up): the next start lists it again.
            ctx.Commands.Audit.Add(who, remote, "machine-delete", null, [name], "DELETE /api/machines/" + name, "failed", e.Message, []);
            await Error(http, 500, "store-failed", $"machine '{name}' could not be removed from the database: {e.Message}").ConfigureAwait(false);
            return;
        }
        ctx.Commands.Audit.Add(who, remote, "machine-delete", null, [name], "DELETE /api/machines/" + name, "accepted",
            "its samples, roll-ups and connection history were deleted; benchmark results kept", []);
        ctx.Log($"machine '{name}' removed by {who.Name}");
        await http.RespondAsync(204, "text/plain", ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
    }

    private Task NotFound(HttpContext http, string name)
        => Error(http, 404, "machine-not-found", $"no machine named '{name}'");

    internal static Task Error(HttpContext http, int status, string code, string message, IReadOnlyDictionary<string, string>? headers = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Protocol.ErrorMessage { Code = code, Message = message }, SentinelJsonContext.Default.ErrorMessage);
        var wrapped = new byte[body.Length + 10];
        Encoding.ASCII.GetBytes("{\"error\":").CopyTo(wrapped, 0);
        body.CopyTo(wrapped, 9);
        wrapped[^1] = (byte)'}';
        return http.RespondAsync(status, "application/json; charset=utf-8", wrapped, headers);
    }

    private static Task Json<T>(HttpContext http, int status, T value, JsonTypeInfo<T> info)
        => Write(http, status, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(value, info));

    private static Task Write(HttpContext http, int status, string contentType, byte[] body)
        => Respond(http, status, contentType, body);
}
