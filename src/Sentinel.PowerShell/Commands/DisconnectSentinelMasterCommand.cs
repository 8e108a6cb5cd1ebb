using System.Management.Automation;

namespace Sentinel.PowerShell.Commands;

/// <summary>Disconnects the session from its master: the cmdlets act on the local machine again.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "SentinelMaster")]
[OutputType(typeof(void))]
public sealed class DisconnectSentinelMasterCommand : SentinelCmdlet
{
    protected override void EndProcessing()
    {
        if (Session.Connected is { } c)
        {
            WriteVerbose($"Disconnecting from {c.Master}");
        }
        Session.Disconnect();
    }
}
