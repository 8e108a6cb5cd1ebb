namespace Sentinel;

/// <summary>A master's health and counters, as GET /api/status returns them.</summary>
public sealed class MasterStatus
{
    public required string Version { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public double UptimeSeconds { get; init; }
    public int MachinesOnline { get; init; }
    public int MachinesOffline { get; init; }
    public int AgentsConnected { get; init; }
    public int Viewers { get; init; }
    public long SamplesReceived { get; init; }
    public long SamplesStored { get; init; }
    public long SamplesDuplicate { get; init; }
    /// <summary>Samples not queued because the store was too far behind; agents keep and resend them.</summary>
    public long SamplesRefused { get; init; }
    public long FramesRejected { get; init; }
    public int StoreQueueDepth { get; init; }
    public double StoreCommitMilliseconds { get; init; }
    public bool StoreHealthy { get; init; }
    public string? StoreError { get; init; }
    public long DatabaseBytes { get; init; }
    public long WalBytes { get; init; }
    public string? DataPath { get; init; }
    /// <summary>Benchmark jobs queued or running now.</summary>
    public int JobsRunning { get; init; }
    /// <summary>Benchmark jobs that ended (completed, failed or cancelled) and are kept.</summary>
    public int JobsFinished { get; init; }
    /// <summary>Alerts firing now and neither acknowledged nor silenced.</summary>
    public int AlertsFiring { get; init; }
    /// <summary>Alerts open now in any state (firing, acknowledged, silenced).</summary>
    public int AlertsOpen { get; init; }
}
