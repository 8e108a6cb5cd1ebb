namespace Sentinel;

/// <summary>One machine: who it is, what hardware it has, and its latest reading.</summary>
public sealed class Machine
{
    /// <summary>The machine's name (the agent's name; the host name by default).</summary>
    public required string Name { get; init; }

    /// <summary>Online or offline. The local machine is always online.</summary>
    public MachineStatus Status { get; init; }

    /// <summary>When the machine was last heard from (UTC): its latest sample's time, or its agent's hello if no sample came since.</summary>
    public DateTimeOffset? LastSeen { get; init; }

    /// <summary>Where this object came from: "local", or the URL of the master that holds it.</summary>
    public string Source { get; init; } = "local";

    /// <summary>Labels such as slurm_job=1234 or rack=b7.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Hardware and operating system, read once.</summary>
    public required Inventory Inventory { get; init; }

    /// <summary>The latest sample, or null when none has arrived yet.</summary>
    public MachineSample? Latest { get; init; }

    /// <summary>The version of the agent that reports this machine (from its hello); null for the local machine.</summary>
    public string? AgentVersion { get; init; }

    /// <summary>The agent's connection to the master, when a master holds the machine.</summary>
    public ConnectionInfo? Connection { get; init; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
