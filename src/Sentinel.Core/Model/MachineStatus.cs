namespace Sentinel;

/// <summary>Whether a machine is reporting.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(Sentinel.Json.CamelCaseEnumConverter<MachineStatus>))]
public enum MachineStatus
{
    /// <summary>The agent is connected and its samples are current.</summary>
    Online,
    /// <summary>The agent said goodbye or missed three intervals.</summary>
    Offline,
}
