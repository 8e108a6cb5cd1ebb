namespace Sentinel.Collectors;

/// <summary>Where an agent's samples come from: a <see cref="Sampler"/> on a real machine, or a simulation (load tests).</summary>
public interface ISampleSource
{
    Inventory Inventory { get; }

    /// <summary>The sample since the previous call, or null for the first (a baseline).</summary>
    MachineSample? Next();
}
