namespace Sentinel.Agent;

/// <summary>An agent's state, for Start-/Stop-SentinelAgent (the instance's Status) and logs.</summary>
public sealed class AgentStatus
{
    public required string Name { get; init; }
    public required Uri Master { get; init; }
    public bool Connected { get; init; }
    public string BootId { get; init; } = "";
    /// <summary>Samples taken since the agent started.</summary>
    public long SamplesTaken { get; init; }
    /// <summary>The highest sequence number the master has on disk.</summary>
    public long AckedSeq { get; init; }
    /// <summary>Samples held because the master has not acked them yet.</summary>
    public int Buffered { get; init; }
    /// <summary>Samples dropped, oldest first, because the buffer was full.</summary>
    public long Dropped { get; init; }
    public int Connects { get; init; }
    public string? LastError { get; init; }
}
