using System.Text.Json;
using Sentinel.Fleet;
using Sentinel.Json;

namespace Sentinel.Tests;

public class FleetTests
{
    [Theory]
    [InlineData("this master speaks HTTPS: use https:// (and wss:// for WebSockets)", "this master speaks HTTPS: use https:// (and wss:// for WebSockets)")]
    [InlineData("<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>…</body></html>", "400 The plain HTTP request was sent to HTTPS port")]
    [InlineData("<html><body><h1>502 Bad Gateway</h1></body></html>", null)]
    [InlineData("{\"unexpected\":1}", null)]
    [InlineData("", null)]
    public void A_refusal_that_is_not_the_masters_json_is_shown_when_it_is_short_text(string body, string? shown)
        => Assert.Equal(shown, RemoteFleet.TextOf(body));

    [Theory]
    [InlineData("gpu01", "gpu*", true)]
    [InlineData("GPU01", "gpu*", true)]
    [InlineData("cpu01", "gpu*", false)]
    [InlineData("node7", "node?", true)]
    [InlineData("node17", "node?", false)]
    [InlineData("node3", "node[1-4]", true)]
    [InlineData("node5", "node[1-4]", false)]
    [InlineData("a-b", "a[-x]b", true)]
    [InlineData("login01", "login01", true)]
    [InlineData("x", "*", true)]
    [InlineData("", "*", true)]
    [InlineData("abcabc", "*bc", true)]
    [InlineData("abcab", "*bc", false)]
    public void Wildcards_match_as_in_PowerShell(string text, string pattern, bool expected)
        => Assert.Equal(expected, Wildcard.IsMatch(text, pattern));

    [Fact]
    public void Query_filters_by_name_status_and_tag()
    {
        var m = new Machine
        {
            Name = "gpu07", Status = MachineStatus.Online, Inventory = new Inventory { HostName = "gpu07" },
            Tags = new Dictionary<string, string> { ["rack"] = "b7", ["slurm_job"] = "1234" },
        };
        Assert.True(MachineQuery.All.Matches(m));
        Assert.True(new MachineQuery(Names: ["cpu*", "gpu*"]).Matches(m));
        Assert.False(new MachineQuery(Names: ["cpu*"]).Matches(m));
        Assert.False(new MachineQuery(Status: MachineStatus.Offline).Matches(m));
        Assert.True(new MachineQuery(Tags: new Dictionary<string, string> { ["rack"] = "b*" }).Matches(m));
        Assert.False(new MachineQuery(Tags: new Dictionary<string, string> { ["rack"] = "a*" }).Matches(m));
        Assert.False(new MachineQuery(Tags: new Dictionary<string, string> { ["row"] = "*" }).Matches(m));
    }

    [Fact]
    public async Task The_local_fleet_is_this_machine_with_a_real_sample()
    {
        await using var fleet = new LocalFleet(minSpan: TimeSpan.FromMilliseconds(300));
        var m = Assert.Single(await fleet.GetMachinesAsync(MachineQuery.All));
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), m.Name);
        Assert.Equal(MachineStatus.Online, m.Status);
        Assert.NotNull(m.Latest);
        Assert.True(m.Latest!.IntervalSeconds >= 0.3);
        Assert.Empty(await fleet.GetMachinesAsync(new MachineQuery(Names: ["no-such-machine-*"])));
    }

    [Fact]
    public async Task Json_uses_camel_case_names_lowercase_status_and_round_trips()
    {
        await using var fleet = new LocalFleet(minSpan: TimeSpan.FromMilliseconds(200));
        var m = (await fleet.GetMachinesAsync(MachineQuery.All))[0];
        var json = JsonSerializer.Serialize(m, SentinelJsonContext.Default.Machine);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("online", doc.RootElement.GetProperty("status").GetString());
        Assert.True(doc.RootElement.GetProperty("latest").GetProperty("cpuPercent").GetDouble() >= 0);
        Assert.True(doc.RootElement.GetProperty("inventory").GetProperty("memoryTotalBytes").GetInt64() > 0);
        var back = JsonSerializer.Deserialize(json, SentinelJsonContext.Default.Machine)!;
        Assert.Equal(m.Name, back.Name);
        Assert.Equal(m.Latest!.Memory.TotalBytes, back.Latest!.Memory.TotalBytes);
        Assert.Equal(m.Latest.Cpu.Cores.Count, back.Latest.Cpu.Cores.Count);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1073741824, "1.0 GiB")]
    public void Units_are_binary(double bytes, string text) => Assert.Equal(text, Units.Bytes(bytes));
}
