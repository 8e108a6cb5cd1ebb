namespace Sentinel.Master.Tests;

/// <summary>
/// Tests that load the whole machine (hundreds of agents, a 60 s partition, a disk filled on purpose) run alone,
/// after the others, so neither they nor the timing-sensitive tests of other classes disturb each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "faults";
}
