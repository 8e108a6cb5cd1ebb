using System.Globalization;
using System.Text;

namespace Sentinel;

/// <summary>A machine as plain text for terminals without PowerShell (the CLI's default output).</summary>
public static class MachineText
{
    public static string Render(Machine m)
    {
        var sb = new StringBuilder();
        var inv = m.Inventory;
        void Line(string label, string text) => sb.Append(CultureInfo.InvariantCulture, $"  {label,-8}{text}\n");

        sb.Append(CultureInfo.InvariantCulture, $"{m.Name}  {m.Status.ToString().ToLowerInvariant()}  ({m.Source})\n");
        Line("OS", $"{inv.OperatingSystem}, kernel {inv.KernelVersion}, {inv.Architecture}");
        var llc = inv.LastLevelCacheBytes > 0 ? $", last-level cache {Units.Bytes(inv.LastLevelCacheBytes)}" : "";
        Line("CPU", $"{inv.CpuModel}: {inv.Sockets} socket(s), {inv.Cores} cores, {inv.Threads} threads, {inv.NumaNodes} NUMA node(s){llc}");
        if (inv.Addresses.Count > 0)
        {
            Line("Address", string.Join(", ", inv.Addresses));
        }
        if (m.Tags.Count > 0)
        {
            Line("Tags", string.Join(", ", m.Tags.Select(t => $"{t.Key}={t.Value}")));
        }

        if (m.Latest is not { } s)
        {
            Line("Sample", "none yet");
            return sb.ToString();
        }
        var c = s.Cpu;
        var load = c.LoadAverage1 is { } l1 ? string.Create(CultureInfo.InvariantCulture, $", load {l1:0.00} {c.LoadAverage5:0.00} {c.LoadAverage15:0.00}") : "";
        Line("Usage", string.Create(CultureInfo.InvariantCulture,
            $"{c.CpuPercent:0.0}% CPU (user {c.UserPercent:0.0}, system {c.SystemPercent:0.0}, iowait {c.IowaitPercent:0.0}, steal {c.StealPercent:0.0}){load}"));
        if (c.Cores.Count > 0)
        {
            Line("Cores", string.Join("  ", c.Cores.Select(k => string.Create(CultureInfo.InvariantCulture, $"cpu{k.Core} {k.CpuPercent:0.0}%"))));
        }
        var mem = s.Memory;
        Line("Memory", string.Create(CultureInfo.InvariantCulture,
            $"{Units.Bytes(mem.UsedBytes)} of {Units.Bytes(mem.TotalBytes)} used ({mem.UsedPercent:0.0}%), {Units.Bytes(mem.AvailableBytes)} available, swap {Units.Bytes(mem.SwapUsedBytes)} of {Units.Bytes(mem.SwapTotalBytes)}{(mem.CgroupLimited ? ", cgroup limit" : "")}"));
        foreach (var f in s.FileSystems)
        {
            Line("Disk", string.Create(CultureInfo.InvariantCulture,
                $"{f.MountPoint} ({f.Type}) {Units.Bytes(f.UsedBytes)} of {Units.Bytes(f.TotalBytes)} used ({f.UsedPercent:0.0}%)"));
        }
        foreach (var d in s.Disks)
        {
            Line("I/O", string.Create(CultureInfo.InvariantCulture,
                $"{d.Device} read {Units.Rate(d.ReadBytesPerSecond)} ({d.ReadsPerSecond:0.0}/s), write {Units.Rate(d.WriteBytesPerSecond)} ({d.WritesPerSecond:0.0}/s)"));
        }
        foreach (var n in s.Network)
        {
            Line("Network", string.Create(CultureInfo.InvariantCulture,
                $"{n.Name} in {Units.Rate(n.ReceiveBytesPerSecond)} ({n.ReceivePacketsPerSecond:0.0} pkt/s), out {Units.Rate(n.TransmitBytesPerSecond)} ({n.TransmitPacketsPerSecond:0.0} pkt/s)"));
        }
        if (s.Gpus.Count == 0)
        {
            Line("GPU", "none");
        }
        foreach (var g in s.Gpus)
        {
            Line("GPU", $"{g.Index}: {g.Name}, {Units.Percent(g.UtilizationPercent)}% busy, memory {Units.Percent(g.MemoryUsedPercent)}%, {Units.Percent(g.TemperatureCelsius)} C, {Units.Percent(g.PowerDrawWatts)} W");
        }
        Line("System", string.Create(CultureInfo.InvariantCulture,
            $"up {Units.Duration(s.UptimeSeconds)}, {s.ProcessCount} processes; measured over {s.IntervalSeconds:0.00} s at {s.Timestamp:yyyy-MM-dd HH:mm:ss}Z"));
        return sb.ToString();
    }
}
