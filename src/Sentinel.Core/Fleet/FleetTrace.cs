namespace Sentinel.Fleet;

/// <summary>
/// What a fleet does on the wire, for whoever asked to see it: each request to a master, its answer, size and time.
/// PowerShell's -Verbose shows it (each cmdlet, and each job, listens for the calls made on its behalf); nothing is
/// built or kept when nobody listens. The listener follows the async flow, so concurrent jobs and cmdlets each hear
/// only their own requests.
/// </summary>
public static class FleetTrace
{
    private static readonly AsyncLocal<Action<string>?> Sink = new();

    /// <summary>Sends the trace of calls made from here on in this flow to <paramref name="sink"/> (null: to nobody).</summary>
    public static void Listen(Action<string>? sink) => Sink.Value = sink;

    internal static bool Listening => Sink.Value is not null;

    internal static void Write(string message) => Sink.Value?.Invoke(message);
}
