namespace Sentinel.Collectors;

/// <summary>Turns two raw readings into a <see cref="MachineSample"/>: rates from counter deltas over the measured span.</summary>
internal static class SampleBuilder
{
    public static MachineSample Build(RawReading previous, RawReading current, double seconds)
    {
        if (seconds <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "Two readings must be apart in time.");
        }

        var cores = new CoreSample[current.Cores.Length];
        for (int i = 0; i < current.Cores.Length; i++)
        {
            var cur = current.Cores[i];
            var s = Share(Find(previous.Cores, cur.Id, i) ?? cur, cur);
            cores[i] = new CoreSample
            {
                Core = cur.Id, CpuPercent = s.Busy, UserPercent = s.User, SystemPercent = s.System,
                IowaitPercent = s.Iowait, StealPercent = s.Steal, IdlePercent = s.Idle,
            };
        }

        var t = current.HasCpu && previous.HasCpu ? Share(previous.Total, current.Total) : default;
        var cpu = new CpuSample
        {
            CpuPercent = t.Busy, UserPercent = t.User, SystemPercent = t.System,
            IowaitPercent = t.Iowait, StealPercent = t.Steal, IdlePercent = t.Idle,
            Cores = cores, LoadAverage1 = current.Load1, LoadAverage5 = current.Load5, LoadAverage15 = current.Load15,
        };

        var disks = new DiskDeviceSample[current.Disks.Length];
        for (int i = 0; i < current.Disks.Length; i++)
        {
            var c = current.Disks[i];
            var p = FindDisk(previous.Disks, c.Name, i) ?? c;
            disks[i] = new DiskDeviceSample
            {
                Device = c.Name,
                // The kernel counts diskstats sectors in 512-byte units whatever the device's sector size.
                ReadBytesPerSecond = Rate(p.ReadSectors, c.ReadSectors, seconds) * 512,
                WriteBytesPerSecond = Rate(p.WriteSectors, c.WriteSectors, seconds) * 512,
                ReadsPerSecond = Rate(p.Reads, c.Reads, seconds),
                WritesPerSecond = Rate(p.Writes, c.Writes, seconds),
            };
        }

        var nets = new NetworkInterfaceSample[current.Nets.Length];
        for (int i = 0; i < current.Nets.Length; i++)
        {
            var c = current.Nets[i];
            var p = FindNet(previous.Nets, c.Name, i) ?? c;
            nets[i] = new NetworkInterfaceSample
            {
                Name = c.Name,
                IsLoopback = c.IsLoopback,
                ReceiveBytesPerSecond = Rate(p.RxBytes, c.RxBytes, seconds),
                TransmitBytesPerSecond = Rate(p.TxBytes, c.TxBytes, seconds),
                ReceivePacketsPerSecond = Rate(p.RxPackets, c.RxPackets, seconds),
                TransmitPacketsPerSecond = Rate(p.TxPackets, c.TxPackets, seconds),
                ReceiveErrorsPerSecond = Rate(p.RxErrors, c.RxErrors, seconds),
                TransmitErrorsPerSecond = Rate(p.TxErrors, c.TxErrors, seconds),
                ReceiveDropsPerSecond = Rate(p.RxDrops, c.RxDrops, seconds),
                TransmitDropsPerSecond = Rate(p.TxDrops, c.TxDrops, seconds),
            };
        }

        return new MachineSample
        {
            Timestamp = current.WallClock,
            IntervalSeconds = seconds,
            Cpu = cpu,
            Memory = current.Memory,
            FileSystems = current.FileSystems,
            Disks = disks,
            Network = nets,
            Gpus = current.Gpus,
            UptimeSeconds = current.UptimeSeconds,
            ProcessCount = current.ProcessCount,
        };
    }

    /// <summary>A counter that went backwards was reset (device re-added, 32-bit wrap): no rate for that span.</summary>
    private static double Rate(ulong before, ulong after, double seconds) => after >= before ? (after - before) / seconds : 0;

    private readonly record struct CpuShare(double Busy, double User, double System, double Iowait, double Steal, double Idle);

    /// <summary>Shares of the ticks that passed between two readings of one CPU's counters.</summary>
    private static CpuShare Share(CpuTimes a, CpuTimes b)
    {
        static double D(ulong x, ulong y) => y >= x ? y - x : 0;
        double user = D(a.User + a.Nice, b.User + b.Nice);
        double system = D(a.System + a.Irq + a.SoftIrq, b.System + b.Irq + b.SoftIrq);
        double idle = D(a.Idle, b.Idle);
        double iowait = D(a.Iowait, b.Iowait);
        double steal = D(a.Steal, b.Steal);
        double total = user + system + idle + iowait + steal;
        if (total <= 0)
        {
            return default; // no tick elapsed on this CPU (offline, or a span shorter than one tick)
        }
        double P(double v) => Math.Round(100.0 * v / total, 2);
        return new CpuShare(P(total - idle - iowait), P(user), P(system), P(iowait), P(steal), P(idle));
    }

    // Lists are usually in the same order in both readings: try the same index first.
    private static CpuTimes? Find(CpuTimes[] list, int id, int hint)
    {
        if (hint < list.Length && list[hint].Id == id) return list[hint];
        foreach (var c in list) if (c.Id == id) return c;
        return null;
    }

    private static DiskCounters? FindDisk(DiskCounters[] list, string name, int hint)
    {
        if (hint < list.Length && list[hint].Name == name) return list[hint];
        foreach (var d in list) if (d.Name == name) return d;
        return null;
    }

    private static NetCounters? FindNet(NetCounters[] list, string name, int hint)
    {
        if (hint < list.Length && list[hint].Name == name) return list[hint];
        foreach (var n in list) if (n.Name == name) return n;
        return null;
    }
}
