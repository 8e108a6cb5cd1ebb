using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Sentinel.Master.Storage;

namespace Sentinel.Master;

/// <summary>The master could not start; the message says why and what to change.</summary>
public sealed class MasterStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A Sentinel master: agents on /ws/agent, viewers on /ws, the REST API under /api, all on one
/// HttpListener. Shaped Start → StopAsync → DisposeAsync.
/// </summary>
public sealed class MasterServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly MasterContext _ctx;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Api _api;
    private Task? _accept;
    private int _stopped;

    /// <summary>The URL agents and viewers use, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Url { get; }

    /// <summary>Where the database lives.</summary>
    public string DataPath => _ctx.Options.DataPath;

    public MasterOptions Options => _ctx.Options;

    private MasterServer(MasterOptions options, TimeProvider time, HttpListener listener, Uri url, SampleStore store)
    {
        _listener = listener;
        Url = url;
        var fleet = new FleetState(time, options.OfflineAfterIntervals, store.LoadMachines());
        MasterContext? ctx = null;
        var hub = new ViewerHub(() => ctx!, time, options.ViewerTick);
        ctx = new MasterContext
        {
            Options = options, Time = time, Store = store, Fleet = fleet, Viewers = hub,
            Version = VersionOf(typeof(MasterServer).Assembly), Source = url.ToString().TrimEnd('/'), StartedAt = time.GetUtcNow(),
        };
        _ctx = ctx;
        _api = new Api(ctx);
    }

    /// <summary>Binds, opens the store and starts serving. Throws <see cref="MasterStartException"/> naming the problem.</summary>
    public static MasterServer Start(MasterOptions options, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        int port = options.Port == 0 ? FreePort(options.Address) : options.Port;
        var host = options.Address.Equals(IPAddress.Any) ? "+" : options.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{options.Address}]" : options.Address.ToString();
        var shown = options.Address.Equals(IPAddress.Any) ? "0.0.0.0" : options.Address.ToString();
        var listener = new HttpListener { IgnoreWriteExceptions = true };
        listener.Prefixes.Add($"http://{host}:{port}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            listener.Close();
            throw new MasterStartException($"Cannot listen on {shown}:{port}: {e.Message}. Is another master or program using port {port}? Choose another with -Port / --listen.", e);
        }
        SampleStore store;
        try
        {
            store = SampleStore.Open(options.DataPath, options.Store, time, options.Log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            listener.Close();
            throw new MasterStartException($"Cannot open the data folder '{options.DataPath}': {e.Message}", e);
        }
        var urlHost = options.Address.Equals(IPAddress.Any) ? "127.0.0.1" : host;
        var server = new MasterServer(options with { Port = port }, time, listener, new Uri($"http://{urlHost}:{port}/"), store);
        server._accept = Task.Run(server.AcceptLoop);
        options.Log?.Invoke($"master {server._ctx.Version} listening on {shown}:{port}, data in {store.DatabasePath}");
        return server;
    }

    /// <summary>Health and counters.</summary>
    public MasterStatus GetStatus() => _api.Status();

    /// <summary>Machines and their latest samples, as /api/machines.</summary>
    public List<Machine> GetMachines() => _ctx.Fleet.Snapshot(_ctx.Source);

    internal MasterContext Context => _ctx;

    private async Task AcceptLoop()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }
            var task = Task.Run(() => HandleAsync(context));
            _inFlight.TryAdd(task, 0);
            _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var path = context.Request.Url?.AbsolutePath ?? "/";
        try
        {
            if (context.Request.IsWebSocketRequest && (path == "/ws/agent" || path == "/ws"))
            {
                var ws = await context.AcceptWebSocketAsync(null, 16 * 1024, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                var remote = context.Request.RemoteEndPoint?.ToString() ?? "?";
                if (path == "/ws/agent")
                {
                    await new AgentConnection(ws.WebSocket, remote, _ctx).RunAsync(_stopping.Token).ConfigureAwait(false);
                }
                else
                {
                    await _ctx.Viewers.RunViewerAsync(ws.WebSocket, _stopping.Token).ConfigureAwait(false);
                }
                return;
            }
            await _api.HandleAsync(context, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            _ctx.Log($"error serving {path}: {e}");
            try
            {
                context.Response.StatusCode = 500;
                context.Response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or InvalidOperationException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Stops accepting, closes every connection, and flushes the store.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        _stopping.Cancel();
        _listener.Stop();
        _listener.Close();
        if (_accept is not null)
        {
            await _accept.ConfigureAwait(false);
        }
        await Task.WhenAny(Task.WhenAll(_inFlight.Keys), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        await _ctx.Viewers.DisposeAsync().ConfigureAwait(false);
        await _ctx.Store.DisposeAsync().ConfigureAwait(false);
        _ctx.Log("master stopped");
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static int FreePort(IPAddress address)
    {
        using var probe = new TcpListener(address.Equals(IPAddress.Any) ? IPAddress.Loopback : address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    internal static string VersionOf(Assembly assembly)
    {
        var v = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "0";
        var plus = v.IndexOf('+');
        return plus >= 0 ? v[..plus] : v;
    }
}
