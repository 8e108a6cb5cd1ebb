using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sentinel.Json;

/// <summary>
/// Source-generated JSON for every type that crosses a wire or a file, so the agent runs under NativeAOT
/// with no reflection. Property names are camelCase; enums are strings.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(Machine))]
[JsonSerializable(typeof(MachineSample))]
[JsonSerializable(typeof(Inventory))]
[JsonSerializable(typeof(List<Machine>))]
[JsonSerializable(typeof(MetricSeries))]
[JsonSerializable(typeof(MasterStatus))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, System.Text.Json.JsonElement>))]
[JsonSerializable(typeof(Protocol.Hello))]
[JsonSerializable(typeof(Protocol.Welcome))]
[JsonSerializable(typeof(Protocol.SampleBatch))]
[JsonSerializable(typeof(Protocol.SequencedSample))]
[JsonSerializable(typeof(Protocol.Ack))]
[JsonSerializable(typeof(Protocol.Goodbye))]
[JsonSerializable(typeof(Protocol.PingMessage))]
[JsonSerializable(typeof(Protocol.ErrorMessage))]
[JsonSerializable(typeof(Protocol.Snapshot))]
[JsonSerializable(typeof(Protocol.FleetUpdate))]
[JsonSerializable(typeof(Protocol.RunRequest))]
[JsonSerializable(typeof(Protocol.CancelRequest))]
[JsonSerializable(typeof(Protocol.ProgressReport))]
[JsonSerializable(typeof(Protocol.ResultReport))]
[JsonSerializable(typeof(BenchmarkResult))]
[JsonSerializable(typeof(List<BenchmarkResult>))]
[JsonSerializable(typeof(BenchmarkJob))]
[JsonSerializable(typeof(List<BenchmarkJob>))]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(ConnectionHistory))]
[JsonSerializable(typeof(FleetHistory))]
[JsonSerializable(typeof(List<BenchmarkInfo>))]
[JsonSerializable(typeof(Protocol.CommandMessage))]
[JsonSerializable(typeof(Protocol.CommandCancelMessage))]
[JsonSerializable(typeof(Protocol.CommandOutputMessage))]
[JsonSerializable(typeof(Protocol.CommandResultMessage))]
[JsonSerializable(typeof(Commands.CommandRequest))]
[JsonSerializable(typeof(Commands.CommandRun))]
[JsonSerializable(typeof(Commands.AuditEntry))]
[JsonSerializable(typeof(List<Commands.AuditEntry>))]
[JsonSerializable(typeof(List<Commands.AuditOutcome>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(AlertRule))]
[JsonSerializable(typeof(List<AlertRule>))]
[JsonSerializable(typeof(Alert))]
[JsonSerializable(typeof(List<Alert>))]
[JsonSerializable(typeof(AlertSilenceRequest))]
[JsonSerializable(typeof(AlertNotification))]
public sealed partial class SentinelJsonContext : JsonSerializerContext
{
    /// <summary>Indented output for people (the CLI's --json).</summary>
    public static SentinelJsonContext Indented => s_indented ??= new(new JsonSerializerOptions(Default.Options!) { WriteIndented = true });

    private static SentinelJsonContext? s_indented;
}
