using Sentinel.Benchmarks;

namespace Sentinel.Tests;

/// <summary>Intel MLC reports captured from public sources (each fixture names its source in its header).</summary>
public class MlcParserTests
{
    private static MlcReport Parse(string fixture)
    {
        var text = TestData.Text(fixture);
        Assert.True(MlcParser.LooksLikeMlc(text));
        return MlcParser.Parse(text);
    }

    private static List<Dictionary<string, double>> RowsWith(MlcReport r, string key) => r.Rows.Where(row => row.ContainsKey(key) && row.ContainsKey("fromNode")).ToList();

    [Fact]
    public void Default_run_with_tabs_gives_every_section()
    {
        var r = Parse("mlc.v3.10.skylake-2node.txt");

        Assert.Equal(90.2, r.Values["idleLatencyNs"]);
        Assert.Equal(211194.2, r.Values["allReadsMBs"]);
        Assert.Equal(193422.0, r.Values["reads3to1MBs"]);
        Assert.Equal(192554.0, r.Values["reads2to1MBs"]);
        Assert.Equal(185556.1, r.Values["reads1to1MBs"]);
        Assert.Equal(172770.4, r.Values["streamTriadMBs"]);
        Assert.Equal(50.5, r.Values["l2HitLatencyNs"]);
        Assert.Equal(49.9, r.Values["l2HitmLatencyNs"]);

        var latency = RowsWith(r, "latencyNs");
        Assert.Equal(4, latency.Count);
        Assert.Equal([(0d, 0d, 90.2), (0, 1, 144.3), (1, 0, 143.2), (1, 1, 89.1)], latency.Select(x => (x["fromNode"], x["toNode"], x["latencyNs"])));

        var bandwidth = RowsWith(r, "bandwidthMBs");
        Assert.Equal([(0d, 0d, 104362.2), (0, 1, 34290.6), (1, 0, 34283.3), (1, 1, 106028.4)], bandwidth.Select(x => (x["fromNode"], x["toNode"], x["bandwidthMBs"])));

        var loaded = r.Rows.Where(x => x.ContainsKey("injectDelay")).ToList();
        Assert.Equal(19, loaded.Count);
        Assert.Equal((0d, 166.18, 210643.1), (loaded[0]["injectDelay"], loaded[0]["latencyNs"], loaded[0]["bandwidthMBs"]));
        Assert.Equal((300d, 105.64, 79347.3), (loaded[7]["injectDelay"], loaded[7]["latencyNs"], loaded[7]["bandwidthMBs"]));
        Assert.Equal((20000d, 91.66, 2027.6), (loaded[^1]["injectDelay"], loaded[^1]["latencyNs"], loaded[^1]["bandwidthMBs"]));

        // The cache-to-cache matrices (with '-' on the diagonal) are not mistaken for anything.
        Assert.Equal(4 + 4 + 19, r.Rows.Count);
    }

    [Theory]
    [InlineData("mlc.v3.10.idle-latency.txt", 12.5, 31.1)]
    [InlineData("mlc.v3.11b.idle-latency.txt", 75.8, 318.3)]
    [InlineData("mlc.v3.5.idle-latency.txt", 80.7, 201.7)]
    public void Idle_latency_only_runs_in_each_wording(string fixture, double ns, double clocks)
    {
        var r = Parse(fixture);
        Assert.Equal(ns, r.Values["idleLatencyNs"]);
        Assert.Equal(clocks, r.Values["idleLatencyClocks"]);
        Assert.Empty(r.Rows);
        Assert.Equal(2, r.Values.Count);
    }

    [Fact]
    public void Latency_matrix_takes_node_0_local_as_the_idle_latency()
    {
        var r = Parse("mlc.v3.5.latency-matrix.txt");
        Assert.Equal(81.1, r.Values["idleLatencyNs"]);
        Assert.Equal([(0d, 0d, 81.1), (0, 1, 144.5), (1, 0, 139.6), (1, 1, 72.7)], r.Rows.Select(x => (x["fromNode"], x["toNode"], x["latencyNs"])));
    }

    [Fact]
    public void Max_bandwidth_with_two_decimals()
    {
        var r = Parse("mlc.v3.5.max-bandwidth.txt");
        Assert.Equal(131333.24, r.Values["allReadsMBs"]);
        Assert.Equal(109840.77, r.Values["reads3to1MBs"]);
        Assert.Equal(106802.71, r.Values["reads2to1MBs"]);
        Assert.Equal(89597.48, r.Values["reads1to1MBs"]);
        Assert.Equal(108473.33, r.Values["streamTriadMBs"]);
        Assert.Equal(5, r.Values.Count);
        Assert.Empty(r.Rows);
    }

    [Fact]
    public void Single_socket_memory_node_headings_and_loaded_latency()
    {
        var r = Parse("mlc.v3.5.single-socket.txt");
        Assert.Equal(93.1, r.Values["idleLatencyNs"]);
        var bw = Assert.Single(RowsWith(r, "bandwidthMBs"));
        Assert.Equal((0d, 0d, 28157.2), (bw["fromNode"], bw["toNode"], bw["bandwidthMBs"]));
        var lat = Assert.Single(RowsWith(r, "latencyNs"));
        Assert.Equal(93.1, lat["latencyNs"]);
        var loaded = r.Rows.Where(x => x.ContainsKey("injectDelay")).ToList();
        Assert.Equal(19, loaded.Count);
        Assert.Equal((50d, 139.83, 28419.1), (loaded[4]["injectDelay"], loaded[4]["latencyNs"], loaded[4]["bandwidthMBs"]));
        Assert.Equal((20000d, 93.43, 851.7), (loaded[^1]["injectDelay"], loaded[^1]["latencyNs"], loaded[^1]["bandwidthMBs"]));
    }

    [Fact]
    public void Windows_line_ends_and_a_missing_banner_are_fine()
    {
        var text = "Measuring Peak Injection Memory Bandwidths for the system\r\nALL Reads        :      33691.53\r\nStream-triad like:      30503.68\r\n";
        Assert.True(MlcParser.LooksLikeMlc(text));
        var r = MlcParser.Parse(text);
        Assert.Equal(33691.53, r.Values["allReadsMBs"]);
        Assert.Equal(30503.68, r.Values["streamTriadMBs"]);
    }

    [Theory]
    [InlineData("{\"a\": 1}")]
    [InlineData("hello world\n")]
    [InlineData("")]
    public void Other_text_is_not_mlc(string text)
    {
        Assert.False(MlcParser.LooksLikeMlc(text));
        Assert.False(MlcParser.Parse(text).Found);
    }

    [Theory]
    [InlineData("ALL Reads", "allReadsMBs")]
    [InlineData("3:1 Reads-Writes", "reads3to1MBs")]
    [InlineData("Stream-triad like", "streamTriadMBs")]
    [InlineData("All NT writes", "allNtWritesMBs")]
    public void Ratio_labels_become_camel_case_keys_with_units(string label, string key)
        => Assert.Equal(key, MlcParser.RatioKey(label));
}
