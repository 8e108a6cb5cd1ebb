using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sentinel.Json;
using Sentinel.Protocol;

namespace Sentinel.Master.Tests;

/// <summary>
/// Machine names and tags chosen to break things: markup, shell syntax, quotes, a right-to-left override, 10 KB,
/// NUL, CR/LF. The master takes or refuses each by the rule in protocol.md (1 to 253 characters, no control
/// characters; tag values at most 253): refusals are a named bad-hello, and what it takes comes back
/// byte-identical and valid in /api/machines, in the /ws snapshot and under /api/machines/{name}.
/// (The live page and reports are checked with the same strings by Sentinel.Browser.Tests and ReportTests.)
/// </summary>
public class HostileNameTests : MasterPerTest
{
    public static TheoryData<string> Accepted => new()
    {
        "<img src=x onerror=alert(1)>",
        "$(id)",
        "`id`",
        "\"; rm -rf / #",
        "it's \"quoted\"",
        "a\u202Eexe.txt",
        "</script><script>alert(2)</script>",
        "{{7*7}} ${7*7} %s %n",
        "name with spaces",
        "emoji \U0001F600 and \u00e9",
        "line\u2028separator",
        new string('n', 253),
    };

    public static TheoryData<string, string> Refused => new()
    {
        { new string('n', 10 * 1024), "characters; the limit is 253" },
        { new string('n', 254), "characters; the limit is 253" },
        { "nul\0name", "control characters" },
        { "cr\rname", "control characters" },
        { "lf\nname", "control characters" },
        { "crlf\r\nSet-Cookie: a=b", "control characters" },
        { "esc\u001b[31mred", "control characters" },
        { "del\u007f", "control characters" },
        { "", "is empty" },
        { " \t ", "is empty" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task A_hostile_but_lawful_name_and_tag_come_back_byte_identical_everywhere(string hostile)
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        var hello = RawPeer.HelloFor(hostile, "host-" + Guid.NewGuid().ToString("N"));
        hello = new Hello
        {
            Name = hello.Name, BootId = hello.BootId, HostId = hello.HostId, AgentVersion = hello.AgentVersion, Inventory = hello.Inventory,
            Tags = new() { ["rack"] = hostile, [hostile.Length <= 253 ? hostile : "k"] = "v" },
        };
        await peer.SendHello(hello);
        Assert.NotNull(await peer.ReceiveType(MessageTypes.Welcome));
        await peer.SendSamples(1);
        Assert.Equal(1, await peer.ExpectAck(1));

        // /api/machines: valid JSON, the name and tags byte-identical, markup escaped inside the JSON text.
        var body = await (await Api.Get(_master.Url, "api/machines")).Content.ReadAsStringAsync();
        using (var doc = JsonDocument.Parse(body))
        {
            var m = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == hostile);
            Assert.Equal(hostile, m.GetProperty("tags").GetProperty("rack").GetString());
            Assert.Equal("v", m.GetProperty("tags").GetProperty(hostile.Length <= 253 ? hostile : "k").GetString());
        }
        Assert.DoesNotContain("<img", body);
        Assert.DoesNotContain("<script", body);
        Assert.DoesNotMatch(new Regex("[\u0000-\u001f\u2028\u202e]"), body);

        // One machine by its escaped name.
        var one = await Api.Get(_master.Url, "api/machines/" + Uri.EscapeDataString(hostile));
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(hostile, JsonSerializer.Deserialize(await one.Content.ReadAsStringAsync(), SentinelJsonContext.Default.Machine)!.Name);

        // The viewer's snapshot.
        await using var viewer = await RawPeer.ConnectAsync(_master.Url, "ws");
        var snapshot = (await viewer.Receive())!.Value.Read(SentinelJsonContext.Default.Snapshot, "x");
        var seen = snapshot.Machines.Single(x => x.Name == hostile);
        Assert.Equal(hostile, seen.Tags["rack"]);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task An_unlawful_name_is_refused_by_name(string hostile, string problem)
    {
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        await peer.SendHello(RawPeer.HelloFor(hostile));
        Assert.Contains(problem, (await peer.ExpectError(ErrorCodes.BadHello)).Message);
        await peer.ExpectClose(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation);
        Assert.DoesNotContain(await Api.Machines(_master.Url), m => m.Name == hostile);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task An_unlawful_tag_value_is_refused_by_name(string hostile, string problem)
    {
        if (hostile.Trim().Length == 0 || hostile.Length == 254) return; // empty values are lawful; 254 is tested below the limit
        _ = problem;
        await using var peer = await RawPeer.ConnectAsync(_master.Url);
        var h = RawPeer.HelloFor("tagged-" + Guid.NewGuid().ToString("N")[..8]);
        await peer.SendHello(new Hello { Name = h.Name, BootId = h.BootId, HostId = h.HostId, AgentVersion = h.AgentVersion, Inventory = h.Inventory, Tags = new() { ["rack"] = hostile } });
        Assert.Contains("tag 'rack'", (await peer.ExpectError(ErrorCodes.BadHello)).Message);
    }

    /// <summary>
    /// No machine name or tag reaches a command line: the only programs the engine starts are the Command
    /// benchmark (its command and arguments come from the job's parameters), remote commands (CommandRunner: argv from
    /// the caller's line, after the agent's allow-list), nvidia-smi (fixed arguments), the
    /// report opener (a file path) and an alert rule's command (its program and arguments as the admin wrote them;
    /// the machine name only in an environment variable, see AlertActionTests). A new process start, or one fed from a
    /// name, hostName or tags, fails here.
    /// </summary>
    [Fact]
    public void No_process_is_started_with_a_machine_name_or_tag()
    {
        var src = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src"));
        Assert.True(Directory.Exists(src), src);
        var starts = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("ProcessStartInfo", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(src, f).Replace('\\', '/')).Order().ToList();
        Assert.Equal(["Sentinel.Core/Benchmarks/CommandBenchmark.cs", "Sentinel.Core/Collectors/Gpu/NvidiaSmi.cs", "Sentinel.Core/Commands/CommandRunner.cs", "Sentinel.Master/Alerts/AlertActions.cs", "Sentinel.Reports/ReportFile.cs"], starts);
        foreach (var file in starts)
        {
            foreach (var line in File.ReadLines(Path.Combine(src, file)).Where(l => Regex.IsMatch(l, @"ArgumentList\.Add|FileName\s*=|Arguments\s*=|new ProcessStartInfo\(|\bline\s*=")))
            {
                Assert.DoesNotMatch(new Regex(@"Inventory|HostName|\bTags\b|MachineName|\.Name\b|hello", RegexOptions.IgnoreCase), line);
            }
        }
    }
}
