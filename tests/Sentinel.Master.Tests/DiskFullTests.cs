using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Sentinel.Agent;
using Xunit.Abstractions;

namespace Sentinel.Master.Tests;

/// <summary>A small tmpfs the test mounts (root needed, as in CI), so a disk can really fill.</summary>
internal sealed class SmallDisk : IDisposable
{
    public string Path { get; }

    public SmallDisk(string under, int megabytes)
    {
        Path = System.IO.Path.Combine(under, "disk");
        Directory.CreateDirectory(Path);
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", Path);
    }

    /// <summary>Writes a file until the disk is full; returns its path.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var chunk = new byte[1 << 16];
        try
        {
            using var f = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            while (true) f.Write(chunk);
        }
        catch (IOException)
        {
        }
        return filler;
    }

    private static void Run(params string[] args)
    {
        var psi = new ProcessStartInfo(args[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"{string.Join(' ', args)} failed ({p.ExitCode}): {err} (mounting a tmpfs needs root, as CI has)");
    }

    public void Dispose()
    {
        using var p = Process.Start("umount", ["-l", Path]);
        p.WaitForExit();
    }
}

[Collection(FaultCollection.Name)]
public class DiskFullTests(ITestOutputHelper output)
{
    [Fact]
    public async Task When_the_disk_fills_the_master_stops_acking_and_keeps_running_agents_buffer_and_all_resumes_when_space_frees()
    {
        using var dir = new TempDir();
        using var disk = new SmallDisk(dir.Path, 48);
        int port = Testing.SentinelProgram.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var master = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", Path.Combine(disk.Path, "data")]);
        var agents = Enumerable.Range(0, 3).Select(i => new SentinelAgent(new AgentOptions
        {
            Master = url, Name = $"full{i}", HostId = $"full-host-{i}", Interval = TimeSpan.FromSeconds(1),
        }, new FakeSource($"full{i}"))).ToList();
        try
        {
            await Wait.Until(async () => { try { return (await Api.Get(url, "api/status")).IsSuccessStatusCode; } catch (HttpRequestException) { return false; } },
                TimeSpan.FromSeconds(20), "the master answers");
            foreach (var a in agents) a.Start();
            await Wait.Until(async () => (await Api.Status(url)).SamplesStored >= 15, TimeSpan.FromSeconds(30), "samples are stored");

            var filler = disk.Fill();
            await Wait.Until(async () => !(await Api.Status(url)).StoreHealthy, TimeSpan.FromSeconds(30), "the master notices the full disk");
            var status = await Api.Status(url);
            output.WriteLine($"store error: {status.StoreError}");
            Assert.Contains("full", status.StoreError, StringComparison.OrdinalIgnoreCase);

            // While full: nothing is acked, the agents keep what they take, and the master goes on answering.
            var ackedWhileFull = agents.Select(a => a.Status.AckedSeq).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(8));
            for (int i = 0; i < agents.Count; i++)
            {
                var st = agents[i].Status;
                Assert.Equal(ackedWhileFull[i], st.AckedSeq);
                Assert.True(st.Buffered >= 5, $"{st.Name} holds only {st.Buffered} samples after 8 s of full disk");
                Assert.Equal(0, st.Dropped);
            }
            Assert.Equal(3, (await Api.Machines(url)).Count);
            Assert.False(master.HasExited);
            int held = agents.Sum(a => a.Status.Buffered);

            // Space frees: everything buffered is stored, once.
            File.Delete(filler);
            var freed = Stopwatch.StartNew();
            await Wait.Until(async () => (await Api.Status(url)).StoreHealthy && agents.All(a => a.Status.Buffered <= 1 && a.Status.AckedSeq > 0),
                TimeSpan.FromSeconds(40), "the master stores again and the agents' buffers drain");
            output.WriteLine($"{held} samples held by 3 agents while the disk was full; stored {freed.Elapsed.TotalSeconds:0.0} s after space freed");

            await Task.WhenAll(agents.Select(a => a.StopAsync(TimeSpan.FromSeconds(10))));
            master.Signal("TERM");
            Assert.Equal(0, master.WaitExit(TimeSpan.FromSeconds(20)));
            Assert.Contains("store: writing again after", master.Output);

            using var db = new SqliteConnection($"Data Source={Path.Combine(disk.Path, "data", "sentinel.db")};Mode=ReadOnly");
            db.Open();
            using (var check = db.CreateCommand())
            {
                check.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", check.ExecuteScalar());
            }
            foreach (var a in agents)
            {
                var st = a.Status;
                using var q = db.CreateCommand();
                q.CommandText = "SELECT count(*), count(DISTINCT s.seq), min(s.seq), max(s.seq) FROM samples s JOIN machines m ON m.id = s.machine_id WHERE m.name = @n";
                q.Parameters.AddWithValue("@n", st.Name);
                using var r = q.ExecuteReader();
                r.Read();
                Assert.Equal(0, st.Buffered);
                Assert.Equal(r.GetInt64(0), r.GetInt64(1));
                Assert.Equal(1, r.GetInt64(2));
                Assert.Equal(r.GetInt64(3), r.GetInt64(0));
                Assert.Equal(st.SamplesTaken, r.GetInt64(0));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- master ---\n{string.Join("\n", master.Output.Split('\n').TakeLast(40))}");
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
        }
    }
}
