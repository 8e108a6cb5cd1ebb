using System.Net.WebSockets;
using System.Text;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>Frames the master must refuse, each with a named error, while it keeps serving everyone else.</summary>
public class ProtocolTests : MasterPerTest
{
    [Theory]
    [InlineData("{\"v\":1,\"type\":\"samples\",\"data\":{\"samples\":[]}}", ErrorCodes.HelloRequired)]
    [InlineData("{\"v\":1,\"type\":\"hel", ErrorCodes.BadJson)]
    [InlineData("[1,2,3]", ErrorCodes.BadEnvelope)]
    [InlineData("{\"type\":\"hello\",\"data\":{}}", ErrorCodes.BadEnvelope)]
    [InlineData("{\"v\":2,\"type\":\"hello\",\"data\":{}}", ErrorCodes.UnsupportedVersion)]
    [InlineData("{\"v\":1,\"type\":\"hello\",\"data\":{\"name\":\"x\"}}", ErrorCodes.BadHello)]
    [InlineData("{\"v\":1,\"type\":\"hello\",\"data\":\"hello\"}", ErrorCodes.BadHello)]
    [InlineData("{\"v\":1,\"v\":1,\"type\":\"hello\",\"data\":{}}", ErrorCodes.BadEnvelope)]
    public async Task A_bad_first_frame_is_named_and_the_connection_closed(string frame, string code)
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendText(frame);
        await peer.ExpectError(code);
        await peer.ExpectClose(WebSocketCloseStatus.PolicyViolation);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("bad\nname", "control characters")]
    [InlineData("nul\0name", "control characters")]
    public async Task Hello_names_are_checked(string name, string problem)
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor(name));
        var error = await peer.ExpectError(ErrorCodes.BadHello);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public async Task After_hello_a_bad_frame_gets_an_error_and_the_connection_stays_useful()
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor("tolerant"));
        await peer.ReceiveType(MessageTypes.Welcome);
        await peer.SendText("{not json");
        await peer.ExpectError(ErrorCodes.BadJson);
        await peer.SendText("{\"v\":1,\"type\":\"frobnicate\",\"data\":{}}");
        Assert.Contains("frobnicate", (await peer.ExpectError(ErrorCodes.UnknownType)).Message);
        await peer.SendText("{\"v\":1,\"type\":\"samples\",\"data\":{\"samples\":[{\"seq\":\"one\"}]}}");
        await peer.ExpectError(ErrorCodes.BadSample);
        await peer.SendSamples(0);
        await peer.ExpectError(ErrorCodes.BadSample);
        await peer.SendSamples(1, 2, 3);
        Assert.Equal(3, await peer.ExpectAck(3));
    }

    [Fact]
    public async Task A_minimal_hello_and_a_sample_with_only_cpu_and_memory_are_accepted_and_listed()
    {
        // What another implementation might send: no tags, capabilities, interval, file systems, disks, network or GPUs.
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendText("""{"v":1,"type":"hello","data":{"name":"minimal","bootId":"b1","hostId":"h1","agentVersion":"other/1","inventory":{"hostName":"minimal"}}}""");
        await peer.ReceiveType(MessageTypes.Welcome);
        await peer.SendText("""{"v":1,"type":"samples","data":{"samples":[{"seq":1,"sample":{"timestamp":"2026-11-24T10:00:00Z","cpu":{"cpuPercent":12.5},"memory":{"totalBytes":100,"usedBytes":40,"usedPercent":40}}}]}}""");
        Assert.Equal(1, await peer.ExpectAck(1));
        var m = await Api.Machine(_master.Url, "minimal");
        Assert.NotNull(m?.Latest);
        Assert.Equal(12.5, m!.Latest!.Cpu.CpuPercent);
        Assert.Empty(m.Latest.FileSystems);
        Assert.Empty(m.Latest.Cpu.Cores);
        Assert.Empty(m.Tags);
        // The page and the history serve the same machine without tripping over the missing parts.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await Api.Get(_master.Url, "api/machines/minimal/metrics")).StatusCode);
    }

    [Theory]
    [InlineData("""{"timestamp":"2026-11-24T10:00:00Z","memory":{"totalBytes":1}}""", "'cpu'")]
    [InlineData("""{"timestamp":"2026-11-24T10:00:00Z","cpu":{"cpuPercent":1}}""", "'memory'")]
    [InlineData("""{"cpu":{"cpuPercent":1},"memory":{"totalBytes":1}}""", "'timestamp'")]
    [InlineData("null", "null")]
    public async Task A_sample_without_a_part_it_cannot_lack_is_named_and_the_connection_stays(string sample, string named)
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor("partial"));
        await peer.ReceiveType(MessageTypes.Welcome);
        await peer.SendText("{\"v\":1,\"type\":\"samples\",\"data\":{\"samples\":[{\"seq\":1,\"sample\":" + sample + "}]}}");
        Assert.Contains(named, (await peer.ExpectError(ErrorCodes.BadSample)).Message);
        await peer.SendSamples(1, 2);
        Assert.Equal(2, await peer.ExpectAck(2));
    }

    [Fact]
    public async Task An_oversized_frame_is_closed_with_1009()
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor("big"));
        await peer.ReceiveType(MessageTypes.Welcome);
        var huge = "{\"v\":1,\"type\":\"samples\",\"data\":{\"pad\":\"" + new string('x', ProtocolLimits.MaxAgentFrameBytes) + "\"}}";
        try
        {
            await peer.SendText(huge);
        }
        catch (WebSocketException)
        {
            // The master may close before the whole frame is written.
        }
        await peer.ExpectClose(WebSocketCloseStatus.MessageTooBig);
    }

    [Fact]
    public async Task A_binary_frame_is_closed_with_1003()
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor("binary"));
        await peer.ReceiveType(MessageTypes.Welcome);
        await peer.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await peer.ExpectError(ErrorCodes.BinaryFrame);
        await peer.ExpectClose(WebSocketCloseStatus.InvalidMessageType);
    }

    [Fact]
    public async Task No_hello_within_the_timeout_is_closed()
    {
        using var dir = new TempDir();
        await using var master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir.Path, HelloTimeout = TimeSpan.FromMilliseconds(500) });
        await using var peer = await RawPeer.ConnectAsync(master.Url);
        await peer.ExpectError(ErrorCodes.HelloRequired);
        await peer.ExpectClose(WebSocketCloseStatus.PolicyViolation);
    }

    [Fact]
    public async Task A_hostile_peer_does_not_disturb_a_good_agent()
    {
        await using var good = await RawPeer.ConnectAsync(_master.Url);
        await good.SendHello(RawPeer.HelloFor("good"));
        await good.ReceiveType(MessageTypes.Welcome);
        var hostile = Task.Run(async () =>
        {
            for (int i = 0; i < 30; i++)
            {
                await using var bad = await RawPeer.ConnectAsync(_master.Url);
                await bad.SendText(i % 2 == 0 ? "{]" : "{\"v\":1,\"type\":\"goodbye\",\"data\":{}}");
                while (await bad.Receive() is not null) { }
            }
        });
        for (long seq = 1; seq <= 20; seq++)
        {
            await good.SendSamples(seq);
            Assert.Equal(seq, await good.ExpectAck(seq));
        }
        await hostile;
        Assert.True((await Api.Status(_master.Url)).FramesRejected >= 30);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_json_errors()
    {
        var r = await Api.Get(_master.Url, "api/nothing-here");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, r.StatusCode);
        Assert.Contains("\"code\":\"not-found\"", await r.Content.ReadAsStringAsync());
        var post = await Api.Post(_master.Url, "api/machines", "{}");
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }
}
