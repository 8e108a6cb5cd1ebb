using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sentinel.Json;
using Sentinel.Master;
using Sentinel.Master.Metrics;
using Sentinel.Master.Storage;

namespace Sentinel.Bench;

/// <summary>
/// What one Prometheus scrape of /metrics costs the master at N machines (the fleet bench's realistic sample: 8 cores,
/// 2 file systems, a disk, 3 interfaces), in this process: rendering the text, and gzip as Prometheus asks for it,
/// against the reference of serialising the same machines as GET /api/machines does. Best of five each.
/// </summary>
internal static class MetricsRender
{
    public static void Run(string[] args)
    {
        var counts = args.Length > 0 ? args[0].Split(',').Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1000, 4000, 10000];
        var template = new FleetSample();
        Console.WriteLine("metrics-render: /metrics' machine families for N machines of the fleet bench's sample, against GET /api/machines' JSON of the same machines; best of 5");
        Console.WriteLine($"{"N",6} {"render ms",10} {"MB",7} {"series",8} {"B/machine",10} {"gzip ms",8} {"gz MB",7} {"api/machines ms",16} {"MB",7} {"ratio",7}");
        foreach (int n in counts)
        {
            var stored = Enumerable.Range(0, n).Select(i => new StoredMachine(i + 1, $"node{i:D5}", "h" + i, "0.1.0",
                FleetSample.Hello($"node{i:D5}", "h" + i).Inventory, new() { ["slurm_job"] = "12345", ["rack"] = "r" + i % 40 }, 1, DateTimeOffset.UtcNow,
                template.Next(DateTimeOffset.UtcNow, i))).ToList();
            var fleet = new FleetState(TimeProvider.System, 3, stored);
            ReadOnlyMemory<byte> text = default;
            double render = Best(() =>
            {
                var w = new PrometheusWriter();
                PrometheusExporter.WriteFleet(w, fleet.ExportView(), []);
                text = w.Utf8;
            });
            long zipped = 0;
            double gzip = Best(() =>
            {
                var ms = new MemoryStream();
                using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(text.Span);
                zipped = ms.Length;
            });
            byte[] json = [];
            double api = Best(() => json = JsonSerializer.SerializeToUtf8Bytes(fleet.Snapshot("http://127.0.0.1:8080"), SentinelJsonContext.Default.ListMachine));
            int series = text.Span.Count((byte)'\n') - 2 * CountFamilies(text.Span);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,6} {render,10:0.0} {text.Length / 1e6,7:0.00} {series,8} {text.Length / (double)n,10:0} {gzip,8:0.0} {zipped / 1e6,7:0.00} {api,16:0.0} {json.Length / 1e6,7:0.00} {render / api,6:0.00}x"));
        }
    }

    private static int CountFamilies(ReadOnlySpan<byte> text)
    {
        int n = 0;
        foreach (var line in System.Text.Encoding.UTF8.GetString(text).Split('\n')) if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) n++;
        return n;
    }

    private static double Best(Action action)
    {
        action(); // warm-up
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var w = Stopwatch.StartNew();
            action();
            best = Math.Min(best, w.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
