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
    public required string Version { get; init; }
    public required string Source { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public long SamplesReceived;
    public long FramesRejected;

    public void Log(string line) => Options.Log?.Invoke(line);
}
