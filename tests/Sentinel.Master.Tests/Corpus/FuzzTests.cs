using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Sentinel.Master.Tests;

/// <summary>
/// Mutates the corpus's seeds (bit flips, truncation, splicing, type swaps, number extremes, unicode junk, nesting)
/// and sends them to a real master. Every input must get an answer (an error frame, a close with a code, an HTTP
/// status below 500) within a bounded wait, the master must log no failure, and the good agent beside it keeps
/// getting its samples acked. Deterministic: SENTINEL_FUZZ_SEED picks the seed, SENTINEL_FUZZ_CASES the budget.
/// A failure prints the input as a corpus line to paste into Corpus/*.jsonl.
/// </summary>
public class FuzzTests(HostileMasterFixture fixture, ITestOutputHelper output) : IClassFixture<HostileMasterFixture>
{
    private static readonly int[] CloseCodes = [1000, 1002, 1003, 1007, 1008, 1009, 1013];

    [Fact]
    public async Task Mutated_corpus_inputs_are_all_answered_and_nothing_breaks()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("SENTINEL_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261124;
        int budget = int.TryParse(Environment.GetEnvironmentVariable("SENTINEL_FUZZ_CASES"), CultureInfo.InvariantCulture, out var b) ? b : 1000;
        output.WriteLine($"fuzz seed {seed}, {budget} cases (override with SENTINEL_FUZZ_SEED and SENTINEL_FUZZ_CASES)");
        var seeds = CorpusCase.Load().Where(c => c.Repeat is null && c.Frames is null && c.Count == 1 && !c.Binary
            && c.To is "agent-first" or "agent" or "viewer" or "http").ToList();
        var random = new Random(seed);
        var failures = new List<string>();
        var byKind = new Dictionary<string, int>();
        var answers = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        int run = 0;
        for (int i = 0; i < budget && failures.Count < 10; i++, run++)
        {
            var origin = seeds[random.Next(seeds.Count)];
            var input = Mutate(random, origin.Bytes(), seeds[random.Next(seeds.Count)].Bytes(), origin.To == "http");
            byKind[origin.To] = byKind.GetValueOrDefault(origin.To) + 1;
            int mark = fixture.LogMark;
            string? problem;
            try
            {
                if (origin.To == "http")
                {
                    (problem, var status) = await Http(fixture.Master.Url, input);
                    var ascii = Encoding.Latin1.GetString(input);
                    if (problem is null && status.StartsWith("closed", StringComparison.Ordinal) && ascii.Contains("\r\n\r\n", StringComparison.Ordinal)
                        && !ascii.Contains("content-length", StringComparison.OrdinalIgnoreCase))
                    {
                        problem = "a whole head without a body got no answer";
                    }
                    Tally(answers, $"http {status}");
                }
                else
                {
                    var o = await CorpusRunner.RunAsync(fixture.Master.Url, origin.To, [input], binary: false);
                    Tally(answers, $"{origin.To} {(o.Close is { } code ? $"close {code}" : "open")} {string.Join("+", o.Errors.Distinct())}".TrimEnd());
                    problem = Judge(origin.To, o);
                }
            }
            catch (Exception e)
            {
                problem = "the test client failed: " + e.Message;
            }
            var logged = fixture.FailuresSince(mark);
            if (logged.Count > 0) problem = (problem is null ? "" : problem + "; ") + "the master logged: " + string.Join(" | ", logged);
            if (problem is not null)
            {
                var line = $"{{\"name\":\"fuzz {seed}/{i} from {origin.Name.Replace("\"", "'", StringComparison.Ordinal)}\",\"to\":\"{origin.To}\",\"base64\":\"{Convert.ToBase64String(input)}\",\"expect\":{{}}}}";
                failures.Add($"case {i} (seed {seed}) from '{origin}': {problem}\n  corpus line: {line}");
            }
            if (i % 50 == 49) await fixture.AssertServingAsync();
        }
        await fixture.AssertServingAsync();
        output.WriteLine($"{run} cases in {watch.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", byKind.Select(kv => $"{kv.Key} {kv.Value}"))}");
        output.WriteLine("answers: " + string.Join("; ", answers.Select(kv => $"{kv.Key}: {kv.Value}")));
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string? Judge(string to, CorpusOutcome o)
    {
        if (o.Note.Length > 0) return o.Note + $" ({o})";
        if (!o.Open && o.Close is null) return $"neither open nor closed with a code ({o})";
        if (o.Close is { } code && !CloseCodes.Contains(code)) return $"closed with an undocumented code {code} ({o})";
        if (to != "viewer" && o.Close is { } c && c != 1000 && o.Errors.Count == 0 && c is not (1002 or 1007)) return $"closed {c} without naming why ({o})";
        return null;
    }

    private static void Tally(IDictionary<string, int> counts, string key) => counts[key] = counts.TryGetValue(key, out var n) ? n + 1 : 1;

    private static async Task<(string? Problem, string Status)> Http(Uri master, byte[] request)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(master.Host, master.Port);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await s.SendAsync(request, SocketFlags.None, deadline.Token);
            s.Shutdown(SocketShutdown.Send); // a cut-off head or body ends here instead of waiting for the server's timeout
        }
        catch (SocketException)
        {
        }
        var got = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0) got.Write(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            return ("no end within 15 s", "none");
        }
        catch (SocketException)
        {
        }
        var text = Encoding.ASCII.GetString(got.ToArray());
        var lines = text.Split("\r\n").Where(l => l.StartsWith("HTTP/1.1 ", StringComparison.Ordinal)).ToList();
        // 505 (a mangled version) is a refusal; 500 is the master failing.
        if (lines.FirstOrDefault(l => l.StartsWith("HTTP/1.1 500", StringComparison.Ordinal)) is { } failed) return ($"answered '{failed}'", "500");
        return (null, lines.Count == 0 ? "closed without an answer" : lines[0][9..12]);
    }

    private static readonly string[] Values =
    [
        "1", "-1", "0", "1.5", "1e400", "-1e400", "9223372036854775808", "-9223372036854775809", "2147483648", "\"NaN\"", "\"Infinity\"", "NaN",
        "null", "true", "[]", "{}", "\"\"", "\"x\"", "[[[[[[[[]]]]]]]]", "\"\\ud800\"", "\"\\u0000\"", "\"\u202e\"", "\"<img src=x onerror=alert(1)>\"", "\"$(id)\"",
    ];

    private static readonly string[] Junk = ["\u202e", "\\u0000", "\\ud800", "\\udfff", "\u0000", "\uffff", "\ud83d\ude00", "\"", "\\", "\r\n", "%00", "%2e%2e/", "\u00e9"];

    /// <summary>One to three mutations of <paramref name="input"/>.</summary>
    internal static byte[] Mutate(Random r, byte[] input, byte[] other, bool http)
    {
        var bytes = input.ToList();
        int rounds = 1 + r.Next(3);
        for (int k = 0; k < rounds; k++)
        {
            switch (r.Next(http ? 5 : 9))
            {
                case 0: // bit flips
                    for (int j = 0, n = 1 + r.Next(4); j < n && bytes.Count > 0; j++) bytes[r.Next(bytes.Count)] ^= (byte)(1 << r.Next(8));
                    break;
                case 1: // truncation
                    if (bytes.Count > 1) { int cut = 1 + r.Next(bytes.Count - 1); bytes.RemoveRange(cut, bytes.Count - cut); }
                    break;
                case 2: // splice a piece of another seed in
                    if (other.Length > 0)
                    {
                        int from = r.Next(other.Length), len = Math.Min(other.Length - from, 1 + r.Next(40));
                        bytes.InsertRange(r.Next(bytes.Count + 1), other.AsSpan(from, len).ToArray());
                    }
                    break;
                case 3: // unicode junk (as raw UTF-8, which may also be invalid)
                    bytes.InsertRange(r.Next(bytes.Count + 1), r.Next(4) == 0 ? [0xff, 0xc0, 0xae] : Encoding.UTF8.GetBytes(Junk[r.Next(Junk.Length)]));
                    break;
                case 4: // a byte duplicated or deleted
                    if (bytes.Count > 0) { int at = r.Next(bytes.Count); if (r.Next(2) == 0) bytes.RemoveAt(at); else bytes.Insert(at, bytes[at]); }
                    break;
                default: // JSON-aware: swap a value, an extreme number, a duplicate key, deeper nesting
                    bytes = JsonMutation(r, Encoding.UTF8.GetString(bytes.ToArray())).ToList();
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static byte[] JsonMutation(Random r, string text)
    {
        var values = System.Text.RegularExpressions.Regex.Matches(text, "(?<=:)(\"(?:[^\"\\\\]|\\\\.)*\"|-?[0-9][0-9.eE+-]*|true|false|null|\\{\\}|\\[\\])");
        switch (r.Next(4))
        {
            case 0 when values.Count > 0: // type swap or number extreme
                var m = values[r.Next(values.Count)];
                return Encoding.UTF8.GetBytes(text[..m.Index] + Values[r.Next(Values.Length)] + text[(m.Index + m.Length)..]);
            case 1: // duplicate key
                var keys = System.Text.RegularExpressions.Regex.Matches(text, "\"[A-Za-z]+\":(\"[^\"]*\"|[0-9]+|true|false|null)");
                if (keys.Count == 0) break;
                var k = keys[r.Next(keys.Count)];
                return Encoding.UTF8.GetBytes(text[..k.Index] + k.Value + "," + text[k.Index..]);
            case 2 when values.Count > 0: // nesting around a value
                var v = values[r.Next(values.Count)];
                int depth = 1 + r.Next(r.Next(2) == 0 ? 70 : 5000);
                return Encoding.UTF8.GetBytes(text[..v.Index] + new string('[', depth) + v.Value + new string(']', depth) + text[(v.Index + v.Length)..]);
        }
        // a long string somewhere
        int at = text.IndexOf("\":\"", StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(at < 0 ? text : text[..(at + 3)] + new string('x', 300) + text[(at + 3)..]);
    }
}
