namespace Sentinel.Agent;

/// <summary>
/// Reconnect delays: exponential growth from a base, capped, with "full jitter" (a uniform draw between
/// zero and the capped value), so a fleet that lost its master spreads its reconnects instead of
/// arriving all at once.
/// </summary>
public static class Backoff
{
    /// <summary>The delay before reconnect attempt <paramref name="attempt"/> (0 for the first try after a loss).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan cap, Random random)
    {
        var ceiling = Ceiling(attempt, baseDelay, cap);
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling.TotalMilliseconds);
    }

    /// <summary>The largest delay attempt <paramref name="attempt"/> can draw: base × 2^attempt, at most the cap.</summary>
    public static TimeSpan Ceiling(int attempt, TimeSpan baseDelay, TimeSpan cap)
        => TimeSpan.FromMilliseconds(Math.Min(cap.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 30))));
}
