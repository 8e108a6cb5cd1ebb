using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Sentinel.Agent;
using Sentinel.Collectors;

namespace Sentinel.Master.Tests;

/// <summary>A viewer that reads nothing: its queue stays bounded, it is closed after the send timeout, and the other viewer and ingestion go on.</summary>
[Collection(FaultCollection.Name)]
public class SlowViewerTests
{
    /// <summary>Samples of a 1024-core machine (about 100 KB of JSON each), so viewers' updates are big with few agents.</summary>
    private sealed class WideSource(string host) : ISampleSource
    {
        private int _n;
        public Inventory Inventory { get; } = new() { HostName = host, CpuModel = "Wide CPU", Cores = 1024, Threads = 1024 };

        public MachineSample? Next()
        {
            int n = Interlocked.Increment(ref _n);
            return new MachineSample
            {
                Timestamp = DateTimeOffset.UtcNow, IntervalSeconds = 0.1,
                Cpu = new CpuSample { CpuPercent = n % 100, Cores = Enumerable.Range(0, 1024).Select(i => new CoreSample { Core = i, CpuPercent = (n + i) % 100, UserPercent = 1, IdlePercent = 2 }).ToList() },
                Memory = new MemorySample { TotalBytes = 1L << 34, UsedBytes = 1L << 33, UsedPercent = 50 },
            };
        }
    }

    [Fact]
    public async Task A_viewer_that_reads_nothing_is_closed_and_nobody_else_waits_for_it()
    {
        using var dir = new TempDir();
        int port = Testing.SentinelProgram.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        // The master as deployed, in a process of its own: what is measured is its behaviour, not this test host's thread pool.
        using var master = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path, "--viewer-timeout", "2s"]);
        await Wait.Until(async () => { try { return (await Api.Get(url, "api/status")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; } },
            TimeSpan.FromSeconds(20), "the master answers");
        // Few agents with big samples (about 4 MB/s to each viewer).
        var agents = Enumerable.Range(0, 4).Select(i => new SentinelAgent(new AgentOptions
        {
            Master = url, Name = $"wide{i:D2}", HostId = $"h{i}", Interval = TimeSpan.FromMilliseconds(100),
        }, new WideSource($"wide{i:D2}"))).ToList();
        try
        {
            foreach (var a in agents) a.Start();

            // The stalled viewer: a WebSocket handshake with a tiny receive window, then it never reads again.
            using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await stalled.ConnectAsync(System.Net.IPAddress.Loopback, port);
            await stalled.SendAsync(Encoding.ASCII.GetBytes(
                $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));

            // A good viewer that reads everything.
            using var good = new ClientWebSocket();
            await good.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), CancellationToken.None);
            long goodFrames = 0;
            var buffer = new byte[1 << 20];
            using var stop = new CancellationTokenSource();
            var reading = Task.Run(async () =>
            {
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var r = await good.ReceiveAsync(buffer, stop.Token);
                        if (r.EndOfMessage) Interlocked.Increment(ref goodFrames);
                        if (r.MessageType == WebSocketMessageType.Close) return;
                    }
                }
                catch (OperationCanceledException) { }
            });

            await Wait.Until(() => master.Output.Contains("viewer closed: it read nothing", StringComparison.Ordinal), TimeSpan.FromSeconds(60),
                "the master closes the viewer that reads nothing");
            await Wait.Until(async () => (await Api.Status(url)).Viewers == 1, TimeSpan.FromSeconds(10), "only the good viewer is left");

            // After the cut, the good viewer and the store carry on.
            long framesBefore = Interlocked.Read(ref goodFrames);
            long storedBefore = (await Api.Status(url)).SamplesStored;
            await Wait.Until(async () => Interlocked.Read(ref goodFrames) > framesBefore + 10 && (await Api.Status(url)).SamplesStored > storedBefore + 100,
                TimeSpan.FromSeconds(20), "the good viewer gets updates and samples are stored after the stalled one is gone");
            Assert.Equal(WebSocketState.Open, good.State);
            stop.Cancel();
            await reading;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var agentStates = string.Join(", ", agents.Select(a => $"{a.Status.Name} connected={a.Status.Connected} taken={a.Status.SamplesTaken} acked={a.Status.AckedSeq} error={a.Status.LastError}"));
            throw new Xunit.Sdk.XunitException($"{e.Message}\nagents: {agentStates}\n--- master ---\n{string.Join("\n", master.Output.Split('\n').TakeLast(30))}");
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
        }
    }
}
