using Sentinel.Agent;

namespace Sentinel.Tests;

public class AgentPartsTests
{
    [Fact]
    public void Slurm_jobs_tag_themselves_from_the_environment()
    {
        var env = new Dictionary<string, string>
        {
            ["SLURM_JOB_ID"] = "4711", ["SLURMD_NODENAME"] = "cn042", ["SLURM_ARRAY_JOB_ID"] = "4700", ["SLURM_ARRAY_TASK_ID"] = "11", ["SLURM_CLUSTER_NAME"] = "hpc1",
        };
        var tags = HostIdentity.SlurmTags(env.GetValueOrDefault);
        Assert.Equal("4711", tags["slurm_job"]);
        Assert.Equal("cn042", tags["slurm_node"]);
        Assert.Equal("4700", tags["slurm_array_job"]);
        Assert.Equal("11", tags["slurm_array_task"]);
        Assert.Equal("hpc1", tags["slurm_cluster"]);
        Assert.Equal("99", HostIdentity.SlurmTags(new Dictionary<string, string> { ["SLURM_JOBID"] = "99" }.GetValueOrDefault)["slurm_job"]); // older Slurm
        Assert.Empty(HostIdentity.SlurmTags(_ => null));
    }

    [Fact]
    public void The_buffer_drops_the_oldest_when_full_and_counts_them()
    {
        var buffer = new SampleBuffer(capacity: 5);
        for (long seq = 1; seq <= 8; seq++) buffer.Add(seq, [(byte)seq]);
        Assert.Equal(5, buffer.Count);
        Assert.Equal(3, buffer.Dropped);
        Assert.Equal(4, buffer.OldestSeq);
        Assert.Equal([4L, 5, 6, 7, 8], buffer.TakeAfter(0, int.MaxValue).Select(x => x.Seq));
        buffer.AckUpTo(6);
        Assert.Equal([7L, 8], buffer.TakeAfter(0, int.MaxValue).Select(x => x.Seq));
        Assert.Equal([8L], buffer.TakeAfter(7, int.MaxValue).Select(x => x.Seq));
    }

    [Fact]
    public void Batches_stop_near_the_byte_budget_but_always_carry_one_sample()
    {
        var buffer = new SampleBuffer(100);
        for (long seq = 1; seq <= 10; seq++) buffer.Add(seq, new byte[100]);
        Assert.Equal(3, buffer.TakeAfter(0, 350).Count);
        Assert.Single(buffer.TakeAfter(0, 10)); // a sample larger than the budget still goes, alone
    }

    [Fact]
    public void The_default_buffer_holds_at_least_an_hour()
    {
        Assert.Equal(3600, new AgentOptions { Master = new Uri("http://m:1"), Interval = TimeSpan.FromSeconds(1) }.Capacity);
        Assert.Equal(7200, new AgentOptions { Master = new Uri("http://m:1"), Interval = TimeSpan.FromMilliseconds(500) }.Capacity);
        Assert.Equal(3600, new AgentOptions { Master = new Uri("http://m:1"), Interval = TimeSpan.FromSeconds(10) }.Capacity); // never fewer than 3,600
    }

    [Fact]
    public void Backoff_grows_to_its_cap_with_full_jitter()
    {
        var b = TimeSpan.FromSeconds(1);
        var cap = TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Ceiling(0, b, cap));
        Assert.Equal(TimeSpan.FromSeconds(8), Backoff.Ceiling(3, b, cap));
        Assert.Equal(cap, Backoff.Ceiling(10, b, cap));
        Assert.Equal(cap, Backoff.Ceiling(1000, b, cap));
        var random = new Random(42);
        var draws = Enumerable.Range(0, 2000).Select(_ => Backoff.Delay(4, b, cap, random).TotalSeconds).ToList();
        Assert.All(draws, d => Assert.InRange(d, 0, 16));
        // Full jitter: draws spread over the whole range, not bunched at the ceiling.
        Assert.InRange(draws.Average(), 7, 9);
        Assert.True(draws.Count(d => d < 4) > 300 && draws.Count(d => d > 12) > 300);
    }

    [Fact]
    public void The_agent_endpoint_follows_the_master_url()
    {
        Assert.Equal("ws://login01:8080/ws/agent", new AgentOptions { Master = new Uri("http://login01:8080") }.AgentEndpoint.ToString());
        Assert.Equal("wss://m.example:443/ws/agent", new AgentOptions { Master = new Uri("https://m.example") }.AgentEndpoint.ToString().Replace("m.example/", "m.example:443/"));
        Assert.Equal("ws://h:1/sentinel/ws/agent", new AgentOptions { Master = new Uri("http://h:1/sentinel/") }.AgentEndpoint.ToString());
    }

    [Theory]
    [InlineData("1s", 1)]
    [InlineData("500ms", 0.5)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("1d", 86400)]
    [InlineData("1.5", 1.5)]
    [InlineData("PT1M", 60)]
    public void Durations_parse_as_typed(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var d));
        Assert.Equal(seconds, d.TotalSeconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1s")]
    [InlineData("0")]
    [InlineData("1x")]
    public void Durations_refuse_nonsense(string text) => Assert.False(Durations.TryParse(text, out _));

    [Theory]
    [InlineData(0.1, "100ms")]
    [InlineData(1.5, "1.5s")]
    [InlineData(90, "90s")]
    [InlineData(120, "2m")]
    [InlineData(3600, "1h")]
    [InlineData(172800, "2d")]
    public void Durations_format_in_the_shortest_form_that_reads_back(double seconds, string text)
    {
        Assert.Equal(text, Durations.Format(TimeSpan.FromSeconds(seconds)));
        Assert.True(Durations.TryParse(text, out var back));
        Assert.Equal(seconds, back.TotalSeconds, 6);
    }

    [Fact]
    public void An_agent_refuses_an_interval_outside_100ms_to_1h()
    {
        Assert.Null(AgentOptions.IntervalProblem(TimeSpan.FromMilliseconds(100)));
        Assert.Null(AgentOptions.IntervalProblem(TimeSpan.FromHours(1)));
        Assert.Equal("50ms is outside 100ms to 1h", AgentOptions.IntervalProblem(TimeSpan.FromMilliseconds(50)));
        Assert.Contains("2h", AgentOptions.IntervalProblem(TimeSpan.FromHours(2)));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SentinelAgent(new AgentOptions { Master = new Uri("http://m:1"), Interval = TimeSpan.Zero }, new NullSource()));
        Assert.Contains("interval: 0ms is outside", e.Message);
    }

    private sealed class NullSource : Sentinel.Collectors.ISampleSource
    {
        public Inventory Inventory { get; } = new() { HostName = "x" };
        public MachineSample? Next() => null;
    }
}
