using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sentinel.Collectors;
using Sentinel.Json;
using Sentinel.Master;
using Sentinel.Protocol;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Sentinel.Master.Tests;

/// <summary>Synthetic samples (an agent's edge): real agents and a real master, without each one reading /proc.</summary>
internal sealed class FakeSource(string host = "sim-host") : ISampleSource
{
    private int _n;
    public Inventory Inventory { get; } = new() { HostName = host, CpuModel = "Sim CPU", Cores = 4, Threads = 8, Sockets = 1, NumaNodes = 1, MemoryTotalBytes = 16L << 30 };

    public MachineSample? Next()
    {
        int n = Interlocked.Increment(ref _n);
        return new MachineSample
        {
            Timestamp = DateTimeOffset.UtcNow,
            IntervalSeconds = 1,
            Cpu = new CpuSample { CpuPercent = n % 100, UserPercent = n % 100, IdlePercent = 100 - n % 100 },
            Memory = new MemorySample { TotalBytes = 16L << 30, UsedBytes = 8L << 30, AvailableBytes = 8L << 30, UsedPercent = 50 },
        };
    }
}

/// <summary>Synthetic samples whose CPU figure the test sets: for alert rules on a real agent.</summary>
internal sealed class DialSource(string host, double cpu) : ISampleSource
{
    private double _cpu = cpu;
    public Inventory Inventory { get; } = new() { HostName = host, CpuModel = "Sim CPU", Cores = 4, Threads = 4, Sockets = 1, NumaNodes = 1, MemoryTotalBytes = 16L << 30 };

    public double Cpu
    {
        get => Volatile.Read(ref _cpu);
        set => Volatile.Write(ref _cpu, value);
    }

    public MachineSample? Next() => new()
    {
        Timestamp = DateTimeOffset.UtcNow,
        IntervalSeconds = 1,
        Cpu = new CpuSample { CpuPercent = Cpu, UserPercent = Cpu, IdlePercent = 100 - Cpu },
        Memory = new MemorySample { TotalBytes = 16L << 30, UsedBytes = 8L << 30, AvailableBytes = 8L << 30, UsedPercent = 50 },
    };
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sentinel-test-").FullName;
    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}

internal static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails the test with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting until {what}");
    }

    public static Task Until(Func<bool> condition, TimeSpan timeout, string what) => Until(() => Task.FromResult(condition()), timeout, what);

    /// <summary>As above, with a message made at the failure (say, the log as it is then).</summary>
    public static async Task Until(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting until {what()}");
    }
}

internal static class Api
{
    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<List<Machine>> Machines(Uri master)
        => (await Http.GetFromJsonAsync(new Uri(master, "api/machines"), SentinelJsonContext.Default.ListMachine))!;

    public static async Task<Machine?> Machine(Uri master, string name)
        => (await Machines(master)).SingleOrDefault(m => m.Name == name);

    public static async Task<MasterStatus> Status(Uri master)
        => (await Http.GetFromJsonAsync(new Uri(master, "api/status"), SentinelJsonContext.Default.MasterStatus))!;

    public static Task<HttpResponseMessage> Get(Uri master, string path) => Http.GetAsync(new Uri(master, path));

    public static Task<HttpResponseMessage> Post(Uri master, string path, string json)
        => Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(master, path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
            Headers = { { "X-Sentinel-Request", "1" } }, // what a master asks of requests that change something
        });

    /// <summary>POST /api/jobs, expecting 201.</summary>
    public static async Task<BenchmarkJob> StartJob(Uri master, string json)
    {
        var r = await Post(master, "api/jobs", json);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == System.Net.HttpStatusCode.Created, $"POST /api/jobs: {(int)r.StatusCode} {body}");
        return JsonSerializer.Deserialize(body, SentinelJsonContext.Default.BenchmarkJob)!;
    }

    public static async Task<BenchmarkJob> Job(Uri master, string id)
        => (await Http.GetFromJsonAsync(new Uri(master, "api/jobs/" + id), SentinelJsonContext.Default.BenchmarkJob))!;

    /// <summary>Polls the job until it has ended (not queued or running).</summary>
    public static async Task<BenchmarkJob> WaitJob(Uri master, string id, TimeSpan timeout)
    {
        BenchmarkJob job = null!;
        await Wait.Until(async () => (job = await Job(master, id)).State is not (BenchmarkState.Queued or BenchmarkState.Running), timeout, $"job {id} ends");
        return job;
    }
}

/// <summary>A hand-driven WebSocket peer, for sending exactly the frames a test wants (good or hostile).</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    public ClientWebSocket Socket { get; } = new();
    private readonly WebSocketReader _reader;

    private RawPeer() => _reader = new WebSocketReader(Socket, 8 << 20);

    public static async Task<RawPeer> ConnectAsync(Uri master, string path = "ws/agent")
    {
        var peer = new RawPeer();
        var b = new UriBuilder(master) { Scheme = "ws", Path = path };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await peer.Socket.ConnectAsync(b.Uri, cts.Token);
        return peer;
    }

    public static Hello HelloFor(string name, string host = "host-a", string? token = null, double interval = 1, bool benchmarks = false, bool commands = false) => new()
    {
        Name = name, Token = token, BootId = Guid.NewGuid().ToString("N"), HostId = host, AgentVersion = "test",
        IntervalSeconds = interval, Inventory = new Inventory { HostName = host },
        Capabilities = [.. benchmarks ? [Capabilities.Benchmarks] : Array.Empty<string>(), .. commands ? [Capabilities.Commands] : Array.Empty<string>()],
    };

    public Task SendText(string text) => Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Timeout());

    public Task Send(byte[] frame) => Socket.SendAsync(frame, WebSocketMessageType.Text, true, Timeout());

    public Task SendHello(Hello hello) => Send(Frames.Write(MessageTypes.Hello, hello, SentinelJsonContext.Default.Hello));

    public Task SendSamples(params long[] seqs) => Send(Frames.Write(MessageTypes.Samples, new SampleBatch
    {
        Samples = seqs.Select(s => new SequencedSample { Seq = s, Sample = new FakeSource().Next()! }).ToList(),
    }, SentinelJsonContext.Default.SampleBatch));

    /// <summary>The next frame's envelope, or null when the master closed the connection.</summary>
    public async Task<Envelope?> Receive(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var kind = await _reader.ReceiveAsync(cts.Token);
        return kind == FrameKind.Text ? Frames.Read(_reader.Message.Span) : null;
    }

    /// <summary>Receives until a frame of <paramref name="type"/> (skipping others), or null on close.</summary>
    public async Task<Envelope?> ReceiveType(string type, TimeSpan? timeout = null)
    {
        while (true)
        {
            var env = await Receive(timeout);
            if (env is null || env.Value.Type == type) return env;
        }
    }

    public async Task<ErrorMessage> ExpectError(string code)
    {
        var env = await ReceiveType(MessageTypes.Error);
        Assert.True(env is not null, $"expected an error frame '{code}', but the connection closed ({Socket.CloseStatus} {Socket.CloseStatusDescription})");
        var error = env!.Value.Read(SentinelJsonContext.Default.ErrorMessage, "x");
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    public async Task ExpectClose(WebSocketCloseStatus status)
    {
        while (await Receive() is not null) { }
        Assert.Equal(status, Socket.CloseStatus);
    }

    public async Task<long> ExpectAck(long atLeast)
    {
        while (true)
        {
            var env = await ReceiveType(MessageTypes.Ack);
            Assert.True(env is not null, "the connection closed while waiting for an ack");
            var seq = env!.Value.Read(SentinelJsonContext.Default.Ack, "x").Seq;
            if (seq >= atLeast) return seq;
        }
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        Socket.Dispose();
    }
}

/// <summary>A real master on loopback, in a folder of its own, for each test of a class that derives from this.</summary>
public abstract class MasterPerTest : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    protected MasterServer _master = null!;

    public Task InitializeAsync()
    {
        _master = Masters.Start(_dir.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _master.DisposeAsync();
        _dir.Dispose();
    }
}

internal static class Masters
{
    public static MasterServer Start(string data, string? token = null, int port = 0)
        => MasterServer.Start(new MasterOptions { Port = port, DataPath = data, AgentToken = token });
}

/// <summary>The `sentinel` program started as users start it (optionally through a wrapper such as `ip netns exec NS`).</summary>
internal sealed class SentinelProcess : IDisposable
{
    private readonly System.Diagnostics.Process _p;
    private readonly List<string> _lines = [];

    public SentinelProcess(string[] args, string[]? wrapper = null)
    {
        var program = Testing.SentinelProgram.Path;
        var psi = new System.Diagnostics.ProcessStartInfo(wrapper is { Length: > 0 } ? wrapper[0] : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (wrapper is { Length: > 0 })
        {
            foreach (var w in wrapper.Skip(1)) psi.ArgumentList.Add(w);
            psi.ArgumentList.Add(program);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        _p = System.Diagnostics.Process.Start(psi)!;
        Pid = _p.Id;
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add(e.Data); };
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add("ERR " + e.Data); };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    public int Pid { get; }
    public bool HasExited => _p.HasExited;
    public string Output { get { lock (_lines) return string.Join("\n", _lines); } }
    public void Signal(string signal) => System.Diagnostics.Process.Start("kill", ["-" + signal, Pid.ToString()])!.WaitForExit();

    public int WaitExit(TimeSpan timeout)
    {
        Assert.True(_p.WaitForExit(timeout), $"sentinel did not exit within {timeout.TotalSeconds} s:\n{Output}");
        _p.WaitForExit();
        return _p.ExitCode;
    }

    /// <summary>Resident memory, from /proc.</summary>
    public long RssBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    /// <summary>Open file descriptors (sockets, the database, its WAL), from /proc.</summary>
    public int OpenFiles => Directory.GetFileSystemEntries($"/proc/{Pid}/fd").Length;

    public void Dispose()
    {
        if (!_p.HasExited) _p.Kill(true);
        _p.Dispose();
    }
}
