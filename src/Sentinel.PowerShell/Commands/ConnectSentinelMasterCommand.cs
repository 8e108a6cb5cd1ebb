using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Points this session at a master elsewhere: from then on the cmdlets act on its fleet.</summary>
[Cmdlet(VerbsCommunications.Connect, "SentinelMaster")]
[OutputType(typeof(SentinelConnection))]
public sealed class ConnectSentinelMasterCommand : SentinelCmdlet
{
    /// <summary>The master's URL, e.g. http://login01:8080.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = "";

    /// <summary>A PEM file of CA certificates to trust for an https:// master, instead of the system's store.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificateAuthority { get; set; }

    /// <summary>Accept only the master certificate whose public key or whole certificate has this SHA-256 (hex or base64).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePin { get; set; }

    /// <summary>Send a token over http:// to a master that is not on loopback (clear text; only on a trusted network).</summary>
    [Parameter]
    public SwitchParameter AllowInsecure { get; set; }

    /// <summary>A user name and password, for a master that needs a login: the session lasts 12 hours.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>An API token (an admin makes one: POST /api/tokens), for scripts against a master that needs a login.</summary>
    [Parameter]
    [SecretTransformation]
    public System.Security.SecureString? Token { get; set; }

    protected override void ProcessRecord()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
        {
            WriteError(Error("InvalidUrl", ErrorCategory.InvalidArgument, Url, $"'{Url}' is not an http:// or https:// URL.", "Use the master's URL, e.g. http://login01:8080."));
            return;
        }
        RemoteFleet fleet;
        try
        {
            fleet = new RemoteFleet(url, trust: new Security.MasterTrust
            {
                CertificateAuthorityPath = CertificateAuthority is null ? null : GetUnresolvedProviderPathFromPSPath(CertificateAuthority),
                Pin = CertificatePin, AllowInsecure = AllowInsecure,
            });
        }
        catch (ArgumentException e)
        {
            WriteError(Error("InvalidCertificateTrust", ErrorCategory.InvalidArgument, Url, e.Message, "Check -CertificateAuthority and -CertificatePin."));
            return;
        }
        if (Credential is not null && Token is not null)
        {
            WriteError(Error("CredentialAndToken", ErrorCategory.InvalidArgument, Url, "Give -Credential or -Token, not both.", "Use -Credential for a user, -Token for an API token."));
            return;
        }
        MasterStatus status;
        try
        {
            if (Token is not null)
            {
                fleet.Token = SecretTransformationAttribute.Reveal(Token);
            }
            if (Credential is not null)
            {
                fleet.LoginAsync(Credential.UserName, Credential.GetNetworkCredential().Password, CancellationToken).GetAwaiter().GetResult();
            }
            status = Await(fleet.GetStatusAsync(CancellationToken));
        }
        catch (FleetException e)
        {
            fleet.DisposeAsync().AsTask().GetAwaiter().GetResult();
            WriteError(Error(e, Url));
            return;
        }
        Session.Connect(fleet);
        WriteObject(new SentinelConnection
        {
            Url = fleet.Master.ToString().TrimEnd('/'),
            Version = status.Version,
            MachinesOnline = status.MachinesOnline,
            MachinesOffline = status.MachinesOffline,
            AgentsConnected = status.AgentsConnected,
        });
    }
}
