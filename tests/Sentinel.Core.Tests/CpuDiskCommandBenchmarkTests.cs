using System.Globalization;
using Sentinel.Benchmarks;

namespace Sentinel.Tests;

internal static class Bench
{
    public static Inventory Machine { get; } = new() { HostName = "bench-test", Threads = Environment.ProcessorCount };

    /// <summary>A context with these parameters (a later one of the same name wins).</summary>
    public static BenchmarkContext Context(IProgress<BenchmarkProgress>? progress = null, params (string Key, string Value)[] parameters)
    {
        var values = new Dictionary<string, string>();
        foreach (var (key, value) in parameters) values[key] = value;
        return new() { Inventory = Machine, Parameters = new BenchmarkParameters(values), Progress = progress };
    }

    public static BenchmarkContext Context(params (string Key, string Value)[] parameters) => Context(null, parameters);

    /// <summary>True once the process is gone (or only a zombie waiting for its parent).</summary>
    public static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    public static async Task<bool> GoneWithin(int pid, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!Gone(pid))
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(50);
        }
        return true;
    }

    public static async Task<int> ReadPid(string file)
    {
        for (int i = 0; i < 200; i++)
        {
            if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid)) return pid;
            await Task.Delay(50);
        }
        throw new TimeoutException("the command never wrote its child's pid");
    }

    /// <summary>Records progress reports synchronously (Progress&lt;T&gt; would post them later).</summary>
    public sealed class Recorder : IProgress<BenchmarkProgress>
    {
        private readonly List<BenchmarkProgress> _seen = [];
        public IReadOnlyList<BenchmarkProgress> Seen { get { lock (_seen) return _seen.ToList(); } }
        public Action<BenchmarkProgress>? OnReport { get; set; }
        public void Report(BenchmarkProgress value)
        {
            lock (_seen) _seen.Add(value);
            OnReport?.Invoke(value);
        }
    }
}

/// <summary>The Cpu, Disk and Command benchmarks; one collection, so they do not compete with each other for the cores.</summary>
public static class CpuDiskCommandBenchmarkTests
{
    public const string Collection = "CpuDiskCommand benchmarks";
}

[Collection(CpuDiskCommandBenchmarkTests.Collection)]
public class CpuDiskCommandBenchmarkTests_Command
{
    private readonly CommandBenchmark _command = new();

    [Fact]
    public async Task Json_on_stdout_is_kept_as_data_and_the_exit_code_is_a_figure()
    {
        var r = await _command.RunAsync(Bench.Context(("command", "printf"), ("arguments", "'{\"a\": 1, \"list\": [2, 3], \"name\": \"x y\"}'")), CancellationToken.None);

        Assert.Equal("Command", r.Benchmark);
        Assert.Equal("bench-test", r.Machine);
        Assert.Equal(0, r.Values["exitCode"]);
        Assert.NotNull(r.Data);
        Assert.Equal(1, r.Data.Value.GetProperty("a").GetInt32());
        Assert.Equal([2, 3], r.Data.Value.GetProperty("list").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("x y", r.Data.Value.GetProperty("name").GetString());
        Assert.Equal("{\"a\": 1, \"list\": [2, 3], \"name\": \"x y\"}", r.Output);
        Assert.Equal("printf", r.Parameters["command"]);
        Assert.Equal("false", r.Parameters["shell"]);
        Assert.Equal("10m", r.Parameters["timeout"]);
    }

    [Fact]
    public async Task A_json_array_counts_too_and_plain_text_is_no_data()
    {
        var array = await _command.RunAsync(Bench.Context(("command", "echo '[1, 2]'"), ("shell", "true")), CancellationToken.None);
        Assert.Equal(2, array.Data!.Value.GetArrayLength());

        var text = await _command.RunAsync(Bench.Context(("command", "echo"), ("arguments", "hello {world}")), CancellationToken.None);
        Assert.Null(text.Data);
        Assert.Equal("hello {world}\n", text.Output);
    }

    [Fact]
    public async Task Non_zero_exit_fails_naming_the_code_and_the_end_of_stderr()
    {
        var context = Bench.Context(("command", "echo first >&2; echo 'it broke' >&2; exit 3"), ("shell", "true"));
        var e = await Assert.ThrowsAsync<CommandFailedException>(() => _command.RunAsync(context, CancellationToken.None));
        Assert.Equal(3, e.ExitCode);
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("it broke", e.Message);

        var result = await BenchmarkRunner.RunAsync(_command, context, "bench-test", null, CancellationToken.None);
        Assert.Equal(BenchmarkState.Failed, result.State);
        Assert.Contains("code 3", result.Error);
        Assert.Contains("it broke", result.Error);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_tree()
    {
        var dir = Directory.CreateTempSubdirectory("sentinel-cmd-");
        try
        {
            var pidFile = Path.Combine(dir.FullName, "child.pid");
            var context = Bench.Context(("command", $"sleep 60 & echo $! > '{pidFile}'; wait"), ("shell", "true"), ("timeout", "1s"));
            var e = await Assert.ThrowsAsync<TimeoutException>(() => _command.RunAsync(context, CancellationToken.None));
            Assert.Contains("did not finish within 1s", e.Message);
            int child = await Bench.ReadPid(pidFile);
            Assert.True(await Bench.GoneWithin(child, TimeSpan.FromSeconds(5)), $"sleep child {child} still runs");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Cancellation_kills_the_tree_and_reports_cancelled()
    {
        var dir = Directory.CreateTempSubdirectory("sentinel-cmd-");
        try
        {
            var pidFile = Path.Combine(dir.FullName, "child.pid");
            using var cts = new CancellationTokenSource();
            var context = Bench.Context(("command", $"sleep 60 & echo $! > '{pidFile}'; wait"), ("shell", "true"));
            var run = BenchmarkRunner.RunAsync(_command, context, "bench-test", null, cts.Token);
            int child = await Bench.ReadPid(pidFile);
            cts.Cancel();
            var result = await run;
            Assert.Equal(BenchmarkState.Cancelled, result.State);
            Assert.True(await Bench.GoneWithin(child, TimeSpan.FromSeconds(5)), $"sleep child {child} still runs");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Mlc_report_on_stdout_becomes_figures_and_rows()
    {
        var r = await _command.RunAsync(Bench.Context(("command", "cat"), ("arguments", $"\"{TestData.Path("mlc.v3.10.skylake-2node.txt")}\"")), CancellationToken.None);
        Assert.Equal(0, r.Values["exitCode"]);
        Assert.Equal(90.2, r.Values["idleLatencyNs"]);
        Assert.Equal(211194.2, r.Values["allReadsMBs"]);
        Assert.Equal(172770.4, r.Values["streamTriadMBs"]);
        Assert.Equal(4 + 4 + 19, r.Rows.Count);
        Assert.Contains(r.Rows, row => row.TryGetValue("bandwidthMBs", out var bw) && bw == 34290.6 && row["fromNode"] == 0 && row["toNode"] == 1);
        Assert.Null(r.Data);
    }

    [Fact]
    public async Task Output_keeps_the_last_mebibyte_and_says_so()
    {
        var r = await _command.RunAsync(Bench.Context(("command", "head -c 3000000 /dev/zero | tr '\\0' a; printf END"), ("shell", "true")), CancellationToken.None);
        Assert.EndsWith("aaaEND", r.Output);
        Assert.Contains("first 1951427 bytes of stdout were dropped", r.Output);
        Assert.True(r.Output!.Length < CommandBenchmark.OutputLimitBytes + 200);
        Assert.Contains(r.Warnings, w => w.Contains("only the last 1.0 MiB", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stderr_follows_stdout_in_the_output()
    {
        var r = await _command.RunAsync(Bench.Context(("command", "echo out; echo err >&2"), ("shell", "true"), ("workingDirectory", Path.GetTempPath())), CancellationToken.None);
        Assert.Equal("out\n--- stderr ---\nerr\n", r.Output);
        Assert.Equal(Path.GetFullPath(Path.GetTempPath()), r.Parameters["workingDirectory"]);
    }

    [Fact]
    public async Task Bad_parameters_are_refused_before_anything_runs()
    {
        await Assert.ThrowsAsync<BenchmarkParameterException>(() => _command.RunAsync(Bench.Context(("comand", "ls")), CancellationToken.None));
        var missing = await Assert.ThrowsAsync<BenchmarkParameterException>(() => _command.RunAsync(Bench.Context(), CancellationToken.None));
        Assert.Equal("command", missing.Parameter);
        var folder = await Assert.ThrowsAsync<BenchmarkParameterException>(() => _command.RunAsync(Bench.Context(("command", "ls"), ("workingDirectory", "/no/such/folder")), CancellationToken.None));
        Assert.Equal("workingDirectory", folder.Parameter);
        await Assert.ThrowsAsync<BenchmarkParameterException>(() => _command.RunAsync(Bench.Context(("command", "ls"), ("timeout", "soon")), CancellationToken.None));
        var start = await Assert.ThrowsAsync<InvalidOperationException>(() => _command.RunAsync(Bench.Context(("command", "/no/such/program")), CancellationToken.None));
        Assert.Contains("/no/such/program", start.Message);
    }

    [Theory]
    [InlineData("a b   c", new[] { "a", "b", "c" })]
    [InlineData("  -x 'two words' \"say \\\"hi\\\"\" back\\ slash", new[] { "-x", "two words", "say \"hi\"", "back slash" })]
    [InlineData("'' \"\" x", new[] { "", "", "x" })]
    [InlineData("pre'fix'\"ed\" 'a\\b'", new[] { "prefixed", "a\\b" })]
    [InlineData("", new string[0])]
    public void Arguments_split_like_a_shell_for_simple_quoting(string text, string[] expected)
        => Assert.Equal(expected, CommandBenchmark.SplitArguments(text));

    [Theory]
    [InlineData("'open")]
    [InlineData("say \"unclosed")]
    public void Unclosed_quotes_are_a_parameter_error(string text)
        => Assert.Equal("arguments", Assert.Throws<BenchmarkParameterException>(() => CommandBenchmark.SplitArguments(text)).Parameter);
}

[Collection(CpuDiskCommandBenchmarkTests.Collection)]
public class CpuDiskCommandBenchmarkTests_Cpu
{
    private readonly CpuBenchmark _cpu = new();

    [Fact]
    public async Task Short_run_gives_all_six_figures_with_spread_and_echoes_its_parameters()
    {
        var progress = new Bench.Recorder();
        var r = await _cpu.RunAsync(Bench.Context(progress, ("seconds", "0.2"), ("repetitions", "2")), CancellationToken.None);

        Assert.Equal("Cpu", r.Benchmark);
        Assert.Equal("bench-test", r.Machine);
        Assert.Equal(["intSingleMops", "intAllMops", "intScaling", "floatSingleGflops", "floatAllGflops", "floatScaling"], r.Values.Keys);
        Assert.All(r.Values, kv => Assert.True(kv.Value > 0 && double.IsFinite(kv.Value), $"{kv.Key} = {kv.Value}"));
        Assert.Equal(r.Values["intAllMops"] / r.Values["intSingleMops"], r.Values["intScaling"], 9);
        foreach (var key in new[] { "intSingleMops", "intAllMops", "floatSingleGflops", "floatAllGflops" })
        {
            Assert.Equal(2, r.Spread[key].Repetitions);
            Assert.Equal(r.Values[key], r.Spread[key].Max);
            Assert.True(r.Spread[key].Min > 0);
        }
        Assert.Equal(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), r.Parameters["threads"]);
        Assert.Equal("0.2", r.Parameters["seconds"]);
        Assert.Equal("2", r.Parameters["repetitions"]);
        Assert.Equal(CpuBenchmark.FloatKernelName, r.Parameters["floatKernel"]);
        Assert.Equal(8, progress.Seen.Count);
        Assert.Contains(progress.Seen, s => s.Stage.Contains("floating point, 1 thread, repetition 2 of 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_stops_within_a_part()
    {
        using var cts = new CancellationTokenSource();
        // Each part would run 6 s; cancel 100 ms into the first one.
        var progress = new Bench.Recorder { OnReport = _ => cts.CancelAfter(100) };
        var run = _cpu.RunAsync(Bench.Context(progress, ("seconds", "600"), ("repetitions", "100")), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Single(progress.Seen);
    }

    [Theory]
    [InlineData("threads", "0")]
    [InlineData("seconds", "fast")]
    [InlineData("treads", "2")]
    public async Task Bad_parameters_are_refused(string name, string value)
    {
        var e = await Assert.ThrowsAsync<BenchmarkParameterException>(() => _cpu.RunAsync(Bench.Context((name, value)), CancellationToken.None));
        Assert.Equal(name, e.Parameter);
    }
}

[Collection(CpuDiskCommandBenchmarkTests.Collection)]
public sealed class CpuDiskCommandBenchmarkTests_Disk : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("sentinel-disk-test-");

    public void Dispose() => _folder.Delete(recursive: true);

    private (string, string)[] Small(params (string, string)[] more)
        => [("path", _folder.FullName), ("fileBytes", "8M"), ("blockBytes", "1M"), ("randomSeconds", "0.3"), ("queueDepth", "2"), .. more];

    private void AssertNoLeftovers(string? folder = null)
        => Assert.Empty(Directory.EnumerateFileSystemEntries(folder ?? _folder.FullName));

    [Fact]
    public async Task Small_run_gives_every_figure_and_leaves_no_file()
    {
        var progress = new Bench.Recorder();
        var r = await new DiskBenchmark().RunAsync(Bench.Context(progress, Small()), CancellationToken.None);

        Assert.Equal("Disk", r.Benchmark);
        Assert.Equal("bench-test", r.Machine);
        Assert.Equal(["writeMBs", "readMBs", "randomReadIops", "randomReadLatencyUs", "randomWriteIops", "randomWriteLatencyUs"], r.Values.Keys);
        Assert.All(r.Values, kv => Assert.True(kv.Value > 0 && double.IsFinite(kv.Value), $"{kv.Key} = {kv.Value}"));
        Assert.Equal(_folder.FullName, r.Parameters["path"]);
        Assert.Equal((8 << 20).ToString(CultureInfo.InvariantCulture), r.Parameters["fileBytes"]);
        Assert.Equal("2", r.Parameters["queueDepth"]);
        Assert.Equal("0.3", r.Parameters["randomSeconds"]);
        Assert.Contains(r.Parameters["cacheBypass"], new[] { "direct", "fadvise", "none" });
        if (r.Parameters["cacheBypass"] == "none") Assert.NotEmpty(r.Warnings);
        foreach (var stage in new[] { "sequential write", "sequential read", "random 4 KiB reads", "random 4 KiB writes" })
        {
            Assert.Contains(progress.Seen, s => s.Stage.StartsWith(stage, StringComparison.Ordinal));
        }
        Assert.Equal(1.0, progress.Seen[^1].Fraction);
        AssertNoLeftovers();
    }

    [Fact]
    public async Task Without_direct_io_the_cache_is_dropped_with_fadvise()
    {
        var r = await new DiskBenchmark { NoDirectIo = true }.RunAsync(Bench.Context(Small(("randomWrite", "false"))), CancellationToken.None);
        Assert.Equal("fadvise", r.Parameters["cacheBypass"]);
        Assert.Equal(["writeMBs", "readMBs", "randomReadIops", "randomReadLatencyUs"], r.Values.Keys);
        Assert.All(r.Values, kv => Assert.True(kv.Value > 0, kv.Key));
        AssertNoLeftovers();
    }

    [Fact]
    public async Task Cancelling_mid_run_removes_the_test_file()
    {
        using var cts = new CancellationTokenSource();
        bool sawFile = false;
        var progress = new Bench.Recorder
        {
            OnReport = s =>
            {
                if (!s.Stage.StartsWith("random 4 KiB reads", StringComparison.Ordinal) || s.Fraction <= 0.5) return;
                sawFile = Directory.EnumerateFiles(_folder.FullName, "sentinel-disk-*.tmp").Any();
                cts.Cancel();
            },
        };
        // The random reads would run a minute; the cancellation comes 100 ms into them.
        var run = BenchmarkRunner.RunAsync(new DiskBenchmark(), Bench.Context(progress, Small(("randomSeconds", "60"))), "bench-test", null, cts.Token);
        var result = await run;
        Assert.Equal(BenchmarkState.Cancelled, result.State);
        Assert.True(sawFile, "the test file existed while the run went on");
        AssertNoLeftovers();
    }

    [Fact]
    public async Task A_failure_mid_run_removes_the_test_file()
    {
        var disk = new DiskBenchmark { BeforePhase = phase => { if (phase == "read") throw new IOException("disk fell over"); } };
        var result = await BenchmarkRunner.RunAsync(disk, Bench.Context(Small()), "bench-test", null, CancellationToken.None);
        Assert.Equal(BenchmarkState.Failed, result.State);
        Assert.Contains("disk fell over", result.Error);
        AssertNoLeftovers();
    }

    [Fact]
    public async Task File_size_is_cut_to_the_free_space_with_a_warning()
    {
        var disk = new DiskBenchmark { FreeSpace = _ => 20L << 20 };
        var r = await disk.RunAsync(Bench.Context(Small(("fileBytes", "1G"), ("randomSeconds", "0"))), CancellationToken.None);
        Assert.Equal((16L << 20).ToString(CultureInfo.InvariantCulture), r.Parameters["fileBytes"]);
        Assert.Contains(r.Warnings, w => w.Contains("Only 20.0 MiB free", StringComparison.Ordinal) && w.Contains("instead of 1.0 GiB", StringComparison.Ordinal));
        Assert.Equal(["writeMBs", "readMBs"], r.Values.Keys);
        AssertNoLeftovers();
    }

    [Fact]
    public async Task Tmpfs_is_named_as_memory_and_left_clean()
    {
        if (DiskBenchmark.FileSystemType("/dev/shm") != "tmpfs") return; // no tmpfs here to try
        var shm = Directory.CreateDirectory(Path.Combine("/dev/shm", "sentinel-disk-test-" + Guid.NewGuid().ToString("N")));
        try
        {
            var r = await new DiskBenchmark().RunAsync(Bench.Context(("path", shm.FullName), ("fileBytes", "4M"), ("randomSeconds", "0.1")), CancellationToken.None);
            Assert.Equal("none", r.Parameters["cacheBypass"]);
            Assert.Equal("tmpfs", r.Parameters["fileSystem"]);
            Assert.Contains(r.Warnings, w => w.Contains("tmpfs", StringComparison.Ordinal) && w.Contains("memory", StringComparison.Ordinal));
            AssertNoLeftovers(shm.FullName);
        }
        finally
        {
            shm.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("blockBytes", "5000")]
    [InlineData("path", "/no/such/folder")]
    [InlineData("queueDepth", "0")]
    [InlineData("fileSize", "1G")]
    public async Task Bad_parameters_are_refused_before_any_file_is_made(string name, string value)
    {
        var e = await Assert.ThrowsAsync<BenchmarkParameterException>(() => new DiskBenchmark().RunAsync(Bench.Context(Small((name, value))), CancellationToken.None));
        Assert.Equal(name, e.Parameter);
        AssertNoLeftovers();
    }

    [Fact]
    public void A_build_that_cannot_use_the_cpus_fma_says_so_only_when_that_is_the_case()
    {
        using var dir = new FakeRoot();
        var withFma = Path.Combine(dir.Path, "cpuinfo-fma");
        File.WriteAllText(withFma, "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n");
        var without = Path.Combine(dir.Path, "cpuinfo-old");
        File.WriteAllText(without, "processor\t: 0\nflags\t\t: fpu sse2 sse4_2\n");
        bool thisBuildUsesFma = System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx.IsSupported;
        Assert.Equal(!thisBuildUsesFma, CpuBenchmark.CpuHasUnusedFma(withFma));
        Assert.False(CpuBenchmark.CpuHasUnusedFma(without));
        Assert.False(CpuBenchmark.CpuHasUnusedFma(Path.Combine(dir.Path, "missing")));
    }
}
