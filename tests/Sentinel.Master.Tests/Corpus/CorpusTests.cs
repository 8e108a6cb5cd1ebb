using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Sentinel.Protocol;
using Xunit.Abstractions;

namespace Sentinel.Master.Tests;

/// <summary>
/// One master for the whole corpus, with a well-behaved agent beside it and the master's log captured: the
/// hostile inputs must not disturb the good agent, and nothing may reach the log as an unhandled error.
/// </summary>
public sealed class HostileMasterFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<string> _log = new();
    private long _seq;
    private int _cases;
    public MasterServer Master { get; private set; } = null!;
    internal RawPeer Good { get; private set; } = null!;
    public long StartManagedBytes { get; private set; }
    public long StartWorkingSet { get; private set; }

    /// <summary>Log lines that mean the master failed rather than refused.</summary>
    public static readonly Regex Failure = new("error serving|unhandled|exception|viewer update failed", RegexOptions.IgnoreCase);

    public async Task InitializeAsync()
    {
        Master = MasterServer.Start(new MasterOptions { Port = 0, DataPath = _dir.Path, Log = _log.Enqueue, HelloTimeout = TimeSpan.FromSeconds(3) });
        Good = await RawPeer.ConnectAsync(Master.Url);
        await Good.SendHello(RawPeer.HelloFor("corpus-good", "corpus-good-host"));
        Assert.NotNull(await Good.ReceiveType(MessageTypes.Welcome));
        StartManagedBytes = GC.GetTotalMemory(true);
        StartWorkingSet = Process.GetCurrentProcess().WorkingSet64;
    }

    public IEnumerable<string> Failures() => _log.Where(l => Failure.IsMatch(l));

    /// <summary>How many log lines there are now: <see cref="FailuresSince"/> reads the ones after.</summary>
    public int LogMark => _log.Count;

    public List<string> FailuresSince(int mark) => _log.Skip(mark).Where(l => Failure.IsMatch(l)).ToList();

    /// <summary>Every few cases: the master still answers /api/status and acks the good agent's next sample.</summary>
    public async Task AfterCaseAsync(int mark, bool always = false)
    {
        var failures = FailuresSince(mark);
        Assert.True(failures.Count == 0, "the master logged a failure: " + string.Join("\n", failures));
        if (!always && Interlocked.Increment(ref _cases) % 10 != 0) return;
        await AssertServingAsync();
    }

    public async Task AssertServingAsync()
    {
        Assert.Equal(HttpStatusCode.OK, (await Api.Get(Master.Url, "api/status")).StatusCode);
        long seq = Interlocked.Increment(ref _seq);
        await Good.SendSamples(seq);
        Assert.Equal(seq, await Good.ExpectAck(seq));
    }

    public async Task DisposeAsync()
    {
        await Good.DisposeAsync();
        await Master.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>Every case of Corpus/*.jsonl against a real master: each gets its named error, close code or status.</summary>
public class CorpusTests(HostileMasterFixture fixture, ITestOutputHelper output) : IClassFixture<HostileMasterFixture>
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in CorpusCase.Load()) data.Add(c.ToString());
        return data;
    }

    private static readonly Lazy<Dictionary<string, CorpusCase>> ByName = new(() => CorpusCase.Load().ToDictionary(c => c.ToString()));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_hostile_input_gets_its_named_answer(string name)
    {
        var c = ByName.Value[name];
        int mark = fixture.LogMark;
        var outcome = await CorpusRunner.RunAsync(fixture.Master.Url, c);
        output.WriteLine(outcome.ToString());
        Assert.True(CorpusRunner.Mismatch(c, outcome) is null, $"{c}: {CorpusRunner.Mismatch(c, outcome)}");
        await fixture.AfterCaseAsync(mark);
    }

    [Fact]
    public void The_corpus_has_at_least_200_cases_of_every_kind_and_unique_names()
    {
        var all = CorpusCase.Load();
        foreach (var g in all.GroupBy(c => c.To)) output.WriteLine($"{g.Key}: {g.Count()}");
        foreach (var g in all.GroupBy(c => c.File)) output.WriteLine($"{g.Key}: {g.Count()}");
        Assert.True(all.Count >= 200, $"{all.Count} cases");
        Assert.Equal(all.Count, all.Select(c => c.ToString()).Distinct().Count());
        Assert.Equal(["agent", "agent-first", "http", "viewer", "ws-raw"], all.Select(c => c.To).Distinct().Order());
        // Every error code an agent can provoke is provoked at least once.
        var codes = all.Select(c => c.Expect.Error).OfType<string>().ToHashSet();
        foreach (var code in new[] { ErrorCodes.BadJson, ErrorCodes.BadEnvelope, ErrorCodes.UnsupportedVersion, ErrorCodes.UnknownType, ErrorCodes.FrameTooLarge,
                     ErrorCodes.BinaryFrame, ErrorCodes.HelloRequired, ErrorCodes.BadHello, ErrorCodes.BadSample, ErrorCodes.BadResult })
        {
            Assert.Contains(code, codes);
        }
    }
}

/// <summary>
/// The corpus, three times over, against its own master: what a later pass adds to memory is what hostile peers
/// could make the master keep. Small inputs (many connections) and big ones (frames of 1 to 8 MiB) are measured
/// apart: a big frame's send buffer comes from the shared ArrayPool, which keeps some (a bounded cache per thread
/// and core), so the big inputs get a wider bound.
/// </summary>
[Collection(nameof(MeasuresProcessMemory))]
public class CorpusMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Memory_stays_bounded_over_the_whole_corpus()
    {
        var fixture = new HostileMasterFixture();
        await fixture.InitializeAsync();
        try
        {
            var all = CorpusCase.Load();
            var small = all.Where(c => c.Bytes().Length <= 64 * 1024).ToList();
            var big = all.Except(small).ToList();
            var watch = Stopwatch.StartNew();
            var smallHeap = await Passes(fixture, small);
            var bigHeap = await Passes(fixture, big);
            long workingSet;
            using (var p = Process.GetCurrentProcess()) workingSet = p.WorkingSet64;
            output.WriteLine($"{all.Count} cases ({small.Count} small, {big.Count} of 64 KiB to 8 MiB), 3 passes each in {watch.Elapsed.TotalSeconds:0.0} s");
            output.WriteLine($"managed heap: start {fixture.StartManagedBytes / 1e6:0.0} MB; after each small pass {string.Join(", ", smallHeap.Select(m => $"{m / 1e6:0.0}"))} MB; after each big pass {string.Join(", ", bigHeap.Select(m => $"{m / 1e6:0.0}"))} MB");
            output.WriteLine($"working set: start {fixture.StartWorkingSet / 1e6:0.0} MB, at the end {workingSet / 1e6:0.0} MB");
            Assert.Empty(fixture.Failures());
            await fixture.AssertServingAsync();
            Assert.True(smallHeap[2] - smallHeap[1] < 8_000_000, $"the managed heap grew by {(smallHeap[2] - smallHeap[1]) / 1e6:0.0} MB in the third pass of small inputs");
            Assert.True(bigHeap[2] - bigHeap[1] < 64_000_000, $"the managed heap grew by {(bigHeap[2] - bigHeap[1]) / 1e6:0.0} MB in the third pass of big inputs");
            Assert.True(bigHeap[2] - fixture.StartManagedBytes < 256_000_000, $"the managed heap grew by {(bigHeap[2] - fixture.StartManagedBytes) / 1e6:0.0} MB");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static async Task<List<long>> Passes(HostileMasterFixture fixture, List<CorpusCase> cases)
    {
        var heap = new List<long>();
        for (int pass = 0; pass < 3; pass++)
        {
            foreach (var c in cases) await CorpusRunner.RunAsync(fixture.Master.Url, c);
            heap.Add(GC.GetTotalMemory(true));
        }
        return heap;
    }
}

/// <summary>Floods whose every request is different: nothing the master keeps may grow with them.</summary>
public class HostileFloodTests : MasterPerTest
{
    [Fact]
    public async Task Unknown_paths_are_not_remembered()
    {
        // Found by the corpus review: the static-file cache kept a null entry for every path anyone asked for.
        var cache = (System.Collections.ICollection)typeof(MasterServer).Assembly.GetType("Sentinel.Master.StaticFiles")!
            .GetField("Cache", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        await Api.Get(_master.Url, "app.js");
        int before = cache.Count;
        for (int i = 0; i < 2000; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await Api.Get(_master.Url, $"no-such-file-{i}.js")).StatusCode);
        }
        Assert.True(cache.Count <= StaticFilesNames(), $"the static-file cache grew from {before} to {cache.Count} entries for {StaticFilesNames()} files");
    }

    private static int StaticFilesNames() => ((IReadOnlyList<string>)typeof(MasterServer).Assembly.GetType("Sentinel.Master.StaticFiles")!
        .GetProperty("Names", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!.GetValue(null)!).Count;
}

/// <summary>
/// Tests that measure the whole process's managed heap run alone: a test class running beside them (real agents,
/// a Prometheus scrape) holds memory of its own at the moment they measure, and they would blame the master for it.
/// </summary>
[CollectionDefinition(nameof(MeasuresProcessMemory), DisableParallelization = true)]
public sealed class MeasuresProcessMemory;
