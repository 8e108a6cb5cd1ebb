using Sentinel.Master.Storage;

namespace Sentinel.Master;

/// <summary>What every connection and handler of one master shares.</summary>
internal sealed class MasterContext
{
    public required MasterOptions Options { get; init; }
    public required TimeProvider Time { get; init; }
    public required SampleStore Store { get; init; }
    public required FleetState Fleet { get; init; }
    public required ViewerHub Viewers { get; init; }
    /// <summary>Benchmark jobs; set right after the context is made (it needs the fleet and the store).</summary>
    public Jobs.JobManager Jobs { get; set; } = null!;
    /// <summary>Remote commands and their audit log; set with <see cref="Jobs"/>.</summary>
    public Commands.CommandManager Commands { get; set; } = null!;
    /// <summary>Users, tokens, sessions and the failure throttle.</summary>
    public required Auth.AuthService Auth { get; init; }
    /// <summary>Alert rules and alerts; set right after the context is made.</summary>
    public Alerts.AlertEngine Alerts { get; set; } = null!;
    public Alerts.AlertActions AlertActions { get; set; } = null!;
    public required string Version { get; init; }
    public required string Source { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public long SamplesReceived;
    public long FramesRejected;

    public void Log(string line) => Options.Log?.Invoke(line);
}
