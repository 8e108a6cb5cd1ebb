using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sentinel.Benchmarks;

/// <summary>
/// Runs any program (or a /bin/sh command line) with a timeout, keeps the end of what it prints, and
/// reads what it can from it: JSON on stdout goes to <see cref="BenchmarkResult.Data"/> as-is, an Intel MLC
/// report becomes figures and rows. A non-zero exit code is a failure; a timeout or a cancellation kills
/// the whole process tree.
/// </summary>
public sealed class CommandBenchmark : IBenchmark
{
    /// <summary>How much of each stream is kept: the last this-many bytes.</summary>
    internal const int OutputLimitBytes = 1 << 20;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    public string Name => "Command";

    public string Description => "Runs a program with a timeout and captures its output; JSON output is kept as data, Intel MLC output becomes figures (idleLatencyNs, allReadsMBs, bandwidth matrix, loaded latency). A non-zero exit code fails the run.";

    public IReadOnlyList<BenchmarkParameterInfo> Parameters { get; } =
    [
        new("command", "(required)", "The program to run (a path or a name on PATH), or with shell=true the command line for /bin/sh -c."),
        new("arguments", "", "Arguments as one string, split as a shell would for simple quoting: spaces separate, '…' and \"…\" group, \\ escapes."),
        new("shell", "false", "Run command and arguments through /bin/sh -c (cmd.exe /c on Windows), for pipes, redirections and variables."),
        new("timeout", "10m", "Longest the command may run; then it and every process it started are killed and the run fails."),
        new("workingDirectory", "(current)", "Folder the command runs in."),
    ];

    public async Task<BenchmarkResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters;
        p.RefuseUnknown(Name, Parameters);
        var command = p.Text("command") ?? throw new BenchmarkParameterException("command", "", "given: name the program to run");
        var arguments = p.Text("arguments") ?? "";
        bool shell = p.Bool("shell", false);
        var timeout = p.Duration("timeout", DefaultTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(7));
        var workingDirectory = p.Text("workingDirectory");
        if (workingDirectory is not null && !Directory.Exists(workingDirectory))
        {
            throw new BenchmarkParameterException("workingDirectory", workingDirectory, "an existing folder");
        }
        var argv = shell ? new List<string>() : SplitArguments(arguments);
        cancellationToken.ThrowIfCancellationRequested();

        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        var line = arguments.Length > 0 ? command + " " + arguments : command;
        if (shell)
        {
            psi.FileName = OperatingSystem.IsWindows() ? "cmd.exe" : "/bin/sh";
            psi.ArgumentList.Add(OperatingSystem.IsWindows() ? "/c" : "-c");
            psi.ArgumentList.Add(line);
        }
        else
        {
            psi.FileName = command;
            foreach (var a in argv) psi.ArgumentList.Add(a);
        }

        context.Report(0, $"running {Shorten(line, 80)}");
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"could not start '{psi.FileName}': {e.Message}", e);
        }
        try
        {
            process.StandardInput.Close(); // a command that reads its input sees the end at once
        }
        catch (IOException)
        {
            // It has already gone; its exit code will tell.
        }

        var stdout = new TailBuffer(OutputLimitBytes);
        var stderr = new TailBuffer(OutputLimitBytes);
        var readOut = Drain(process.StandardOutput.BaseStream, stdout);
        var readErr = Drain(process.StandardError.BaseStream, stderr);

        using var deadline = new CancellationTokenSource(timeout, context.Time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Commands.CommandRunner.KillTree(process);
            await Commands.CommandRunner.EndAsync(process, readOut, readErr).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{Shorten(line, 200)}' did not finish within {Durations.Format(timeout)}; it and the processes it started were killed.{Tail(stderr)}");
        }
        // Output still held open by a background child must not keep the run waiting.
        await Commands.CommandRunner.EndAsync(process, readOut, readErr).ConfigureAwait(false);

        int exitCode = process.ExitCode;
        if (exitCode != 0)
        {
            throw new CommandFailedException(exitCode,
                $"'{Shorten(line, 200)}' exited with code {exitCode}{Tail(stderr)}", Combine(stdout, stderr, []));
        }

        var warnings = new List<string>();
        var output = Combine(stdout, stderr, warnings);
        var values = new Dictionary<string, double> { ["exitCode"] = exitCode };
        var rows = new List<Dictionary<string, double>>();
        var outText = stdout.Text();
        JsonElement? data = stdout.Dropped == 0 ? TryJson(outText) : null;

        var both = stderr.Length > 0 ? outText + "\n" + stderr.Text() : outText;
        if (data is null && MlcParser.LooksLikeMlc(both))
        {
            var mlc = MlcParser.Parse(both);
            foreach (var (k, v) in mlc.Values) values[k] = v;
            rows.AddRange(mlc.Rows);
        }
        context.Report(1, "finished");

        return new BenchmarkResult
        {
            Benchmark = Name,
            Machine = context.Inventory.HostName,
            Values = values,
            Rows = rows,
            Output = output,
            Data = data,
            Warnings = warnings,
            Parameters = new Dictionary<string, string>
            {
                ["command"] = command,
                ["arguments"] = arguments,
                ["shell"] = shell ? "true" : "false",
                ["timeout"] = Durations.Format(timeout),
                ["workingDirectory"] = workingDirectory is null ? Environment.CurrentDirectory : Path.GetFullPath(workingDirectory),
            },
        };
    }

    /// <summary>The start of the error of a run the agent refused (its allow-list): the audit log tells these from other failures.</summary>
    public const string RefusedPrefix = "refused by the agent: ";

    /// <summary>
    /// The command line a run's parameters make, as the agent's allow-list sees it: "command arguments", or with shell=true
    /// "sh -c command arguments" ("cmd.exe /c …" on Windows), so only a pattern that names the shell allows it.
    /// </summary>
    public static string LineOf(IReadOnlyDictionary<string, string> parameters)
    {
        var command = parameters.GetValueOrDefault("command") ?? "";
        var arguments = parameters.GetValueOrDefault("arguments") ?? "";
        var line = arguments.Length > 0 ? command + " " + arguments : command;
        bool shell = parameters.GetValueOrDefault("shell") is { } s && (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "1");
        return shell ? (OperatingSystem.IsWindows() ? "cmd.exe /c " : "sh -c ") + line : line;
    }

    /// <summary>Splits an argument string as <see cref="Commands.CommandLine.Split"/> does (simple POSIX quoting, no expansion).</summary>
    public static List<string> SplitArguments(string text)
    {
        try
        {
            return Commands.CommandLine.Split(text);
        }
        catch (Commands.CommandLineException e)
        {
            throw new BenchmarkParameterException("arguments", text, "text whose quotes are closed (" + e.Message + ")");
        }
    }

    private static async Task Drain(Stream stream, TailBuffer into)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                into.Append(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe was closed under us after the process ended: what was read is kept.
        }
    }

    private static JsonElement? TryJson(string text)
    {
        var t = text.AsSpan().Trim();
        if (t.Length < 2 || !((t[0] == '{' && t[^1] == '}') || (t[0] == '[' && t[^1] == ']'))) return null;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 256 });
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Combine(TailBuffer stdout, TailBuffer stderr, List<string> warnings)
    {
        var sb = new StringBuilder();
        void Add(TailBuffer b, string name)
        {
            if (b.Dropped > 0)
            {
                var note = $"[sentinel: the first {b.Dropped.ToString(CultureInfo.InvariantCulture)} bytes of {name} were dropped; the last {Units.Bytes(b.Capacity)} are kept]";
                sb.Append(note).Append('\n');
                warnings.Add($"The command wrote {Units.Bytes(b.Total)} to {name}; only the last {Units.Bytes(b.Capacity)} are kept in Output.");
            }
            sb.Append(b.Text());
        }
        Add(stdout, "stdout");
        if (stderr.Length > 0)
        {
            if (sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
            sb.Append("--- stderr ---\n");
            Add(stderr, "stderr");
        }
        return sb.ToString();
    }

    /// <summary>": " and the last few lines of stderr, for an error message; empty when there are none.</summary>
    private static string Tail(TailBuffer stderr)
    {
        var lines = stderr.Text().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0) return "";
        var tail = string.Join(" | ", lines.TakeLast(5));
        return ": " + Shorten(tail, 800);
    }

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    /// <summary>Keeps the last <see cref="Capacity"/> bytes written to it and counts the rest.</summary>
    private sealed class TailBuffer(int capacity)
    {
        private readonly byte[] _ring = new byte[capacity];
        private long _total;
        private readonly object _gate = new();

        public int Capacity => capacity;
        public long Total { get { lock (_gate) return _total; } }
        public long Dropped => Math.Max(0, Total - capacity);
        public int Length => (int)Math.Min(Total, capacity);

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (_gate)
            {
                // Byte number k of the stream lives at _ring[k % capacity]; only the last `capacity` bytes matter.
                var keep = data.Length > capacity ? data[^capacity..] : data;
                _total += data.Length;
                int pos = (int)((_total - keep.Length) % capacity);
                int first = Math.Min(keep.Length, capacity - pos);
                keep[..first].CopyTo(_ring.AsSpan(pos));
                keep[first..].CopyTo(_ring);
            }
        }

        public string Text()
        {
            lock (_gate)
            {
                if (_total <= capacity) return Encoding.UTF8.GetString(_ring, 0, (int)_total);
                int start = (int)(_total % capacity);
                var bytes = new byte[capacity];
                _ring.AsSpan(start).CopyTo(bytes);
                _ring.AsSpan(0, start).CopyTo(bytes.AsSpan(capacity - start));
                return Encoding.UTF8.GetString(bytes);
            }
        }
    }
}

/// <summary>The command ran and exited with a non-zero code.</summary>
public sealed class CommandFailedException(int exitCode, string message, string output) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
    /// <summary>What it printed (bounded as <see cref="BenchmarkResult.Output"/> is).</summary>
    public string Output { get; } = output;
}
