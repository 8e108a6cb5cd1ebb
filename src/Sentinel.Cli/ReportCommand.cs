using System.CommandLine;
using System.Globalization;
using System.Diagnostics.CodeAnalysis;
using Sentinel.Fleet;
using Sentinel.Reports;

namespace Sentinel.Cli;

/// <summary>
/// <c>sentinel report --master URL --out FILE</c>: one self-contained HTML report of a fleet, as Export-SentinelReport
/// writes it. Reports are built with Plotly.NET (F#, Newtonsoft.Json), which NativeAOT cannot run, so the native
/// build says so and leaves that code out.
/// </summary>
internal static class ReportCommand
{
    private const string Switch = "Sentinel.Cli.Reports.IsSupported";

    /// <summary>
    /// False in the NativeAOT sentinel only: the csproj sets this feature switch when it publishes natively, and the
    /// compiler then treats it as a constant and drops the report code. Not RuntimeFeature.IsDynamicCodeSupported:
    /// PublishAot makes that false in the framework-dependent build too (its runtimeconfig mimics NativeAOT), where
    /// reports work.
    /// </summary>
    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out var on) || on;

    public static Command Create()
    {
        var command = new Command("report", "Write one self-contained HTML report of a fleet (plotly.js inside, so it opens offline): fleet summary, " +
            "each machine's history, benchmark comparisons with outliers flagged, inventory. Progress goes to stderr; an existing file is kept unless --force.\n" +
            "Examples: sentinel report --master http://login01:8080 --out fleet.html; sentinel report --master http://login01:8080 --out gpus.html --since 7d -m gpu01 -m gpu02 --title 'GPU nodes'");
        var master = new Option<string>("--master") { Description = "The master's URL, e.g. http://login01:8080.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "The HTML file to write.", Required = true };
        var since = new Option<string>("--since") { Description = "Start of the range: how long ago (24h, 7d, 90m) or an ISO-8601 time (2026-11-24T08:00:00Z); the range ends now. Default: 24h." };
        var title = new Option<string>("--title") { Description = "The report's heading (default: Sentinel report)." };
        var machines = new Option<string[]>("--machine", "-m") { Description = "Only this machine, by name; repeat for more. Default: every machine.", AllowMultipleArgumentsPerToken = false };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists." };
        command.Options.Add(master);
        var trustOptions = new TrustOptions();
        trustOptions.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(since);
        command.Options.Add(title);
        command.Options.Add(machines);
        command.Options.Add(force);
        command.Options.Add(ApiToken.Option);
        command.SetAction((parse, outer) => IsSupported
            ? RunAsync(parse.GetValue(master)!, parse.GetValue(output)!, parse.GetValue(since), parse.GetValue(title), parse.GetValue(machines) ?? [], parse.GetValue(force), () => trustOptions.Get(parse),
                parse.GetValue(ApiToken.Option), outer)
            : Task.FromResult(Unsupported()));
        return command;
    }

    // NativeAOT: IsSupported is the constant false there, so the compiler keeps only this.
    private static int Unsupported()
    {
        Console.Error.WriteLine("sentinel report: reports need the .NET build of sentinel (dotnet run --project src/Sentinel.Cli / the framework-dependent build) " +
            "or Export-SentinelReport in PowerShell; the native agent build leaves Plotly out");
        return 1;
    }

    private static async Task<int> RunAsync(string masterText, string outText, string? sinceText, string? title, string[] machines, bool force, Func<Sentinel.Security.MasterTrust> trust,
        string? token, CancellationToken outer)
    {
        using var signals = Signals.Watch(outer);
        var cancellationToken = signals.Token;
        try
        {
            var url = CliParse.MasterUrl("--master", masterText);
            var path = Path.GetFullPath(outText);
            var folder = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(folder))
            {
                throw new CliException($"--out: the folder {folder} does not exist");
            }
            if (File.Exists(path) && !force)
            {
                throw new CliException($"--out: {path} already exists; add --force to replace it");
            }
            var until = DateTimeOffset.UtcNow;
            var options = new ReportOptions { Title = string.IsNullOrWhiteSpace(title) ? "Sentinel report" : title, Since = Since(sinceText ?? "24h", until), Until = until };
            var inputs = new ReportInputs();
            foreach (var name in machines) inputs.TryAdd(name);

            await using var fleet = new RemoteFleet(url, trust: trust());
            fleet.Token = ApiToken.From(token);
            var data = await new ReportCollector(fleet).CollectAsync(inputs, options, new StderrProgress(), cancellationToken);
            if (machines.Length > 0 && data.Machines.Count == 0)
            {
                // A mistyped name would otherwise give an empty report and exit 0.
                throw new CliException($"--machine: the master at {url} has no machine named {string.Join(" or ", machines.Select(m => $"'{m}'"))}; " +
                    "leave --machine out for the whole fleet (GET /api/machines lists the names); nothing was written");
            }
            Console.Error.WriteLine("sentinel report: writing " + path);
            var html = ReportBuilder.Build(data);
            ReportFile.Write(path, html, force);
            int withHistory = data.History.Count(h => h.Series is not null);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {html.Length / 1e6:0.0} MB; {data.Machines.Count} machines, {withHistory} with history, {data.Results.Count} benchmark results"));
            foreach (var note in data.Notes) Console.Error.WriteLine("sentinel report: " + note);
            return 0;
        }
        catch (CliException e)
        {
            Console.Error.WriteLine("sentinel report: " + e.Message);
            return 2;
        }
        catch (FleetException e)
        {
            Console.Error.WriteLine("sentinel report: " + ApiToken.Explain(e, ApiToken.From(token)));
            return e.Reason == "BadRequest" ? 2 : 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("sentinel report: cannot write the report: " + e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("sentinel report: cancelled; nothing was written");
            return 130;
        }
    }

    /// <summary>"24h", "7d", "90m" (how long before <paramref name="now"/>) or an ISO-8601 time (UTC when it has no offset).</summary>
    internal static DateTimeOffset Since(string text, DateTimeOffset now)
    {
        if (Durations.TryParse(text, out var ago))
        {
            return now - ago;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t < now ? t : throw new CliException($"--since: {t:u} is not in the past");
        }
        throw new CliException($"--since: '{text}' is neither how long ago (24h, 7d, 90m) nor an ISO-8601 time (2026-11-24T08:00:00Z)");
    }

    /// <summary>Progress as lines on stderr (the report itself is the file; stdout gets one line about it).</summary>
    private sealed class StderrProgress : IProgress<ReportProgress>
    {
        public void Report(ReportProgress value) => Console.Error.WriteLine(value.Total > 1
            ? $"sentinel report: {value.Activity} ({value.Done}/{value.Total})"
            : "sentinel report: " + value.Activity);
    }
}
