using Sentinel.Bench;

// Benchmarks print figures and ratios against a reference run in the same process; they assert nothing.
var suites = new (string Name, string Args, string What, Action<string[]> Run)[]
{
    ("sample", "[N]", "CPU and allocation of one sample of this machine, against File.ReadAllText + Split", SampleCost.Run),
    ("sample-breakdown", "", "CPU per kernel file read, process count and statvfs", SampleBreakdown.Run),
    ("fleet", "[N,N,...] [options]", "a real master with N simulated agents at 1 Hz: stored/s, master CPU and RSS, send->viewer latency, losses", FleetLoad.Run),
    ("agent-vs-node-exporter", "[options]", "CPU and RSS of `sentinel agent` at 1 s beside node_exporter scraped every 1 s", AgentVsNodeExporter.Run),
    ("fleet-history", "[N] [SECONDS]", "GET /api/fleet/history's one query over N machines against one metrics query per machine (the page's first load)", FleetHistoryCost.Run),
    ("alerts", "[N]", "the alert engine's pass over N machines whose figures all changed (the master's worst tick)", AlertCost.Run),
    ("store-size", "[N] [HOURS]", "disk per agent: N machines x HOURS of 1 s samples through the master's store, roll-ups as in service, bytes per table by VACUUM with and without it", StoreSize.Run),
    ("metrics-render", "[N,N,...]", "what one /metrics scrape costs at N machines (render, gzip) against GET /api/machines' JSON of the same machines", MetricsRender.Run),
    ("command-latency", "[LINES]", "a remote command's printed line to RemoteFleet.RunCommandAsync seeing it: polling every 250 ms against long-polls", CommandLatency.Run),
    ("memory-vs-c", "[options]", "MemoryBandwidth triad and MemoryLatency against C (STREAM-style OpenMP, same pointer chase) built with gcc here", MemoryVsC.Run),
};

var name = args.Length > 0 ? args[0] : "sample";
if (name is "--help" or "-h" or "help")
{
    PrintSuites(Console.Out);
    return 0;
}
var suite = suites.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
if (suite.Run is null)
{
    Console.Error.WriteLine($"unknown suite '{name}'");
    PrintSuites(Console.Error);
    return 2;
}
suite.Run(args.Skip(1).ToArray());
return 0;

void PrintSuites(TextWriter w)
{
    w.WriteLine("usage: dotnet run -c Release --project bench/Sentinel.Bench -- SUITE [ARGS]   (default suite: sample)");
    w.WriteLine("suites:");
    foreach (var s in suites) w.WriteLine($"  {s.Name + " " + s.Args,-38} {s.What}");
    w.WriteLine("fleet --help and agent-vs-node-exporter --help list their options");
}
