namespace Sentinel.Master;

/// <summary>The master's live view of one machine. Guarded by the <see cref="FleetState"/> lock.</summary>
internal sealed class MachineEntry
{
    public required long Id { get; init; }
    public required string Name { get; init; }
    public string? HostId { get; set; }
    public string? AgentVersion { get; set; }
    public required Inventory Inventory { get; set; }
    public Dictionary<string, string> Tags { get; set; } = [];
    /// <summary>What the connected agent announced it can do (hello's capabilities).</summary>
    public HashSet<string> Capabilities { get; set; } = [];
    public double IntervalSeconds { get; set; } = 1;
    public MachineSample? Latest { get; set; }
    /// <summary>Master's monotonic clock at the last sample (or hello); offline detection uses only this.</summary>
    public long LastSeenTicks { get; set; }
    /// <summary>Wall-clock time of the last sample or hello, for people.</summary>
    public DateTimeOffset? LastSeen { get; set; }
    public MachineStatus Status { get; set; } = MachineStatus.Offline;
    public AgentConnection? Connection { get; set; }
    public long BootRow { get; set; }
    /// <summary>Where the current (or last) connection came from, what it dialled, and when it opened or closed.</summary>
    public string? Remote { get; set; }
    public string? Dialled { get; set; }
    public DateTimeOffset? ConnectionSince { get; set; }
    public double? RttMilliseconds { get; set; }
    /// <summary>Changed since the last viewer tick: what to send.</summary>
    public bool SampleDirty, StatusDirty, MachineDirty, ConnectionDirty;

    public ConnectionInfo? ConnectionInfo => ConnectionSince is { } since
        ? new ConnectionInfo { Connected = Connection is not null, Remote = Remote, Dialled = Dialled, Since = since, RttMilliseconds = Connection is null ? null : RttMilliseconds }
        : null;

    public Machine ToMachine(string source) => new()
    {
        Name = Name,
        Status = Status,
        LastSeen = LastSeen,
        Source = source,
        Tags = new Dictionary<string, string>(Tags),
        Inventory = Inventory,
        Latest = Latest,
        AgentVersion = AgentVersion,
        Connection = ConnectionInfo,
    };
}
