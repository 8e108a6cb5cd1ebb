using System.Diagnostics;
using Sentinel.Collectors;
using Sentinel.Collectors.Gpu;
using Sentinel.Collectors.Linux;

namespace Sentinel.Tests;

/// <summary>
/// nvidia-smi is the edge of the machine: there is no GPU here, so a stand-in script prints output
/// captured in real nvidia-smi formats, and the real process-running and parsing code reads it.
/// </summary>
public class NvidiaSmiTests
{
    [Fact]
    public void Parses_several_gpus_with_units_converted()
    {
        var gpus = NvidiaSmi.Parse(TestData.Text("nvidia-smi.4xA100.csv"));
        Assert.Equal([0, 1, 2, 3], gpus.Select(g => g.Index));
        var g1 = gpus[1];
        Assert.Equal("NVIDIA A100-SXM4-80GB", g1.Name);
        Assert.Equal("GPU-7e8f9a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b", g1.Uuid);
        Assert.Equal(100, g1.UtilizationPercent);
        Assert.Equal(80011L * 1024 * 1024, g1.MemoryUsedBytes);
        Assert.Equal(81920L * 1024 * 1024, g1.MemoryTotalBytes);
        Assert.Equal(64, g1.TemperatureCelsius);
        Assert.Equal(389.12, g1.PowerDrawWatts);
        Assert.Equal(400, g1.PowerLimitWatts);
        Assert.Equal("535.129.03", g1.DriverVersion);
        Assert.Equal(100.0 * 80011 / 81920, g1.ToSample().MemoryUsedPercent!.Value, 6);
    }

    [Fact]
    public void Not_available_and_not_supported_fields_are_null_and_the_rest_still_parse()
    {
        var gpus = NvidiaSmi.Parse(TestData.Text("nvidia-smi.geforce-na.csv"));
        Assert.Equal(2, gpus.Count);
        var rtx = gpus[0];
        Assert.Null(rtx.UtilizationPercent);
        Assert.Null(rtx.PowerDrawWatts);
        Assert.Equal(9029L * 1024 * 1024, rtx.MemoryUsedBytes);
        Assert.Equal(54, rtx.TemperatureCelsius);
        var gtx = gpus[1];
        Assert.Equal("GeForce GTX 770", gtx.Name);
        Assert.Null(gtx.UtilizationPercent);
        Assert.Null(gtx.MemoryUsedBytes);
        Assert.Null(gtx.ToSample().MemoryUsedPercent);
        Assert.Equal(2048L * 1024 * 1024, gtx.MemoryTotalBytes);
        Assert.Equal(52, gtx.TemperatureCelsius);
    }

    [Fact]
    public void The_driver_failure_message_is_no_gpus()
        => Assert.Empty(NvidiaSmi.Parse(TestData.Text("nvidia-smi.failed.txt")));

    [Fact]
    public void Runs_the_program_with_the_query_and_reads_what_it_prints()
    {
        using var dir = new FakeRoot();
        var exe = StandIn(dir, $"""
            [ "$1" = "--query-gpu={NvidiaSmi.QueryFields}" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 3
            cat '{TestData.Path("nvidia-smi.4xA100.csv")}'
            """);
        var smi = new NvidiaSmi(exe);
        Assert.True(smi.Available);
        Assert.Equal(4, smi.Query().Count);
    }

    [Fact]
    public void A_failing_program_means_no_gpus()
    {
        using var dir = new FakeRoot();
        var exe = StandIn(dir, $"cat '{TestData.Path("nvidia-smi.failed.txt")}'; exit 9");
        Assert.Empty(new NvidiaSmi(exe).Query());
    }

    [Fact]
    public void A_hung_program_is_abandoned_after_the_timeout()
    {
        using var dir = new FakeRoot();
        var exe = StandIn(dir, "sleep 60");
        var watch = Stopwatch.StartNew();
        Assert.Empty(new NvidiaSmi(exe, TimeSpan.FromMilliseconds(300)).Query());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the query waited for the hung program instead of giving up");
    }

    [Fact]
    public void No_program_on_the_path_is_not_an_error()
    {
        Assert.Null(NvidiaSmi.FindOnPath("nvidia-smi-that-does-not-exist"));
        var smi = new NvidiaSmi("/nonexistent/nvidia-smi");
        Assert.Empty(smi.Query());
    }

    [Fact]
    public void Gpus_reach_the_sample_and_the_inventory()
    {
        using var dir = new FakeRoot();
        var exe = StandIn(dir, $"cat '{TestData.Path("nvidia-smi.4xA100.csv")}'");
        using var root = new FakeRoot().Write("proc/stat", "cpu  1 0 1 1 0 0 0 0 0 0\n").Write("proc/meminfo", "MemTotal: 1000 kB\n");
        var time = new ManualTime();
        using var sampler = new Sampler(new LinuxReader(root.Path, new NvidiaSmi(exe), _ => null), time);
        sampler.Next();
        time.Advance(TimeSpan.FromSeconds(1));
        var s = sampler.Next()!;
        Assert.Equal(4, s.Gpus.Count);
        Assert.Equal((98 + 100 + 0 + 0) / 4.0, s.GpuUtilizationPercent);
        Assert.Equal(4, sampler.Inventory.Gpus.Count);
        Assert.Equal("535.129.03", sampler.Inventory.Gpus[0].DriverVersion);
    }

    private static string StandIn(FakeRoot dir, string body)
    {
        var path = Path.Combine(dir.Path, "nvidia-smi");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
