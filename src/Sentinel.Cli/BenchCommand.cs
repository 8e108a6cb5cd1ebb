using System.CommandLine;
using System.Text.Json;
using Sentinel.Benchmarks;
using Sentinel.Fleet;
using Sentinel.Json;

namespace Sentinel.Cli;

/// <summary>
/// <c>sentinel bench NAME [--param k=v]… [--threads N] [--json]</c>: one benchmark on this machine.
/// <c>sentinel run --master URL (--all | --machine NAME…) NAME …</c>: on the fleet at once, results as they arrive.
/// </summary>
internal static class BenchCommand
{
    private static string NameList => string.Join(", ", BenchmarkCatalog.Names.Select(BenchmarkCatalog.CliName));

    private static (Argument<string> Name, Option<string[]> Params, Option<int?> Threads, Option<bool> Json) Common(Command command)
    {
        var name = new Argument<string>("benchmark") { Description = "Which: " + NameList + "." };
        var parameters = new Option<string[]>("--param", "-p") { Description = "A benchmark parameter name=value; repeat for more (sentinel bench --list shows them).", AllowMultipleArgumentsPerToken = false };
        var threads = new Option<int?>("--threads") { Description = "Threads, for the benchmarks that take them (same as --param threads=N)." };
        var json = new Option<bool>("--json") { Description = "Print results as JSON (one object per line with run), figures with their units in their names." };
        command.Arguments.Add(name);
        command.Options.Add(parameters);
        command.Options.Add(threads);
        command.Options.Add(json);
        return (name, parameters, threads, json);
    }

    private static Dictionary<string, string> Parameters(string[]? pairs, int? threads)
    {
        var p = CliParse.Tags("--param", pairs ?? []);
        if (threads is { } t) p["threads"] = t.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return p;
    }

    private static IBenchmark Find(string name) => BenchmarkCatalog.Find(name)
        ?? throw new CliException($"'{name}' is not a benchmark; there are {NameList}");

    public static Command CreateBench()
    {
        var command = new Command("bench", "Run one benchmark on this machine and print its figures. Ctrl+C cancels (and cleans up).\n" +
            "Examples: sentinel bench memory-bandwidth --threads 2 --json; sentinel bench disk --param path=/scratch --param fileBytes=4G; sentinel bench --list");
        var (name, parameters, threads, json) = Common(command);
        var list = new Option<bool>("--list") { Description = "List the benchmarks and their parameters." };
        command.Options.Add(list);
        name.Arity = ArgumentArity.ZeroOrOne;
        command.SetAction(async (parse, outer) =>
        {
            using var signals = Signals.Watch(outer);
            try
            {
                if (parse.GetValue(list) || parse.GetValue(name) is null)
                {
                    Console.Out.Write(ListText());
                    return parse.GetValue(list) ? 0 : 2;
                }
                var benchmark = Find(parse.GetValue(name)!);
                await using var fleet = new LocalFleet();
                var progress = new ProgressLine();
                BenchmarkResult? result = null;
                try
                {
                    await foreach (var e in fleet.RunBenchmarkAsync(benchmark.Name, Parameters(parse.GetValue(parameters), parse.GetValue(threads)), [], signals.Token))
                    {
                        if (e.Progress is { } p) progress.Show($"{benchmark.Name}: {p.Stage}", p.Fraction);
                        if (e.Result is { } r) result = r;
                    }
                }
                catch (FleetException e) when (e.Reason == "BadRequest")
                {
                    throw new CliException(e.Message);
                }
                catch (OperationCanceledException)
                {
                    progress.Done();
                    Console.Error.WriteLine("sentinel bench: cancelled");
                    return 130;
                }
                progress.Done();
                Print(result!, parse.GetValue(json), indented: true);
                return result!.State == BenchmarkState.Completed ? 0 : 1;
            }
            catch (CliException e)
            {
                Console.Error.WriteLine("sentinel bench: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    public static Command CreateRun()
    {
        var command = new Command("run", "Run a benchmark on machines of a fleet at once, through its master; print each machine's result as it arrives. Ctrl+C cancels the job.\n" +
            "Examples: sentinel run --master http://login01:8080 --all memory-bandwidth; sentinel run --master http://login01:8080 -m node01 -m node02 memory-latency --json");
        var master = new Option<string>("--master") { Description = "The master's URL, e.g. http://login01:8080.", Required = true };
        var all = new Option<bool>("--all") { Description = "Every machine that is online." };
        var machines = new Option<string[]>("--machine", "-m") { Description = "A machine by name; repeat for more.", AllowMultipleArgumentsPerToken = false };
        command.Options.Add(master);
        command.Options.Add(all);
        command.Options.Add(machines);
        command.Options.Add(ApiToken.Option);
        var trustOptions = new TrustOptions();
        trustOptions.AddTo(command);
        var (name, parameters, threads, json) = Common(command);
        command.SetAction(async (parse, outer) =>
        {
            using var signals = Signals.Watch(outer);
            try
            {
                var benchmark = Find(parse.GetValue(name)!);
                var names = parse.GetValue(machines) ?? [];
                if (parse.GetValue(all) == (names.Length > 0))
                {
                    throw new CliException("say which machines: --all, or --machine NAME (repeatable), not both");
                }
                await using var fleet = new RemoteFleet(CliParse.MasterUrl("--master", parse.GetValue(master)!), trust: trustOptions.Get(parse));
                fleet.Token = ApiToken.From(parse);
                bool asJson = parse.GetValue(json);
                int failed = 0, total = 0;
                var progress = new ProgressLine();
                try
                {
                    await foreach (var e in fleet.RunBenchmarkAsync(benchmark.Name, Parameters(parse.GetValue(parameters), parse.GetValue(threads)), names, signals.Token))
                    {
                        if (e.Progress is { } p)
                        {
                            progress.Show($"{e.Machine}: {p.Stage}", p.Fraction);
                        }
                        if (e.Result is { } r)
                        {
                            progress.Done();
                            total++;
                            if (r.State != BenchmarkState.Completed) failed++;
                            Print(r, asJson, indented: false);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    progress.Done();
                    Console.Error.WriteLine("sentinel run: cancelled (the master was asked to cancel the job)");
                    return 130;
                }
                if (!asJson) Console.Out.WriteLine($"{total - failed} of {total} machines completed");
                return failed == 0 ? 0 : 1;
            }
            catch (FleetException e)
            {
                Console.Error.WriteLine("sentinel run: " + ApiToken.Explain(e, ApiToken.From(parse)));
                return e.Reason is "BadRequest" or "MachineNotFound" or "NoMachines" ? 2 : 1;
            }
            catch (CliException e)
            {
                Console.Error.WriteLine("sentinel run: " + e.Message);
                return 2;
            }
        });
        return command;
    }

    private static void Print(BenchmarkResult r, bool json, bool indented)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(r, indented ? SentinelJsonContext.Indented.BenchmarkResult : SentinelJsonContext.Default.BenchmarkResult));
        }
        else
        {
            Console.Out.Write(BenchmarkText.Render(r));
        }
        Console.Out.Flush();
    }

    private static string ListText()
    {
        var sb = new System.Text.StringBuilder("Benchmarks (sentinel bench NAME [--param name=value]…):\n");
        foreach (var b in BenchmarkCatalog.Benchmarks)
        {
            sb.Append($"\n  {BenchmarkCatalog.CliName(b.Name)}  ({b.Name} in PowerShell)\n    {b.Description}\n");
            foreach (var p in b.Parameters)
            {
                sb.Append($"    --param {p.Name}=…  {p.Description.TrimEnd('.')}. Default: {p.Default}.\n");
            }
        }
        return sb.ToString();
    }

    /// <summary>Progress on stderr: one rewritten line on a terminal, a line every few seconds otherwise (logs).</summary>
    private sealed class ProgressLine
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private DateTime _last = DateTime.MinValue;
        private bool _open;

        public void Show(string what, double fraction)
        {
            var text = $"{fraction * 100,5:0.0}%  {what}";
            if (_terminal)
            {
                Console.Error.Write("\r" + (text.Length > 100 ? text[..100] : text.PadRight(100)));
                _open = true;
            }
            else if (DateTime.UtcNow - _last > TimeSpan.FromSeconds(5))
            {
                _last = DateTime.UtcNow;
                Console.Error.WriteLine(text);
            }
        }

        public void Done()
        {
            if (_open) Console.Error.Write("\r" + new string(' ', 100) + "\r");
            _open = false;
        }
    }
}
