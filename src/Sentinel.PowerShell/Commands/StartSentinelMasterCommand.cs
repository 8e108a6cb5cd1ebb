using System.Management.Automation;
using System.Net;
using Sentinel.Fleet;
using Sentinel.Master;
using Sentinel.Master.Storage;

namespace Sentinel.PowerShell.Commands;

/// <summary>Starts a master in this session, in the background, and connects the session to it.</summary>
[Cmdlet(VerbsLifecycle.Start, "SentinelMaster", SupportsShouldProcess = true)]
[OutputType(typeof(SentinelMasterInstance))]
public sealed class StartSentinelMasterCommand : SentinelCmdlet
{
    /// <summary>TCP port (default 8080; 0 picks a free one).</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = 8080;

    /// <summary>Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Folder for the database (default: the user's data folder, ~/.local/share/sentinel).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary>Agents must present this token.</summary>
    [Parameter]
    [SecretTransformation]
    public System.Security.SecureString? AgentToken { get; set; }

    /// <summary>Serve HTTPS and WSS with this certificate, which must hold its private key.</summary>
    [Parameter]
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }

    /// <summary>After the start, alerts wait this long before firing (default 30 s; 0 for none).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? AlertHoldOff { get; set; }

    /// <summary>Let alert rules run a program on the master (program and arguments, never a shell).</summary>
    [Parameter]
    public SwitchParameter AllowAlertCommand { get; set; }
    /// <summary>Let anyone who can reach the master read /metrics (Prometheus) without a token.</summary>
    [Parameter]
    public SwitchParameter MetricsOpen { get; set; }

    /// <summary>Raw samples are kept this long (default 2 days; 1 hour to 3660 days).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? RawRetention { get; set; }

    /// <summary>One-minute roll-ups and connection history are kept this long (default 35 days; no shorter than RawRetention); a machine offline for longer is forgotten.</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? RollupRetention { get; set; }

    /// <summary>Audit-log entries are kept this long (default 365 days; 0 keeps them for good).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? AuditRetention { get; set; }

    /// <summary>Resolved alerts are kept this long after they resolved (default 90 days; 0 keeps them for good; open alerts always stay).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? AlertRetention { get; set; }

    /// <summary>How much of every machine's recent figures is kept in memory for the live page's first load (default 630 s; 0 turns it off).</summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? RecentHistory { get; set; }

    protected override void EndProcessing()
    {
        if (Certificate is { HasPrivateKey: false })
        {
            WriteError(Error("CertificateWithoutKey", ErrorCategory.InvalidArgument, Certificate, $"The certificate {Certificate.Subject} has no private key.",
                "Load it with its key, e.g. [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($cert, $key)."));
            return;
        }
        if (!IPAddress.TryParse(Address, out var address))
        {
            WriteError(Error("InvalidAddress", ErrorCategory.InvalidArgument, Address, $"'{Address}' is not an IP address.", "Use 127.0.0.1, 0.0.0.0 or one of this machine's addresses."));
            return;
        }
        var defaults = new StoreOptions();
        var store = defaults with
        {
            RawRetention = RawRetention ?? defaults.RawRetention,
            RollupRetention = RollupRetention ?? defaults.RollupRetention,
            AuditRetention = AuditRetention ?? defaults.AuditRetention,
            AlertRetention = AlertRetention ?? defaults.AlertRetention,
            RecentSeconds = RecentHistory is { } recent ? (int)Math.Clamp(Math.Round(recent.TotalSeconds), int.MinValue, int.MaxValue) : defaults.RecentSeconds,
        };
        if (store.Problems().FirstOrDefault() is { } problem)
        {
            var parameter = problem.Property == nameof(StoreOptions.RecentSeconds) ? nameof(RecentHistory) : problem.Property;
            WriteError(Error("InvalidStoreOption", ErrorCategory.InvalidArgument, parameter, $"-{parameter}: {problem.Message}.",
                "See Get-Help Start-SentinelMaster -Parameter " + parameter + " for the range."));
            return;
        }
        var data = GetUnresolvedProviderPathFromPSPath(DataPath ?? SentinelPaths.DefaultDataPath());
        if (!ShouldProcess($"{Address}:{Port}, data in {data}", "Start Sentinel master"))
        {
            return;
        }
        var log = new LogRing();
        MasterServer server;
        try
        {
            server = MasterServer.Start(new MasterOptions
            {
                Address = address, Port = Port, DataPath = data, AgentToken = SecretTransformationAttribute.Reveal(AgentToken), Log = log.Add, Certificate = Certificate,
                AlertHoldOff = AlertHoldOff ?? new MasterOptions { DataPath = data }.AlertHoldOff, AllowAlertCommands = AllowAlertCommand,
                MetricsOpen = MetricsOpen, Store = store,
            });
        }
        catch (MasterStartException e)
        {
            WriteError(new ErrorRecord(e, "Sentinel.MasterStartFailed", ErrorCategory.ResourceUnavailable, $"{Address}:{Port}")
            {
                ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = "Choose another -Port, or stop what uses it." },
            });
            return;
        }
        var instance = new SentinelMasterInstance(server, log);
        Session.Masters.Add(instance);
        // The session trusts its own master's certificate by pinning it: it may be self-signed.
        var trust = Certificate is null ? null
            : new Security.MasterTrust { Pin = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Certificate.RawData)) };
        Session.Connect(new RemoteFleet(server.Url, trust: trust));
        WriteObject(instance);
    }
}
