using System.Net;
using Sentinel.Master.Storage;

namespace Sentinel.Master;

/// <summary>How a master listens, where it keeps data, and its protocol timings.</summary>
public sealed record MasterOptions
{
    /// <summary>Address to bind: 127.0.0.1 (default), 0.0.0.0 for every interface, or one address.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;
    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Folder for sentinel.db.</summary>
    public required string DataPath { get; init; }
    /// <summary>When set, agents must present this token in their hello (stored agent tokens work too).</summary>
    public string? AgentToken { get; init; }
    /// <summary>Ask for a login even on loopback. Beyond loopback a login is always needed.</summary>
    public bool RequireLogin { get; init; }
    /// <summary>
    /// Let anyone who can reach the master read /metrics (Prometheus text format) without a token. Off by default:
    /// /metrics needs a viewer like the rest of the API (Prometheus sends an API token as a bearer token).
    /// </summary>
    public bool MetricsOpen { get; init; }
    /// <summary>The password of the 'admin' user made at the first start that needs a login; otherwise a random one is printed once.</summary>
    public string? InitialAdminPassword { get; init; }
    /// <summary>A machine is offline after this many of its intervals without a sample, by the master's clock.</summary>
    public int OfflineAfterIntervals { get; init; } = 3;
    /// <summary>How often changes are pushed to viewers (coalesced).</summary>
    public TimeSpan ViewerTick { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>An agent that has not sent its hello by then is closed.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Frames waiting for one viewer before it is given a fresh snapshot instead.</summary>
    public int ViewerQueueFrames { get; init; } = 32;
    /// <summary>A viewer whose one send takes longer than this (it reads nothing) is closed.</summary>
    public TimeSpan ViewerSendTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How often agents that answer pings are pinged, for the round trip the page shows.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);
    public StoreOptions Store { get; init; } = new();
    /// <summary>After the start, alerts wait this long before firing, so agents reconnecting to a restarted master do not
    /// all raise alerts at once (three 10 s agent intervals by default). Zero: alerts fire at once.</summary>
    public TimeSpan AlertHoldOff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Let alert rules run a program on the master (off by default: a rule with a command is refused).</summary>
    public bool AllowAlertCommands { get; init; }
    /// <summary>How long one webhook POST may take.</summary>
    public TimeSpan AlertWebhookTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Webhook attempts in all (the first and the retries).</summary>
    public int AlertWebhookAttempts { get; init; } = 4;
    /// <summary>The wait before the first retry; it doubles for each further one.</summary>
    public TimeSpan AlertWebhookRetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>An alert command still running after this is killed.</summary>
    public TimeSpan AlertCommandTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Log lines (the CLI prints them; PowerShell keeps them for Receive-Job-like inspection).</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Serve HTTPS and WSS with this certificate (it must hold its private key; see
    /// <see cref="Http.ServerCertificate"/> to load PEM or PFX files). Null: plain HTTP.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }
}
