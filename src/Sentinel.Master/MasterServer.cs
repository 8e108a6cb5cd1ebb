using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Sentinel.Master.Http;
using Sentinel.Master.Storage;

namespace Sentinel.Master;

/// <summary>The master could not start; the message says why and what to change.</summary>
public sealed class MasterStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A Sentinel master: agents on /ws/agent, viewers on /ws, the REST API under /api, all on one
/// port served by <see cref="HttpServer"/>. Shaped Start → StopAsync → DisposeAsync.
/// </summary>
public sealed class MasterServer : IAsyncDisposable
{
    private HttpServer? _http;
    private readonly MasterContext _ctx;
    private readonly Api _api;
    private readonly NetTestEndpoint _net;
    private int _stopped;

    /// <summary>The URL agents and viewers use, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Url { get; }

    /// <summary>Where the database lives.</summary>
    public string DataPath => _ctx.Options.DataPath;

    public MasterOptions Options => _ctx.Options;

    private MasterServer(MasterOptions options, TimeProvider time, Uri url, SampleStore store)
    {
        Url = url;
        var fleet = new FleetState(time, options.OfflineAfterIntervals, store.LoadMachines());
        store.MachinesForgotten = fleet.Forgotten;
        store.MachineInUse = fleet.InUse;
        // Users and tokens first: a first start hashes a new admin password (slow on purpose), before any timer runs.
        var auth = Auth.AuthService.Open(store, options, time, line => options.Log?.Invoke(line));
        MasterContext? ctx = null;
        var hub = new ViewerHub(() => ctx, time, options.ViewerTick);
        ctx = new MasterContext
        {
            Options = options, Time = time, Store = store, Fleet = fleet, Viewers = hub, Auth = auth,
            Version = VersionOf(typeof(MasterServer).Assembly), Source = url.ToString().TrimEnd('/'), StartedAt = time.GetUtcNow(),
        };
        var audit = new Storage.AuditLog(store.DatabasePath, time, ctx.Log);
        audit.CloseDangling();
        ctx.Commands = new Commands.CommandManager(fleet, audit, time, ctx.Log);
        ctx.Jobs = new Jobs.JobManager(fleet, store, time, ctx.Log) { Audit = audit };
        ctx.AlertActions = new Alerts.AlertActions(options, ctx.Source, ctx.Log);
        ctx.Alerts = new Alerts.AlertEngine(time, options.AlertHoldOff, store, options.AllowAlertCommands, ctx.AlertActions.Notify);
        _ctx = ctx;
        _api = new Api(ctx);
        _net = new NetTestEndpoint(ctx);
    }

    /// <summary>Binds, opens the store and starts serving. Throws <see cref="MasterStartException"/> naming the problem.</summary>
    public static MasterServer Start(MasterOptions options, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        bool anyAddress = options.Address.Equals(IPAddress.Any) || options.Address.Equals(IPAddress.IPv6Any);
        var shown = options.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{options.Address}]" : options.Address.ToString();

        // Bind first: a port in use must not leave a new, empty database behind. Accept only once ready: agents that
        // dial a restarting master are refused until then and retry with jitter, rather than queueing in the backlog
        // and all being served in the same instant.
        var ready = new TaskCompletionSource<MasterServer>(TaskCreationOptions.RunContinuationsAsynchronously);
        HttpServer http;
        try
        {
            http = HttpServer.Bind(new IPEndPoint(options.Address, options.Port), async (c, ct) => await (await ready.Task.ConfigureAwait(false)).HandleAsync(c, ct).ConfigureAwait(false),
                new HttpServerOptions { Certificate = options.Certificate }, log: options.Log);
        }
        catch (SocketException e)
        {
            var why = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"port {options.Port} is in use (another master, or another program); choose another port",
                SocketError.AccessDenied => $"not allowed to listen on port {options.Port} (ports below 1024 need privileges); choose a port from 1024 up",
                SocketError.AddressNotAvailable => $"{shown} is not an address of this machine",
                _ => e.Message,
            };
            throw new MasterStartException($"Cannot listen on {shown}:{options.Port}: {why}.", e);
        }
        SampleStore store;
        try
        {
            store = SampleStore.Open(options.DataPath, options.Store, time, options.Log);
        }
        catch (Exception e)
        {
            ready.TrySetCanceled();
            http.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw e switch
            {
                IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
                    => new MasterStartException($"Cannot open the data folder '{options.DataPath}': {e.Message}", e),
                DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
                    => new MasterStartException($"Cannot load SQLite's native library (e_sqlite3): {e.GetBaseException().Message}. " +
                        "It ships next to the sentinel program as libe_sqlite3.so (or in the module's runtimes folder); copy it along with the program.", e),
                _ => e,
            };
        }
        int port = http.LocalEndPoint.Port;
        // Url is what this machine itself connects to; on a wildcard address that is loopback.
        var scheme = options.Certificate is null ? "http" : "https";
        var urlHost = anyAddress ? "127.0.0.1"
            : options.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{options.Address}]" : options.Address.ToString();
        var server = new MasterServer(options with { Port = port }, time, new Uri($"{scheme}://{urlHost}:{port}/"), store) { _http = http };
        ready.SetResult(server);
        http.Listen();
        var reach = anyAddress ? $" (agents elsewhere: --master {scheme}://{Dns.GetHostName()}:{port})" : "";
        options.Log?.Invoke($"master {server._ctx.Version} listening on {shown}:{port}{reach}, data in {store.DatabasePath}; live page at {server.Url}");
        return server;
    }

    /// <summary>Health and counters.</summary>
    public MasterStatus GetStatus() => _api.Status();

    /// <summary>Machines and their latest samples, as /api/machines.</summary>
    public List<Machine> GetMachines() => _ctx.Fleet.Snapshot(_ctx.Source);

    internal MasterContext Context => _ctx;

    private async Task HandleAsync(HttpContext context, CancellationToken ct)
    {
        var path = context.Request.Path;
        try
        {
            if (await Gate(context).ConfigureAwait(false) is not { } who)
            {
                if (context.Request.Method == "POST" && path.TrimEnd('/') == "/api/commands")
                {
                    // Refused before the API saw it (no login, the wrong role, no CSRF header): still audited.
                    var caller = _ctx.Auth.Authenticate(context.Request);
                    _ctx.Commands.Refused(caller, context.Request.RemoteEndPoint?.ToString(), context.Request.Body,
                        caller.Role == Auth.Role.None ? "not signed in"
                        : caller.Role < Auth.Role.Admin ? $"commands need the admin role; {caller.Name} is {Auth.RoleNames.Of(caller.Role)}"
                        : "refused by the master's request checks (host, origin or the CSRF header)");
                }
                return;
            }
            if (context.Request.IsWebSocketRequest && path == "/ws/net")
            {
                await _net.RunAsync(context, ct).ConfigureAwait(false);
                return;
            }
            if (context.Request.IsWebSocketRequest && (path == "/ws/agent" || path == "/ws"))
            {
                var ws = await context.AcceptWebSocketAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
                var remote = context.Request.RemoteEndPoint?.ToString() ?? "?";
                if (path == "/ws/agent")
                {
                    await new AgentConnection(ws, remote, _ctx).RunAsync(ct).ConfigureAwait(false);
                }
                else
                {
                    _ctx.Log($"viewer connected from {remote} ({who.Name})");
                    await _ctx.Viewers.RunViewerAsync(ws, ct).ConfigureAwait(false);
                    _ctx.Log($"viewer from {remote} left");
                }
                return;
            }
            await _api.HandleAsync(context, who, ct).ConfigureAwait(false);
        }
        catch (HttpRefusedException)
        {
            // Already answered (a refused WebSocket handshake).
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            _ctx.Log($"error serving {path}: {e}");
            if (!context.Responded && !context.Upgraded)
            {
                await context.RespondAsync(500, "text/plain; charset=utf-8", "internal error"u8.ToArray(), null, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Who is calling, and whether they may: the route's role (<see cref="Auth.Routes"/>), the host a master running
    /// open answers to (loopback names only, against DNS rebinding), the Origin of WebSockets and of requests that
    /// change state, and the custom header that a cross-site form or script cannot send. Null after answering a refusal.
    /// </summary>
    private async Task<Auth.Principal?> Gate(HttpContext context)
    {
        var req = context.Request;
        var auth = _ctx.Auth;
        bool changes = req.Method is not ("GET" or "HEAD");
        // Agents come in through relays and tunnels under other names; the host rule is for browsers (DNS rebinding).
        bool agentEndpoint = req.IsWebSocketRequest && req.Path is "/ws/agent" or "/ws/net";
        if (!auth.LoginRequired && !agentEndpoint && !IsLoopbackHost(req.Header("Host")))
        {
            await Api.Error(context, 403, "forbidden-host", "this master runs without login, so it answers only to loopback host names (127.0.0.1, localhost, [::1]); " +
                "start it with --require-login, or bind it beyond loopback (which needs a login), to serve other names").ConfigureAwait(false);
            return null;
        }
        if ((req.IsWebSocketRequest || changes) && req.Header("Origin") is { } origin && !SameOrigin(origin, req.Header("Host")))
        {
            await Api.Error(context, 403, "cross-origin", $"requests from {origin} are refused: only this master's own page may use it").ConfigureAwait(false);
            return null;
        }
        var who = auth.Authenticate(req);
        bool bearer = req.Header("Authorization") is { } a && a.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        if (changes && !bearer && req.Header(Auth.AuthService.CsrfHeader) is null)
        {
            await Api.Error(context, 403, "csrf", $"requests that change something need the header {Auth.AuthService.CsrfHeader}: 1 (or an Authorization: Bearer token); " +
                "browsers cannot send it from another site").ConfigureAwait(false);
            return null;
        }
        var parts = req.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var needs = Auth.Routes.Needs(req.Method, parts, req.IsWebSocketRequest, _ctx.Options.MetricsOpen);
        if (who.Role >= needs)
        {
            return who;
        }
        if (who.Role == Auth.Role.None)
        {
            await Api.Error(context, 401, "unauthorized", "sign in first: POST /api/login with {\"user\",\"password\"}, or send Authorization: Bearer TOKEN",
                new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer realm=\"sentinel\"" }).ConfigureAwait(false);
        }
        else
        {
            await Api.Error(context, 403, "forbidden", $"this needs the {Auth.RoleNames.Of(needs)} role; {who.Name} is {Auth.RoleNames.Of(who.Role)}").ConfigureAwait(false);
        }
        return null;
    }

    private static bool IsLoopbackHost(string? host)
    {
        if (string.IsNullOrEmpty(host)) return true; // HTTP/1.0 clients without Host: not a browser
        var name = host.StartsWith('[') ? host[1..Math.Max(1, host.IndexOf(']'))] : host.Split(':')[0];
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static bool SameOrigin(string origin, string? host)
        => host is not null && Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, host, StringComparison.OrdinalIgnoreCase)
           || (host is not null && Uri.TryCreate(origin, UriKind.Absolute, out var o2) && o2.IsDefaultPort && string.Equals(o2.Host, host, StringComparison.OrdinalIgnoreCase));

    /// <summary>Stops accepting, closes every connection, and flushes the store.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        if (_http is not null)
        {
            await _http.StopAsync().ConfigureAwait(false);
        }
        await _ctx.Viewers.DisposeAsync().ConfigureAwait(false);
        await _ctx.AlertActions.DisposeAsync().ConfigureAwait(false);
        await _ctx.Store.DisposeAsync().ConfigureAwait(false);
        _ctx.Log("master stopped");
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    internal static string VersionOf(Assembly assembly)
    {
        var v = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "0";
        var plus = v.IndexOf('+');
        return plus >= 0 ? v[..plus] : v;
    }
}
