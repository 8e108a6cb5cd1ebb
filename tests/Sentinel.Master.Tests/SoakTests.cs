using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Sentinel.Agent;
using Xunit.Abstractions;

namespace Sentinel.Master.Tests;

/// <summary>
/// A few hundred agents and a master process killed with SIGKILL and restarted on the same data, again and again.
/// The CI run is short (300 agents, 3 kills); bench/soak.sh runs it longer through SENTINEL_SOAK_AGENTS,
/// SENTINEL_SOAK_KILLS and SENTINEL_SOAK_STEADY_SECONDS.
/// </summary>
[Collection(FaultCollection.Name)]
public class SoakTests(ITestOutputHelper output)
{
    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    [Fact]
    public async Task Hundreds_of_agents_through_repeated_SIGKILLs_lose_nothing_store_nothing_twice_and_come_back_spread_out()
    {
        int agentCount = Setting("SENTINEL_SOAK_AGENTS", 300);
        int kills = Setting("SENTINEL_SOAK_KILLS", 3);
        int steadySeconds = Setting("SENTINEL_SOAK_STEADY_SECONDS", 30);
        var random = new Random(20261124);
        var settle = TimeSpan.FromSeconds(60 + agentCount / 20); // generous for a loaded CI box; bench runs use thousands
        using var dir = new TempDir();
        int port = Testing.SentinelProgram.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        string[] masterArgs = ["master", "--listen", $"127.0.0.1:{port}", "--data", dir.Path];
        var clock = Stopwatch.StartNew();
        var connectedAt = new List<(int Agent, double At)>();
        var masters = new List<SentinelProcess>();
        SentinelProcess StartMaster()
        {
            var m = new SentinelProcess(masterArgs);
            masters.Add(m);
            return m;
        }
        async Task<int> Connected()
        {
            try { return (await Api.Status(url)).AgentsConnected; }
            catch (HttpRequestException) { return -1; }
            catch (TaskCanceledException) { return -1; }
        }

        var master = StartMaster();
        var agents = Enumerable.Range(0, agentCount).Select(i => new SentinelAgent(new AgentOptions
        {
            Master = url, Name = $"soak{i:D4}", HostId = $"soak-host-{i}", Interval = TimeSpan.FromSeconds(1),
            Log = line => { if (line.Contains(": connected to ", StringComparison.Ordinal)) lock (connectedAt) connectedAt.Add((i, clock.Elapsed.TotalSeconds)); },
        }, new FakeSource($"soak{i:D4}"))).ToList();
        try
        {
            await Wait.Until(async () => await Connected() >= 0, TimeSpan.FromSeconds(30), "the master answers");
            foreach (var a in agents) a.Start();
            await Wait.Until(async () => await Connected() == agentCount, settle, $"all {agentCount} agents are connected");

            var backSeconds = new List<double>();
            var peaks = new List<int>();
            for (int kill = 0; kill < kills; kill++)
            {
                await Task.Delay(TimeSpan.FromSeconds(3 + random.NextDouble() * 4));
                master.Signal("KILL");
                master.WaitExit(TimeSpan.FromSeconds(10));
                await Task.Delay(TimeSpan.FromSeconds(0.5 + random.NextDouble() * 2)); // agents keep sampling into their buffers
                master = StartMaster();
                await Wait.Until(async () => await Connected() >= 0, TimeSpan.FromSeconds(30), "the restarted master answers");
                double up = clock.Elapsed.TotalSeconds;
                await Wait.Until(async () => await Connected() == agentCount, settle, $"all {agentCount} agents are back after kill {kill + 1}");
                double back = clock.Elapsed.TotalSeconds - up;
                backSeconds.Add(back);

                // No thundering herd: the reconnects are spread out, not bunched into one moment.
                List<double> times;
                lock (connectedAt) times = connectedAt.Where(c => c.At >= up - 5).Select(c => c.At).Order().ToList();
                int peak = 0;
                for (int i = 0, j = 0; i < times.Count; i++)
                {
                    while (times[i] - times[j] > 0.1) j++;
                    peak = Math.Max(peak, i - j + 1);
                }
                peaks.Add(peak);
                output.WriteLine($"kill {kill + 1}: all {agentCount} agents back {back:0.0} s after the master answered; busiest 100 ms took {peak} reconnects; spread {times[^1] - times[0]:0.0} s");
                Assert.True(times.Count >= agentCount, $"only {times.Count} reconnects seen after kill {kill + 1}");
                // Without jitter every agent retries at the same instant and all are welcomed in one burst; with it the busiest
                // 100 ms holds a few dozen (more on a slow box, where the fresh master's first requests wait for the JIT).
                Assert.True(peak <= agentCount * 0.5, $"{peak} of {agentCount} agents reconnected within the same 100 ms after kill {kill + 1}: a thundering herd");
                Assert.True(back < 30 + agentCount / 100, $"the agents took {back:0.0} s to come back after kill {kill + 1}");
            }

            // After warm-up, the surviving master's memory and open files stay flat under the full load.
            await Task.Delay(TimeSpan.FromSeconds(10));
            var rss = new List<long>();
            var fds = new List<int>();
            for (int s = 0; s <= steadySeconds; s += 3)
            {
                rss.Add(master.RssBytes);
                fds.Add(master.OpenFiles);
                await Task.Delay(TimeSpan.FromSeconds(3));
            }
            output.WriteLine($"steady {steadySeconds} s: RSS {string.Join(", ", rss.Select(r => $"{r / 1048576.0:0}"))} MiB; open files {string.Join(", ", fds)}");
            Assert.True(fds.Max() - fds.Min() <= 8, $"open files moved from {fds.Min()} to {fds.Max()}: {string.Join(", ", fds)}");
            Assert.True(fds.Max() < agentCount + 200, $"{fds.Max()} files open for {agentCount} agents"); // one socket each, and about 110 of the runtime's and SQLite's
            long firstHalf = rss.Take(rss.Count / 2).Max(), secondHalf = rss.Skip(rss.Count / 2).Max();
            Assert.True(secondHalf <= firstHalf * 1.15 + (8 << 20), $"master memory grew from {firstHalf >> 20} to {secondHalf >> 20} MiB: {string.Join(", ", rss.Select(r => r >> 20))}");

            // Agents leave cleanly and the master stops; then the database is checked on its own.
            await Task.WhenAll(agents.Select(a => a.StopAsync(TimeSpan.FromSeconds(15))));
            master.Signal("TERM");
            Assert.Equal(0, master.WaitExit(TimeSpan.FromSeconds(30)));

            using var db = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "sentinel.db")};Mode=ReadOnly");
            db.Open();
            using (var check = db.CreateCommand())
            {
                check.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", check.ExecuteScalar());
            }
            var stored = new Dictionary<string, (long Rows, long Distinct, long Min, long Max, long Boots)>();
            using (var q = db.CreateCommand())
            {
                q.CommandText = "SELECT m.name, count(*), count(DISTINCT s.boot || ':' || s.seq), min(s.seq), max(s.seq), count(DISTINCT s.boot) FROM samples s JOIN machines m ON m.id = s.machine_id GROUP BY m.name";
                using var r = q.ExecuteReader();
                while (r.Read()) stored[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
            }
            long total = 0, lost = 0;
            foreach (var a in agents)
            {
                var st = a.Status;
                Assert.Equal(0, st.Dropped);
                Assert.Equal(0, st.Buffered);
                Assert.True(stored.TryGetValue(st.Name, out var s), $"{st.Name}: nothing stored");
                Assert.Equal(1, s.Boots);
                Assert.Equal(1, s.Min);
                Assert.Equal(s.Rows, s.Distinct);       // nothing twice
                Assert.Equal(s.Max, s.Rows);            // 1..max without a gap
                Assert.Equal(st.SamplesTaken, s.Rows);  // everything the agent took
                lost += st.SamplesTaken - s.Rows;
                total += s.Rows;
            }
            output.WriteLine($"{agentCount} agents, {kills} SIGKILLs: {total} samples stored once each, {lost} lost; integrity_check ok; agents back in {string.Join(", ", backSeconds.Select(b => b.ToString("0.0")))} s; busiest 100 ms {string.Join(", ", peaks)} reconnects");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException(e.Message + "\n" + string.Join("\n", masters.Select((m, i) => $"--- master {i} ---\n{string.Join("\n", m.Output.Split('\n').TakeLast(30))}")));
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
            foreach (var m in masters) m.Dispose();
        }
    }
}
