using System.Management.Automation;
using System.Net;
using Sentinel.Fleet;
using Sentinel.Master;

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
                MetricsOpen = MetricsOpen,
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
