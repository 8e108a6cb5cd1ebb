namespace Sentinel.Agent;

/// <summary>How an agent reaches its master and what it says about itself.</summary>
public sealed record AgentOptions
{
    /// <summary>The master's URL: http://host:port (the agent connects to ws://host:port/ws/agent).</summary>
    public required Uri Master { get; init; }
    /// <summary>The machine's name in the fleet; the host name by default.</summary>
    public string Name { get; init; } = HostIdentity.HostName();
    /// <summary>One sample per interval, from <see cref="MinInterval"/> to <see cref="MaxInterval"/>.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest sampling interval (a sample costs about 0.2 ms of CPU; faster is noise, not insight).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>The longest sampling interval (the master calls a machine offline after three silent intervals).</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    /// <summary>Why <paramref name="interval"/> cannot be used, or null when it can.</summary>
    public static string? IntervalProblem(TimeSpan interval) =>
        interval < MinInterval || interval > MaxInterval
            ? $"{Durations.Format(interval)} is outside {Durations.Format(MinInterval)} to {Durations.Format(MaxInterval)}"
            : null;
    public string? Token { get; init; }
    /// <summary>The command lines the master may make this agent run (remote commands and the Command benchmark), as glob
    /// patterns matched against the whole line (docs/commands.md). Empty, the default, allows none: whoever can reach the
    /// master's API could otherwise run anything on every machine.</summary>
    public IReadOnlyList<string> AllowCommands { get; init; } = [];
    public Dictionary<string, string> Tags { get; init; } = [];
    /// <summary>Samples kept until the master acks them; when full the oldest are dropped and counted.
    /// Null: one hour's worth at the interval, and never fewer than 3,600.</summary>
    public int? BufferCapacity { get; init; }
    /// <summary>Reconnect delays grow from this, doubled per failed attempt, with full jitter.</summary>
    public TimeSpan ReconnectBase { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The longest reconnect delay: also the longest an agent can take to notice that a partition healed.</summary>
    public TimeSpan ReconnectCap { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>While samples are unacked and nothing at all has come from the master for this long, the connection is
    /// taken for dead (a silent partition sends no reset) and dialled again. More than twice the master's ping interval.</summary>
    public TimeSpan MasterSilenceTimeout { get; init; } = TimeSpan.FromSeconds(25);
    /// <summary>When samples are outstanding and the ack has not moved for this long, they are sent again (the master drops duplicates).</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public string HostId { get; init; } = HostIdentity.HostId();
    public Action<string>? Log { get; init; }

    internal int Capacity => BufferCapacity ?? Math.Max(3600, (int)Math.Ceiling(TimeSpan.FromHours(1) / Interval));

    /// <summary>ws:// or wss:// URL of the master's agent endpoint.</summary>
    public Uri AgentEndpoint
    {
        get
        {
            var b = new UriBuilder(Master) { Scheme = Master.Scheme == "https" ? "wss" : Master.Scheme == "http" ? "ws" : Master.Scheme };
            b.Path = b.Path.TrimEnd('/') + "/ws/agent";
            return b.Uri;
        }
    }

    /// <summary>A PEM bundle of CA certificates to trust for an https:// master instead of the system's store.</summary>
    public string? CertificateAuthorityPath { get; init; }
    /// <summary>SHA-256 of the master's public key or certificate (hex or base64): only that is accepted, whatever its chain or name.</summary>
    public string? CertificatePin { get; init; }
    /// <summary>Send the token over http:// to a host that is not loopback (refused by default: anyone on the path could read it).</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>The certificate and clear-text rules these options make.</summary>
    public Security.MasterTrust Trust => new() { CertificateAuthorityPath = CertificateAuthorityPath, Pin = CertificatePin, AllowInsecure = AllowInsecure };
}
