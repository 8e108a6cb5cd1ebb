using System.Net;
using System.Net.WebSockets;
using Sentinel.Agent;
using Sentinel.Json;
using Sentinel.Master.Http;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>The agent against a master that misbehaves on purpose (a real socket, a hand-written master).</summary>
public class AgentAckTests
{
    [Fact]
    public async Task Samples_a_master_never_acks_are_sent_again_after_the_ack_timeout_even_while_new_ones_flow()
    {
        var firstSeqOfEachBatch = new List<long>();
        var seen = new HashSet<long>();
        long firstRepeat = 0;
        async Task Swallow(HttpContext c, CancellationToken ct)
        {
            using var ws = await c.AcceptWebSocketAsync(TimeSpan.FromSeconds(30), ct);
            var reader = new WebSocketReader(ws, 1 << 20);
            bool acked = false;
            while (await reader.ReceiveAsync(ct) == FrameKind.Text)
            {
                var env = Frames.Read(reader.Message.Span);
                if (env.Type == MessageTypes.Hello)
                {
                    var hello = env.Read(SentinelJsonContext.Default.Hello, "x");
                    await ws.SendAsync(Frames.Write(MessageTypes.Welcome, new Welcome { Name = hello.Name, MasterVersion = "swallow" }, SentinelJsonContext.Default.Welcome),
                        WebSocketMessageType.Text, true, ct);
                    continue;
                }
                var batch = env.Read(SentinelJsonContext.Default.SampleBatch, "x");
                lock (seen)
                {
                    firstSeqOfEachBatch.Add(batch.Samples[0].Seq);
                    foreach (var s in batch.Samples)
                    {
                        if (!seen.Add(s.Seq) && firstRepeat == 0) firstRepeat = s.Seq;
                    }
                }
                if (!acked && seen.Contains(3))
                {
                    acked = true; // one ack, for 1..3, then silence
                    await ws.SendAsync(Frames.Write(MessageTypes.Ack, new Ack { Seq = 3 }, SentinelJsonContext.Default.Ack), WebSocketMessageType.Text, true, ct);
                }
            }
        }
        await using var server = HttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Swallow);
        await using var agent = new SentinelAgent(new AgentOptions
        {
            Master = new Uri($"http://127.0.0.1:{server.LocalEndPoint.Port}/"), Name = "unacked", HostId = "h",
            Interval = TimeSpan.FromMilliseconds(100), AckTimeout = TimeSpan.FromSeconds(2), // 2 s: room for the one ack to arrive on a loaded machine
        }, new FakeSource());
        agent.Start();
        await Wait.Until(() => { lock (seen) return firstRepeat != 0; }, TimeSpan.FromSeconds(20), "a sample is sent a second time");
        lock (seen)
        {
            Assert.Equal(4, firstRepeat); // resent from just after the ack, not from the start
            Assert.True(seen.Count >= 10, $"new samples kept flowing before the resend ({seen.Count} seen)");
        }
        Assert.Equal(3, agent.Status.AckedSeq);
        Assert.Equal(1, agent.Status.Connects); // a resend on the same connection, not a reconnect
    }
}
