namespace Sentinel;

/// <summary>A machine's agent connection as the master sees it (in /api/machines and the viewer stream).</summary>
public sealed class ConnectionInfo
{
    /// <summary>True while the agent's WebSocket is open.</summary>
    public bool Connected { get; init; }
    /// <summary>The address the connection comes from (a relay's or tunnel's address when it goes through one).</summary>
    public string? Remote { get; init; }
    /// <summary>The master URL the agent dialled, as its hello said: another host and port than the master's own means a relay.</summary>
    public string? Dialled { get; init; }
    /// <summary>When the connection opened (connected) or closed (not connected).</summary>
    public DateTimeOffset Since { get; init; }
    /// <summary>The latest round trip of a ping to the agent and back, in milliseconds; null until one came back.</summary>
    public double? RttMilliseconds { get; init; }
}

/// <summary>One event of a machine's connection history.</summary>
public sealed class ConnectionEvent
{
    public DateTimeOffset At { get; init; }
    /// <summary>connected, disconnected (the socket closed: goodbye, error, replaced, master stopping) or offline (silent for 3 intervals).</summary>
    public required string Event { get; init; }
    public string? Remote { get; init; }
    public string? Detail { get; init; }
}

/// <summary>GET /api/machines/{name}/connections: a machine's connects and disconnects over a window, and the share of it connected.</summary>
public sealed class ConnectionHistory
{
    public required string Machine { get; init; }
    public DateTimeOffset Since { get; init; }
    public DateTimeOffset Until { get; init; }
    /// <summary>The share of the window (from the machine's first event in it, or the window's start when it was already connected) the agent was connected: 0 to 1.</summary>
    public double UptimeShare { get; init; }
    public int Connects { get; init; }
    public int Disconnects { get; init; }
    public List<ConnectionEvent> Events { get; init; } = [];
}

/// <summary>GET /api/fleet/history: every machine's headline figures on one time grid, for charts of the whole fleet.</summary>
public sealed class FleetHistory
{
    public DateTimeOffset Since { get; init; }
    public DateTimeOffset Until { get; init; }
    public double StepSeconds { get; init; }
    /// <summary>The start of bucket 0; bucket i starts at Start + i × StepSeconds.</summary>
    public DateTimeOffset Start { get; init; }
    /// <summary>How many buckets each array has.</summary>
    public int Buckets { get; init; }
    public List<FleetHistoryMachine> Machines { get; init; } = [];
}

/// <summary>One machine's arrays in a <see cref="FleetHistory"/>: index i is bucket i, null where it sent nothing.</summary>
public sealed class FleetHistoryMachine
{
    public required string Name { get; init; }
    public double?[] CpuPercent { get; init; } = [];
    public double?[] MemoryUsedPercent { get; init; } = [];
    public double?[] GpuUtilizationPercent { get; init; } = [];
    public double?[] NetworkReceiveBytesPerSecond { get; init; } = [];
    public double?[] NetworkTransmitBytesPerSecond { get; init; } = [];
}

/// <summary>GET /api/benchmarks: what a master can run, for forms and comparisons.</summary>
public sealed class BenchmarkInfo
{
    public required string Name { get; init; }
    public required string CliName { get; init; }
    public required string Description { get; init; }
    public List<BenchmarkParameterDescription> Parameters { get; init; } = [];
    /// <summary>The figure that compares machines; null for Command.</summary>
    public Benchmarks.BenchmarkHeadline? Headline { get; init; }
    /// <summary>How much worse than the fleet median a machine may be before it is flagged (0.2 = 20%).</summary>
    public double OutlierTolerance { get; init; }
}

/// <summary>A benchmark parameter: name (as on the wire), default, meaning.</summary>
public sealed class BenchmarkParameterDescription
{
    public required string Name { get; init; }
    public required string Default { get; init; }
    public required string Description { get; init; }
}
