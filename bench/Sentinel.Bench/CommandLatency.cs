using System.Globalization;
using Sentinel.Agent;
using Sentinel.Fleet;
using Sentinel.Master;

namespace Sentinel.Bench;

/// <summary>
/// How soon a line a remote command prints reaches the caller of <see cref="RemoteFleet.RunCommandAsync"/>: a master and an
/// agent in this process on 127.0.0.1, a command that prints its own clock (date +%s%N) every 370 ms, the time each line is
/// seen minus the time it was printed (same machine, same clock). Twice: reading every 250 ms as before long-polls (no ?wait=;
/// the client then paces itself at PollInterval), and by long-poll. Also counts the reads each needed.
/// </summary>
internal static class CommandLatency
{
    public static void Run(string[] args)
    {
        int lines = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 40;
        RunAsync(lines).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(int lines)
    {
        var dir = Directory.CreateTempSubdirectory("sentinel-latency-bench-").FullName;
        try
        {
            await using var master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = dir });
            await using var agent = new SentinelAgent(new AgentOptions
            {
                Master = master.Url, Name = "bench01", HostId = "host-bench01", Interval = TimeSpan.FromSeconds(1), AllowCommands = ["sh -c *"],
            });
            agent.Start();
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (master.GetMachines().FirstOrDefault(m => m.Name == "bench01")?.Status != MachineStatus.Online)
            {
                if (DateTime.UtcNow > until) throw new TimeoutException("the agent did not come online within 30 s");
                await Task.Delay(100);
            }
            Console.WriteLine($"command-latency: {lines} lines, one every 370 ms, printed by an agent's command, seen by RemoteFleet.RunCommandAsync (master and agent in-process, 127.0.0.1)");
            var polled = await Measure(master.Url, lines, TimeSpan.Zero);
            var held = await Measure(master.Url, lines, TimeSpan.FromSeconds(20));
            Print("polling 250 ms", polled);
            Print("long-poll", held);
            Console.WriteLine($"ratio                {held.Latencies.Average() / polled.Latencies.Average(),5:0.00}x mean latency, " +
                $"{(double)held.Reads / polled.Reads,5:0.00}x reads (long-poll / polling)");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record Figures(List<double> Latencies, int Reads, TimeSpan Elapsed);

    private static void Print(string label, Figures f)
    {
        var sorted = f.Latencies.Order().ToList();
        double P(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        Console.WriteLine($"{label,-20} mean {sorted.Average(),6:0.0} ms  p50 {P(0.5),6:0.0} ms  p90 {P(0.9),6:0.0} ms  max {sorted[^1],6:0.0} ms  " +
            $"{f.Reads} reads in {f.Elapsed.TotalSeconds:0.0} s ({f.Reads / f.Elapsed.TotalSeconds:0.0}/s)");
    }

    private static async Task<Figures> Measure(Uri master, int lines, TimeSpan longPoll)
    {
        var counter = new ReadCounter();
        await using var fleet = new RemoteFleet(master, new HttpClient(counter) { Timeout = TimeSpan.FromSeconds(30) }) { LongPollWait = longPoll };
        var latencies = new List<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var e in fleet.RunCommandAsync(["bench01"], $"sh -c 'for i in $(seq {lines}); do sleep 0.37; date +%s%N; done' x", TimeSpan.FromMinutes(5)))
        {
            long seenNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            if (e.Line is { } line && long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var printedNs))
            {
                latencies.Add((seenNs - printedNs) / 1e6);
            }
        }
        if (latencies.Count != lines) throw new InvalidOperationException($"saw {latencies.Count} of {lines} lines");
        return new Figures(latencies, counter.Count, clock.Elapsed);
    }

    /// <summary>Counts the client's reads of the running command.</summary>
    private sealed class ReadCounter() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.StartsWith("/api/commands/", StringComparison.Ordinal)) Interlocked.Increment(ref Count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
