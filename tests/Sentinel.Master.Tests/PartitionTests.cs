using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Sentinel.Master.Tests;

/// <summary>
/// A network namespace joined to this one by a veth pair, made by the test (root needed, as in CI). Its two
/// addresses exist only on that pair, so a master bound to one of them is reachable from the namespace and this
/// machine alone. Setting the link down cuts it silently: no reset, no ICMP, as a pulled cable or a dead switch.
/// </summary>
internal sealed class NetnsLink : IDisposable
{
    public string Namespace { get; }
    public string HostSide { get; }
    public string NamespaceSide { get; }
    public string HostAddress { get; }
    public string NamespaceAddress { get; }

    private NetnsLink(int id)
    {
        Namespace = $"sentinel-test-{id}";
        HostSide = $"snth{id}";
        NamespaceSide = $"sntn{id}";
        HostAddress = $"10.213.{id % 250}.1";
        NamespaceAddress = $"10.213.{id % 250}.2";
    }

    public static NetnsLink Create()
    {
        var link = new NetnsLink(Environment.ProcessId % 100000);
        link.Dispose(); // leftovers of a killed earlier run with the same id
        Ip("netns", "add", link.Namespace);
        Ip("link", "add", link.HostSide, "type", "veth", "peer", "name", link.NamespaceSide);
        Ip("link", "set", link.NamespaceSide, "netns", link.Namespace);
        Ip("addr", "add", link.HostAddress + "/30", "dev", link.HostSide);
        Ip("link", "set", link.HostSide, "up");
        Ip("netns", "exec", link.Namespace, "ip", "addr", "add", link.NamespaceAddress + "/30", "dev", link.NamespaceSide);
        Ip("netns", "exec", link.Namespace, "ip", "link", "set", link.NamespaceSide, "up");
        Ip("netns", "exec", link.Namespace, "ip", "link", "set", "lo", "up");
        return link;
    }

    /// <summary>Runs a program in the namespace with `ip netns exec` (which execs it: the pid is the program's).</summary>
    public string[] Exec => ["ip", "netns", "exec", Namespace];

    public void Cut() => Ip("netns", "exec", Namespace, "ip", "link", "set", NamespaceSide, "down");
    public void Heal() => Ip("netns", "exec", Namespace, "ip", "link", "set", NamespaceSide, "up");

    private static string Ip(params string[] args) => Run(check: true, args);

    private static string Run(bool check, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0) Assert.Fail($"ip {string.Join(' ', args)} failed ({p.ExitCode}): {output} (network namespaces need root, as CI has)");
        return output;
    }

    public void Dispose()
    {
        Run(check: false, "netns", "del", Namespace); // takes its end of the pair, and with it ours
        Run(check: false, "link", "del", HostSide);
    }
}

[Collection(FaultCollection.Name)]
public class PartitionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_silent_60_s_partition_makes_the_machine_offline_within_three_intervals_and_the_gap_is_backfilled_after_healing()
    {
        using var link = NetnsLink.Create();
        using var dir = new TempDir();
        int port = Testing.SentinelProgram.FreePort();
        var url = new Uri($"http://{link.HostAddress}:{port}/");
        const string token = "partition-test-agent-token-0123456789";
        File.WriteAllText(Path.Combine(dir.Path, "admin"), "partition-admin-password\n");
        // Beyond loopback the master needs an agent token and a login: the test signs in as admin.
        using var master = new SentinelProcess(["master", "--listen", $"{link.HostAddress}:{port}", "--data", Path.Combine(dir.Path, "data"),
            "--agent-token", token, "--admin-password-file", Path.Combine(dir.Path, "admin")]);
        using var agent = new SentinelProcess(["agent", "--master", url.ToString(), "--token", token, "--allow-insecure", "--name", "partitioned", "--interval", "1s"], link.Exec);
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await Wait.Until(async () =>
            {
                try
                {
                    var login = new HttpRequestMessage(HttpMethod.Post, "api/login") { Content = new StringContent("""{"user":"admin","password":"partition-admin-password"}""", Encoding.UTF8, "application/json") };
                    login.Headers.Add("X-Sentinel-Request", "1");
                    var r = await http.SendAsync(login);
                    if (!r.IsSuccessStatusCode) return false;
                    http.DefaultRequestHeaders.Authorization = new("Bearer", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString());
                    return true;
                }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(30), "the master answers and the admin can sign in");
            async Task<Machine?> Part() => await http.GetFromJsonAsync($"api/machines/partitioned", Json.SentinelJsonContext.Default.Machine);
            async Task<long> Stored() => (await http.GetFromJsonAsync("api/status", Json.SentinelJsonContext.Default.MasterStatus))!.SamplesStored;

            await Wait.Until(async () => (await Stored()) >= 5, TimeSpan.FromSeconds(30), "the agent in the namespace sends samples");

            // The cut: the agent's end of the link goes down. Nothing is sent to either side.
            var beforeCut = await Part();
            var cutAt = DateTimeOffset.UtcNow;
            link.Cut();
            await Wait.Until(async () => (await Part())!.Status == MachineStatus.Offline, TimeSpan.FromSeconds(15), "the master marks the silent machine offline");
            var offline = await Part();
            var offlineAfter = DateTimeOffset.UtcNow - offline!.LastSeen!.Value;
            long storedAtCut = await Stored();
            output.WriteLine($"offline {offlineAfter.TotalSeconds:0.0} s after the last sample (3 intervals of 1 s; the sweep runs every 100 ms)");
            Assert.InRange(offlineAfter.TotalSeconds, 2.5, 6.0);

            // 60 s of partition; the agent samples into its buffer, and after 25 s of silence drops the dead connection.
            var healAt = cutAt + TimeSpan.FromSeconds(60);
            await Task.Delay(healAt - DateTimeOffset.UtcNow);
            link.Heal();
            var healed = Stopwatch.StartNew();
            long partitionSamples = (long)(DateTimeOffset.UtcNow - (beforeCut!.LastSeen ?? cutAt)).TotalSeconds - 1;
            await Wait.Until(async () => (await Part())!.Status == MachineStatus.Online && (await Stored()) >= storedAtCut + partitionSamples,
                TimeSpan.FromSeconds(40), $"the {partitionSamples} samples taken during the partition reach the master");
            double backfilled = healed.Elapsed.TotalSeconds;
            output.WriteLine($"the {partitionSamples} samples of the 60 s partition were stored {backfilled:0.0} s after the link came back");
            Assert.True(backfilled < 20, $"the backfill took {backfilled:0.0} s after healing");
            Assert.Contains("the master said nothing for", agent.Output);

            agent.Signal("TERM");
            Assert.Equal(0, agent.WaitExit(TimeSpan.FromSeconds(15)));
            Assert.Contains("stopped (0 samples not acked)", agent.Output);
            master.Signal("TERM");
            Assert.Equal(0, master.WaitExit(TimeSpan.FromSeconds(15)));

            using var db = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "data", "sentinel.db")};Mode=ReadOnly");
            db.Open();
            using var q = db.CreateCommand();
            q.CommandText = "SELECT count(*), count(DISTINCT seq), min(seq), max(seq), count(DISTINCT boot) FROM samples";
            using var r = q.ExecuteReader();
            r.Read();
            Assert.Equal(1, r.GetInt64(4));
            Assert.Equal(1, r.GetInt64(2));
            Assert.Equal(r.GetInt64(0), r.GetInt64(1)); // nothing twice
            Assert.Equal(r.GetInt64(3), r.GetInt64(0)); // no gap: the partition was backfilled
            Assert.True(r.GetInt64(0) >= 60, $"{r.GetInt64(0)} samples stored");
            output.WriteLine($"{r.GetInt64(0)} samples stored, seq 1..{r.GetInt64(3)}, none lost, none twice");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- master ---\n{master.Output}\n--- agent ---\n{agent.Output}");
        }
    }
}
