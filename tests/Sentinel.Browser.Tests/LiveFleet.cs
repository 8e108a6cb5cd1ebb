using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Sentinel.Agent;
using Sentinel.Collectors;
using Sentinel.Json;
using Sentinel.Master;

namespace Sentinel.Browser.Tests;

/// <summary>
/// A real master on 127.0.0.1 (ephemeral port, temporary data folder) and real agents in this process, each
/// reporting synthetic samples: what the live page is tested against.
/// </summary>
public sealed class LiveFleet : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _data = Directory.CreateTempSubdirectory("sentinel-page-").FullName;
    private readonly List<SentinelAgent> _agents = [];
    private readonly Dictionary<string, SentinelAgent> _byName = [];

    public MasterServer Master { get; }
    public Uri Url => Master.Url;

    private LiveFleet(Func<MasterOptions, MasterOptions>? tweak = null)
    {
        var options = new MasterOptions { Address = IPAddress.Loopback, Port = 0, DataPath = _data };
        Master = MasterServer.Start(tweak?.Invoke(options) ?? options);
    }

    /// <summary>A master and one agent per name, each sampling every <paramref name="interval"/>, all online when this returns.</summary>
    public static async Task<LiveFleet> StartAsync(IEnumerable<string> names, TimeSpan? interval = null, TimeSpan? onlineWithin = null,
        Func<MasterOptions, MasterOptions>? options = null)
    {
        var fleet = new LiveFleet(options);
        var list = names.ToList();
        foreach (var name in list) fleet.AddAgent(name, interval ?? TimeSpan.FromSeconds(1));
        await fleet.WaitOnlineAsync(list.Count, onlineWithin ?? TimeSpan.FromSeconds(30));
        return fleet;
    }

    public void AddAgent(string name, TimeSpan interval, IReadOnlyList<string>? allowCommands = null)
    {
        var agent = new SentinelAgent(new AgentOptions
        {
            Master = Url, Name = name, HostId = "host-" + name, Interval = interval, AllowCommands = allowCommands ?? [],
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(2),
        }, new SimSource(name));
        lock (_agents)
        {
            _agents.Add(agent);
            _byName[name] = agent;
        }
        agent.Start();
    }

    /// <summary>Stops the agent named <paramref name="name"/> (it says goodbye: its machine goes offline at once).</summary>
    public Task StopAgentAsync(string name)
    {
        SentinelAgent agent;
        lock (_agents) agent = _byName[name];
        return agent.StopAsync();
    }

    public async Task<List<Machine>> MachinesAsync()
        => (await Http.GetFromJsonAsync(new Uri(Url, "api/machines"), SentinelJsonContext.Default.ListMachine))!;

    public async Task WaitOnlineAsync(int count, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        int online = 0;
        while (watch.Elapsed < timeout)
        {
            online = (await MachinesAsync()).Count(m => m.Status == MachineStatus.Online && m.Latest is not null);
            if (online >= count) return;
            await Task.Delay(200);
        }
        Assert.Fail($"only {online} of {count} agents were online with a sample after {timeout.TotalSeconds} s");
    }

    public async ValueTask DisposeAsync()
    {
        SentinelAgent[] agents;
        lock (_agents) agents = [.. _agents];
        await Task.WhenAll(agents.Select(async a =>
        {
            try { await a.DisposeAsync(); } catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException) { }
        }));
        await Master.DisposeAsync();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}

/// <summary>
/// Samples that look like a machine's: CPU on a slow wave with noise, memory, network and (for some names) a GPU,
/// per-core figures and a file system; the inventory varies by name so the hardware overview has something to count.
/// </summary>
internal sealed class SimSource : ISampleSource
{
    private static readonly string[] CpuModels = ["AMD EPYC 9654 96-Core Processor", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "AMD EPYC 7763 64-Core Processor"];
    private readonly Random _random;
    private readonly double _phase;
    private readonly bool _gpu;
    private readonly int _cores;
    private int _n;

    public SimSource(string name)
    {
        int hash = StableHash(name);
        _random = new Random(hash);
        _phase = hash % 628 / 100.0;
        _gpu = hash % 3 == 0;
        _cores = 4 << (hash % 3);
        Inventory = new Inventory
        {
            HostName = "sim-" + hash % 10000,
            OperatingSystem = "Debian GNU/Linux 12 (bookworm)",
            KernelVersion = "6.1.0-sim",
            Architecture = "x64",
            CpuModel = CpuModels[hash % CpuModels.Length],
            Sockets = 1,
            Cores = _cores,
            Threads = _cores * 2,
            NumaNodes = 1,
            MemoryTotalBytes = (16L << 30) << (hash % 3),
            LastLevelCacheBytes = 32L << 20,
            Gpus = _gpu ? [new GpuInfo { Index = 0, Name = "NVIDIA A100-SXM4-80GB", MemoryTotalBytes = 80L << 30 }] : [],
        };
    }

    public Inventory Inventory { get; }

    private static int StableHash(string s)
    {
        unchecked
        {
            uint h = 2166136261;
            foreach (char c in s) h = (h ^ c) * 16777619;
            return (int)(h & 0x7fffffff);
        }
    }

    public MachineSample? Next()
    {
        int n = Interlocked.Increment(ref _n);
        double cpu;
        lock (_random) cpu = Math.Clamp(45 + 35 * Math.Sin(_phase + n / 20.0) + _random.NextDouble() * 10, 0, 100);
        long total = Inventory.MemoryTotalBytes;
        double memPercent = 30 + 10 * Math.Sin(_phase + n / 60.0);
        long used = (long)(total * memPercent / 100);
        var cores = Enumerable.Range(0, _cores).Select(i => new CoreSample
        {
            Core = i, CpuPercent = Math.Clamp(cpu + (i % 4 - 1.5) * 8, 0, 100), UserPercent = cpu * 0.8, SystemPercent = cpu * 0.2, IdlePercent = 100 - cpu,
        }).ToList();
        return new MachineSample
        {
            Timestamp = DateTimeOffset.UtcNow,
            IntervalSeconds = 1,
            Cpu = new CpuSample { Cores = cores, CpuPercent = cpu, UserPercent = cpu * 0.8, SystemPercent = cpu * 0.2, IdlePercent = 100 - cpu, LoadAverage1 = cpu / 25 },
            Memory = new MemorySample { TotalBytes = total, UsedBytes = used, AvailableBytes = total - used, UsedPercent = memPercent },
            FileSystems = [new FileSystemSample { MountPoint = "/", Device = "/dev/vda1", Type = "ext4", TotalBytes = 500L << 30, UsedBytes = 120L << 30, AvailableBytes = 380L << 30, UsedPercent = 24 }],
            Network = [new NetworkInterfaceSample { Name = "eth0", ReceiveBytesPerSecond = 2e6 * (1 + Math.Sin(_phase + n / 7.0)), TransmitBytesPerSecond = 5e5 * (1 + Math.Cos(_phase + n / 9.0)) }],
            Gpus = _gpu ? [new GpuSample { Index = 0, Name = "NVIDIA A100-SXM4-80GB", UtilizationPercent = Math.Clamp(cpu * 0.9, 0, 100), MemoryUsedBytes = 20L << 30, MemoryTotalBytes = 80L << 30, TemperatureCelsius = 55, PowerDrawWatts = 250 }] : [],
            UptimeSeconds = 3600 + n,
        };
    }
}
