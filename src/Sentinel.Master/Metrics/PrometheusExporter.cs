namespace Sentinel.Master.Metrics;

/// <summary>
/// GET /metrics: the fleet's latest samples, machine up/down, agent versions, the latest benchmark figures per
/// machine and benchmark, and the master's own health, in the Prometheus text format (docs/prometheus.md).
/// Rendered from live state only (no database reads), so a scrape costs memory copies, not disk.
/// Names follow https://prometheus.io/docs/practices/naming/: base units (bytes, seconds, ratios 0–1), <c>_total</c>
/// on counters. The agents send rates and shares over their interval, not raw counters, so those are gauges.
/// </summary>
internal static class PrometheusExporter
{
    /// <summary>A benchmark figure's unit suffix (as the figure names carry it), the family it goes to, and the factor to base units.</summary>
    private static readonly (string Suffix, string Family, double Factor, string Help)[] Units =
    [
        ("GBs", "bytes_per_second", 1e9, "bytes per second"),
        ("MBs", "bytes_per_second", 1e6, "bytes per second"),
        ("Mbps", "bytes_per_second", 1e6 / 8, "bytes per second"),
        ("Gflops", "flops", 1e9, "floating-point operations per second"),
        ("Iops", "operations_per_second", 1, "I/O operations per second"),
        ("Ns", "seconds", 1e-9, "seconds"),
        ("Us", "seconds", 1e-6, "seconds"),
        ("Ms", "seconds", 1e-3, "seconds"),
        ("Seconds", "seconds", 1, "seconds"),
        ("Bytes", "bytes", 1, "bytes"),
        ("Percent", "ratio", 0.01, "a ratio from 0 to 1"),
    ];

    public static ReadOnlyMemory<byte> Render(MasterContext ctx)
    {
        var w = new PrometheusWriter();
        var machines = ctx.Fleet.ExportView();
        // Results of removed machines stay in the API, but not as series: a job-named machine's series end when it goes.
        var known = new HashSet<string>(machines.Select(m => m.Name), StringComparer.Ordinal);
        WriteFleet(w, machines, ctx.Jobs.LatestResults().Where(r => known.Contains(r.Machine)).ToList());
        Master(w, ctx);
        return w.Utf8;
    }

    /// <summary>The machines' and benchmarks' families (all but the master's own health; the bench renders these alone).</summary>
    internal static void WriteFleet(PrometheusWriter w, List<FleetState.MachineExport> machines, List<BenchmarkResult> results)
    {
        Machines(w, machines);
        Samples(w, machines);
        Benchmarks(w, results);
    }

    private static void Machines(PrometheusWriter w, List<FleetState.MachineExport> machines)
    {
        w.Family("sentinel_machine_up", "gauge", "1 when the machine is online (it sent a sample within its allowed silence), 0 when offline.");
        foreach (var m in machines) w.Sample("sentinel_machine_up", m.Status == MachineStatus.Online ? 1 : 0, ("machine", m.Name));
        w.Family("sentinel_agent_connected", "gauge", "1 while the machine's agent holds a connection to this master.");
        foreach (var m in machines) w.Sample("sentinel_agent_connected", m.Connected ? 1 : 0, ("machine", m.Name));
        w.Family("sentinel_agent_info", "gauge", "The agent version each machine last announced; always 1.");
        foreach (var m in machines) w.Sample("sentinel_agent_info", 1, ("machine", m.Name), ("version", m.AgentVersion ?? ""));
        w.Family("sentinel_machine_info", "gauge", "What each machine's agent reported about it at its hello; always 1.");
        foreach (var m in machines)
        {
            var i = m.Inventory;
            w.Sample("sentinel_machine_info", 1, ("machine", m.Name), ("host", i.HostName), ("os", i.OperatingSystem), ("kernel", i.KernelVersion),
                ("architecture", i.Architecture), ("cpu_model", i.CpuModel));
        }
        w.Family("sentinel_machine_tag", "gauge", "One series per tag an agent was started with (--tag key=value); always 1. Join with: * on(machine) group_left(value) sentinel_machine_tag{tag=\"rack\"}.");
        foreach (var m in machines)
        {
            foreach (var (k, v) in m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)) w.Sample("sentinel_machine_tag", 1, ("machine", m.Name), ("tag", k), ("value", v));
        }
        w.Family("sentinel_machine_cpu_threads", "gauge", "Logical CPUs of the machine.");
        foreach (var m in machines) w.Sample("sentinel_machine_cpu_threads", m.Inventory.Threads > 0 ? m.Inventory.Threads : null, ("machine", m.Name));
        w.Family("sentinel_machine_sample_interval_seconds", "gauge", "How often the machine's agent samples.");
        foreach (var m in machines) w.Sample("sentinel_machine_sample_interval_seconds", m.IntervalSeconds, ("machine", m.Name));
        w.Family("sentinel_machine_last_sample_timestamp_seconds", "gauge", "When the machine's latest sample was taken, by its clock (Unix time). time() minus this is how stale the other figures are.");
        foreach (var m in machines) w.Sample("sentinel_machine_last_sample_timestamp_seconds", m.Latest?.Timestamp.ToUnixTimeMilliseconds() / 1000.0, ("machine", m.Name));
    }

    /// <summary>Writes one family with a value per machine from its latest sample.</summary>
    private static void PerMachine(PrometheusWriter w, List<FleetState.MachineExport> machines, string name, string help, Func<MachineSample, double?> value)
    {
        w.Family(name, "gauge", help);
        foreach (var m in machines)
        {
            if (m.Latest is { } s) w.Sample(name, value(s), ("machine", m.Name));
        }
    }

    private static void Samples(PrometheusWriter w, List<FleetState.MachineExport> machines)
    {
        PerMachine(w, machines, "sentinel_cpu_busy_ratio", "Busy share of all CPUs over the latest sample's interval (1 - idle - iowait), 0 to 1.", s => s.Cpu.CpuPercent / 100);
        w.Family("sentinel_cpu_mode_ratio", "gauge", "Share of all CPUs' time in each mode over the latest sample's interval, 0 to 1.");
        foreach (var m in machines)
        {
            if (m.Latest?.Cpu is not { } c) continue;
            w.Sample("sentinel_cpu_mode_ratio", c.UserPercent / 100, ("machine", m.Name), ("mode", "user"));
            w.Sample("sentinel_cpu_mode_ratio", c.SystemPercent / 100, ("machine", m.Name), ("mode", "system"));
            w.Sample("sentinel_cpu_mode_ratio", c.IowaitPercent / 100, ("machine", m.Name), ("mode", "iowait"));
            w.Sample("sentinel_cpu_mode_ratio", c.StealPercent / 100, ("machine", m.Name), ("mode", "steal"));
            w.Sample("sentinel_cpu_mode_ratio", c.IdlePercent / 100, ("machine", m.Name), ("mode", "idle"));
        }
        w.Family("sentinel_cpu_core_busy_ratio", "gauge", "Busy share of each logical CPU over the latest sample's interval, 0 to 1.");
        foreach (var m in machines)
        {
            if (m.Latest?.Cpu is not { } c) continue;
            foreach (var core in c.Cores) w.Sample("sentinel_cpu_core_busy_ratio", core.CpuPercent / 100, ("machine", m.Name), ("core", core.Core.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        PerMachine(w, machines, "sentinel_load1", "Load average over 1 minute.", s => s.Cpu.LoadAverage1);
        PerMachine(w, machines, "sentinel_load5", "Load average over 5 minutes.", s => s.Cpu.LoadAverage5);
        PerMachine(w, machines, "sentinel_load15", "Load average over 15 minutes.", s => s.Cpu.LoadAverage15);
        PerMachine(w, machines, "sentinel_memory_total_bytes", "Memory size (the cgroup limit inside a limited container).", s => s.Memory.TotalBytes);
        PerMachine(w, machines, "sentinel_memory_available_bytes", "Memory available to new work without swapping (MemAvailable).", s => s.Memory.AvailableBytes);
        PerMachine(w, machines, "sentinel_memory_used_bytes", "Memory in use (total - available, as free counts it).", s => s.Memory.UsedBytes);
        PerMachine(w, machines, "sentinel_memory_used_ratio", "Memory in use as a share of the total, 0 to 1.", s => s.Memory.UsedPercent / 100);
        PerMachine(w, machines, "sentinel_swap_total_bytes", "Swap size.", s => s.Memory.SwapTotalBytes);
        PerMachine(w, machines, "sentinel_swap_used_bytes", "Swap in use.", s => s.Memory.SwapUsedBytes);
        PerMachine(w, machines, "sentinel_machine_uptime_seconds", "Time since the machine booted.", s => s.UptimeSeconds);
        PerMachine(w, machines, "sentinel_machine_processes", "Processes running on the machine (not threads).", s => s.ProcessCount);

        FileSystems(w, machines, "sentinel_filesystem_size_bytes", "Size of each mounted file system.", f => f.TotalBytes);
        FileSystems(w, machines, "sentinel_filesystem_used_bytes", "Space used on each file system (total - free, as df counts it).", f => f.UsedBytes);
        FileSystems(w, machines, "sentinel_filesystem_available_bytes", "Space an unprivileged user may still write on each file system.", f => f.AvailableBytes);
        FileSystems(w, machines, "sentinel_filesystem_used_ratio", "used / (used + available) of each file system, as df's Use%, 0 to 1.", f => f.UsedPercent / 100);

        PerDevice(w, machines, "sentinel_disk_read_bytes_per_second", "Bytes read per second from each block device over the latest sample's interval.", d => d.ReadBytesPerSecond);
        PerDevice(w, machines, "sentinel_disk_write_bytes_per_second", "Bytes written per second to each block device over the latest sample's interval.", d => d.WriteBytesPerSecond);
        PerDevice(w, machines, "sentinel_disk_reads_per_second", "Completed reads per second (read IOPS) on each block device.", d => d.ReadsPerSecond);
        PerDevice(w, machines, "sentinel_disk_writes_per_second", "Completed writes per second (write IOPS) on each block device.", d => d.WritesPerSecond);

        PerInterface(w, machines, "sentinel_network_receive_bytes_per_second", "Bytes received per second on each interface over the latest sample's interval.", n => n.ReceiveBytesPerSecond);
        PerInterface(w, machines, "sentinel_network_transmit_bytes_per_second", "Bytes sent per second on each interface over the latest sample's interval.", n => n.TransmitBytesPerSecond);
        PerInterface(w, machines, "sentinel_network_receive_packets_per_second", "Packets received per second on each interface.", n => n.ReceivePacketsPerSecond);
        PerInterface(w, machines, "sentinel_network_transmit_packets_per_second", "Packets sent per second on each interface.", n => n.TransmitPacketsPerSecond);
        PerInterface(w, machines, "sentinel_network_receive_errors_per_second", "Receive errors per second on each interface.", n => n.ReceiveErrorsPerSecond);
        PerInterface(w, machines, "sentinel_network_transmit_errors_per_second", "Transmit errors per second on each interface.", n => n.TransmitErrorsPerSecond);
        PerInterface(w, machines, "sentinel_network_receive_drops_per_second", "Received packets dropped per second on each interface.", n => n.ReceiveDropsPerSecond);
        PerInterface(w, machines, "sentinel_network_transmit_drops_per_second", "Packets to send dropped per second on each interface.", n => n.TransmitDropsPerSecond);

        PerGpu(w, machines, "sentinel_gpu_utilization_ratio", "Share of time each GPU was busy, 0 to 1 (as nvidia-smi reports it).", g => g.UtilizationPercent / 100);
        PerGpu(w, machines, "sentinel_gpu_memory_used_bytes", "Memory in use on each GPU.", g => g.MemoryUsedBytes);
        PerGpu(w, machines, "sentinel_gpu_memory_total_bytes", "Memory size of each GPU.", g => g.MemoryTotalBytes);
        PerGpu(w, machines, "sentinel_gpu_temperature_celsius", "Temperature of each GPU.", g => g.TemperatureCelsius);
        PerGpu(w, machines, "sentinel_gpu_power_draw_watts", "Power each GPU draws.", g => g.PowerDrawWatts);
        PerGpu(w, machines, "sentinel_gpu_power_limit_watts", "Power limit of each GPU.", g => g.PowerLimitWatts);
    }

    private static void FileSystems(PrometheusWriter w, List<FleetState.MachineExport> machines, string name, string help, Func<FileSystemSample, double> value)
    {
        w.Family(name, "gauge", help);
        foreach (var m in machines)
        {
            foreach (var f in m.Latest?.FileSystems ?? [])
                w.Sample(name, value(f), ("machine", m.Name), ("mountpoint", f.MountPoint), ("device", f.Device), ("fstype", f.Type));
        }
    }

    private static void PerDevice(PrometheusWriter w, List<FleetState.MachineExport> machines, string name, string help, Func<DiskDeviceSample, double> value)
    {
        w.Family(name, "gauge", help);
        foreach (var m in machines)
        {
            foreach (var d in m.Latest?.Disks ?? []) w.Sample(name, value(d), ("machine", m.Name), ("device", d.Device));
        }
    }

    private static void PerInterface(PrometheusWriter w, List<FleetState.MachineExport> machines, string name, string help, Func<NetworkInterfaceSample, double> value)
    {
        w.Family(name, "gauge", help);
        foreach (var m in machines)
        {
            foreach (var n in m.Latest?.Network ?? []) w.Sample(name, value(n), ("machine", m.Name), ("interface", n.Name));
        }
    }

    private static void PerGpu(PrometheusWriter w, List<FleetState.MachineExport> machines, string name, string help, Func<GpuSample, double?> value)
    {
        w.Family(name, "gauge", help);
        foreach (var m in machines)
        {
            foreach (var g in m.Latest?.Gpus ?? [])
                w.Sample(name, value(g), ("machine", m.Name), ("gpu", g.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("name", g.Name), ("uuid", g.Uuid ?? ""));
        }
    }

    /// <summary>The figure's unit family and base-unit value, with the figure's name less its unit (triadGBs → bytes_per_second, "triad", ×1e9).</summary>
    internal static (string Family, string Figure, double Value) Convert(string figure, double value)
    {
        foreach (var (suffix, family, factor, _) in Units)
        {
            if (figure.Length > suffix.Length && figure.EndsWith(suffix, StringComparison.Ordinal))
            {
                return (family, figure[..^suffix.Length], value * factor);
            }
        }
        return ("value", figure, value);
    }

    private static void Benchmarks(PrometheusWriter w, List<BenchmarkResult> results)
    {
        results = results.OrderBy(r => r.Machine, StringComparer.Ordinal).ThenBy(r => r.Benchmark, StringComparer.Ordinal).ToList();
        w.Family("sentinel_benchmark_last_run_timestamp_seconds", "gauge", "When the latest completed run of each benchmark on each machine finished (Unix time).");
        foreach (var r in results) w.Sample("sentinel_benchmark_last_run_timestamp_seconds", r.FinishedAt.ToUnixTimeMilliseconds() / 1000.0, ("machine", r.Machine), ("benchmark", r.Benchmark));
        w.Family("sentinel_benchmark_duration_seconds", "gauge", "How long the latest completed run of each benchmark on each machine took.");
        foreach (var r in results) w.Sample("sentinel_benchmark_duration_seconds", r.DurationSeconds, ("machine", r.Machine), ("benchmark", r.Benchmark));
        var converted = results.Select(r => (r, Figures(r))).ToList();
        var families = Units.Select(u => (u.Family, u.Help)).Append((Family: "value", Help: "the unit the figure's name gives (a count, clocks, …)")).DistinctBy(u => u.Family);
        foreach (var (family, unitHelp) in families)
        {
            var name = "sentinel_benchmark_" + family;
            w.Family(name, "gauge", $"The latest completed run's headline figures, in {unitHelp}; the figure label is the figure's name less its unit (triadGBs → triad). docs/benchmarks.md lists them.");
            foreach (var (r, figures) in converted)
            {
                foreach (var (f, label, value) in figures)
                {
                    if (f == family) w.Sample(name, value, ("machine", r.Machine), ("benchmark", r.Benchmark), ("figure", label));
                }
            }
        }
    }

    /// <summary>
    /// A result's figures in base units, one series each: two figures that would share a family and label (xMs and
    /// xSeconds, from a Command benchmark's output or a hostile agent) keep the second's full name as its label, since
    /// a duplicate series makes Prometheus refuse the whole scrape.
    /// </summary>
    internal static List<(string Family, string Label, double Value)> Figures(BenchmarkResult result)
    {
        var seen = new HashSet<(string, string)>();
        var list = new List<(string Family, string Label, double Value)>();
        foreach (var (figure, raw) in result.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var (family, label, value) = Convert(figure, raw);
            if (!seen.Add((family, label)))
            {
                label = figure;
                if (!seen.Add((family, label))) continue;
            }
            list.Add((family, label, value));
        }
        return list;
    }

    private static void Master(PrometheusWriter w, MasterContext ctx)
    {
        var s = ctx.Store.Stats;
        var (online, offline, connected) = ctx.Fleet.Counts();
        w.Family("sentinel_master_info", "gauge", "This master's version; always 1.");
        w.Sample("sentinel_master_info", 1, ("version", ctx.Version));
        w.Family("sentinel_master_start_time_seconds", "gauge", "When this master started (Unix time).");
        w.Sample("sentinel_master_start_time_seconds", ctx.StartedAt.ToUnixTimeMilliseconds() / 1000.0);
        w.Family("sentinel_master_machines", "gauge", "Machines this master knows, by status.");
        w.Sample("sentinel_master_machines", online, ("status", "online"));
        w.Sample("sentinel_master_machines", offline, ("status", "offline"));
        w.Family("sentinel_master_agents_connected", "gauge", "Agents holding a connection now.");
        w.Sample("sentinel_master_agents_connected", connected);
        w.Family("sentinel_master_viewers", "gauge", "Live pages and other /ws viewers connected now.");
        w.Sample("sentinel_master_viewers", ctx.Viewers.Count);
        w.Family("sentinel_master_viewer_queue_frames", "gauge", "Update frames waiting to be sent to viewers, over all viewers.");
        w.Sample("sentinel_master_viewer_queue_frames", ctx.Viewers.QueuedFrames);
        w.Family("sentinel_master_viewer_resnapshots_total", "counter", "Times a viewer fell behind and was sent a fresh snapshot instead of its backlog of updates.");
        w.Sample("sentinel_master_viewer_resnapshots_total", ctx.Viewers.Resnapshots);
        w.Family("sentinel_master_samples_received_total", "counter", "Samples received from agents (replays included).");
        w.Sample("sentinel_master_samples_received_total", Interlocked.Read(ref ctx.SamplesReceived));
        w.Family("sentinel_master_samples_stored_total", "counter", "Samples written to the database.");
        w.Sample("sentinel_master_samples_stored_total", s.SamplesWritten);
        w.Family("sentinel_master_samples_duplicate_total", "counter", "Replayed samples already on disk, skipped.");
        w.Sample("sentinel_master_samples_duplicate_total", s.Duplicates);
        w.Family("sentinel_master_samples_dropped_total", "counter", "Samples refused by the store (its queue full, or unhealthy); their agents keep and resend them.");
        w.Sample("sentinel_master_samples_dropped_total", s.Refused);
        w.Family("sentinel_master_frames_rejected_total", "counter", "Agent frames refused as malformed or too large.");
        w.Sample("sentinel_master_frames_rejected_total", Interlocked.Read(ref ctx.FramesRejected));
        w.Family("sentinel_master_store_failed_commits_total", "counter", "Store transactions that failed.");
        w.Sample("sentinel_master_store_failed_commits_total", s.FailedCommits);
        w.Family("sentinel_master_store_queue_depth", "gauge", "Writes waiting for the store's single writer.");
        w.Sample("sentinel_master_store_queue_depth", s.QueueDepth);
        w.Family("sentinel_master_store_commit_seconds", "gauge", "How long the store's latest transaction took.");
        w.Sample("sentinel_master_store_commit_seconds", s.LastCommitMilliseconds / 1000);
        w.Family("sentinel_master_store_healthy", "gauge", "1 while the store commits, 0 after a failure it has not recovered from.");
        w.Sample("sentinel_master_store_healthy", s.Healthy ? 1 : 0);
        w.Family("sentinel_master_database_bytes", "gauge", "Size of sentinel.db.");
        w.Sample("sentinel_master_database_bytes", s.DatabaseBytes);
        w.Family("sentinel_master_wal_bytes", "gauge", "Size of sentinel.db-wal (the write-ahead log).");
        w.Sample("sentinel_master_wal_bytes", s.WalBytes);
        w.Family("sentinel_master_jobs_running", "gauge", "Benchmark jobs queued or running.");
        w.Sample("sentinel_master_jobs_running", ctx.Jobs.RunningCount());
        using var me = System.Diagnostics.Process.GetCurrentProcess();
        w.Family("process_resident_memory_bytes", "gauge", "Resident memory of the master process.");
        w.Sample("process_resident_memory_bytes", me.WorkingSet64);
        w.Family("process_cpu_seconds_total", "counter", "CPU time the master process has used, user and system.");
        w.Sample("process_cpu_seconds_total", me.TotalProcessorTime.TotalSeconds);
        w.Family("dotnet_gc_heap_bytes", "gauge", "Bytes on the master's managed heap after the latest garbage collection.");
        w.Sample("dotnet_gc_heap_bytes", GC.GetGCMemoryInfo().HeapSizeBytes);
        w.Family("dotnet_gc_collections_total", "counter", "Garbage collections of each generation.");
        for (int g = 0; g <= GC.MaxGeneration; g++) w.Sample("dotnet_gc_collections_total", GC.CollectionCount(g), ("generation", g.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
