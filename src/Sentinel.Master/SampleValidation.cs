using Sentinel.Protocol;

namespace Sentinel.Master;

/// <summary>
/// What an agent sends, made whole before the master trusts it. The JSON reader sets an init-only list
/// that a frame leaves out to null (not to its empty default), so every list is filled in here; parts a
/// sample cannot be without (cpu, memory) are refused by name.
/// </summary>
internal static class SampleValidation
{
    /// <summary>The sample with missing lists made empty, or null with <paramref name="problem"/> set.</summary>
    public static MachineSample? Normalize(MachineSample? s, out string? problem)
    {
        problem = s is null ? "a sample is null"
            : s.Cpu is null ? "a sample has no 'cpu'"
            : s.Memory is null ? "a sample has no 'memory'"
            : s.Timestamp == default ? "a sample has no 'timestamp'"
            : NonFinite(s) is { } field ? $"a sample has a number that is not finite in '{field}' (NaN, Infinity or out of range)"
            : null;
        if (problem is not null || s is null)
        {
            return null;
        }
        var cpu = s.Cpu!;
        bool complete = s.FileSystems is not null && s.Disks is not null && s.Network is not null && s.Gpus is not null && cpu.Cores is not null
            && s.FileSystems.All(f => f is not null) && s.Disks.All(d => d is not null) && s.Network.All(n => n is not null)
            && s.Gpus.All(g => g is not null) && cpu.Cores.All(c => c is not null);
        if (complete)
        {
            return s;
        }
        return new MachineSample
        {
            Timestamp = s.Timestamp,
            IntervalSeconds = s.IntervalSeconds,
            Cpu = cpu.Cores is { } cores && cores.All(c => c is not null) ? cpu : new CpuSample
            {
                CpuPercent = cpu.CpuPercent, UserPercent = cpu.UserPercent, SystemPercent = cpu.SystemPercent, IowaitPercent = cpu.IowaitPercent,
                StealPercent = cpu.StealPercent, IdlePercent = cpu.IdlePercent, LoadAverage1 = cpu.LoadAverage1, LoadAverage5 = cpu.LoadAverage5,
                LoadAverage15 = cpu.LoadAverage15, Cores = (cpu.Cores ?? []).Where(c => c is not null).ToList(),
            },
            Memory = s.Memory!,
            FileSystems = (s.FileSystems ?? []).Where(f => f is not null).ToList(),
            Disks = (s.Disks ?? []).Where(d => d is not null).ToList(),
            Network = (s.Network ?? []).Where(n => n is not null).ToList(),
            Gpus = (s.Gpus ?? []).Where(g => g is not null).ToList(),
            UptimeSeconds = s.UptimeSeconds,
            ProcessCount = s.ProcessCount,
        };
    }

    /// <summary>
    /// The first figure that is NaN or infinite, or null. The JSON options accept "NaN" and "Infinity" (and read 1e400
    /// as infinity); the store, the page and the reports have no use for them, so they are refused by name.
    /// </summary>
    private static string? NonFinite(MachineSample s)
    {
        static bool Bad(double? d) => d is { } v && !double.IsFinite(v);
        static bool BadTimes(CpuTimesPercent? c) => c is not null && (Bad(c.CpuPercent) || Bad(c.UserPercent) || Bad(c.SystemPercent)
            || Bad(c.IowaitPercent) || Bad(c.StealPercent) || Bad(c.IdlePercent));
        var cpu = s.Cpu!;
        if (Bad(s.IntervalSeconds) || Bad(s.UptimeSeconds)) return "intervalSeconds/uptimeSeconds";
        if (BadTimes(cpu) || Bad(cpu.LoadAverage1) || Bad(cpu.LoadAverage5) || Bad(cpu.LoadAverage15)) return "cpu";
        if (cpu.Cores is { } cores && cores.Any(BadTimes)) return "cpu.cores";
        if (Bad(s.Memory!.UsedPercent)) return "memory";
        if (s.FileSystems is { } fs && fs.Any(f => f is not null && Bad(f.UsedPercent))) return "fileSystems";
        if (s.Disks is { } disks && disks.Any(d => d is not null && (Bad(d.ReadBytesPerSecond) || Bad(d.WriteBytesPerSecond) || Bad(d.ReadsPerSecond) || Bad(d.WritesPerSecond)))) return "disks";
        if (s.Network is { } net && net.Any(n => n is not null && (Bad(n.ReceiveBytesPerSecond) || Bad(n.TransmitBytesPerSecond) || Bad(n.ReceivePacketsPerSecond)
            || Bad(n.TransmitPacketsPerSecond) || Bad(n.ReceiveErrorsPerSecond) || Bad(n.TransmitErrorsPerSecond) || Bad(n.ReceiveDropsPerSecond) || Bad(n.TransmitDropsPerSecond)))) return "network";
        if (s.Gpus is { } gpus && gpus.Any(g => g is not null && (Bad(g.UtilizationPercent) || Bad(g.TemperatureCelsius) || Bad(g.PowerDrawWatts) || Bad(g.PowerLimitWatts)))) return "gpus";
        return null;
    }

    /// <summary>A hello with missing lists made empty and a missing interval taken as 1 s.</summary>
    public static Hello Normalize(Hello h) => new()
    {
        Name = h.Name,
        Token = h.Token,
        BootId = h.BootId,
        HostId = h.HostId,
        AgentVersion = h.AgentVersion,
        IntervalSeconds = h.IntervalSeconds == 0 ? 1 : h.IntervalSeconds,
        Inventory = h.Inventory is null ? new Inventory { HostName = h.Name ?? "" } : Normalize(h.Inventory),
        Tags = h.Tags ?? [],
        Capabilities = h.Capabilities ?? [],
        MasterUrl = h.MasterUrl,
    };

    private static Inventory Normalize(Inventory i) => i.Addresses is not null && i.Caches is not null && i.Gpus is not null && i.HostName is not null ? i : new Inventory
    {
        HostName = i.HostName ?? "", OperatingSystem = i.OperatingSystem ?? "", KernelVersion = i.KernelVersion ?? "", Architecture = i.Architecture ?? "",
        Addresses = (i.Addresses ?? []).Where(a => a is not null).ToList(), CpuModel = i.CpuModel ?? "", Sockets = i.Sockets, Cores = i.Cores, Threads = i.Threads,
        NumaNodes = i.NumaNodes, Caches = (i.Caches ?? []).Where(c => c is not null).ToList(), LastLevelCacheBytes = i.LastLevelCacheBytes,
        MemoryTotalBytes = i.MemoryTotalBytes, Gpus = (i.Gpus ?? []).Where(g => g is not null).ToList(),
    };
}
