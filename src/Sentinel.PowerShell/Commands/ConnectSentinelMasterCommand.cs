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

    protected override void ProcessRecord()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
        {
            WriteError(Error("InvalidUrl", ErrorCategory.InvalidArgument, Url, $"'{Url}' is not an http:// or https:// URL.", "Use the master's URL, e.g. http://login01:8080."));
            return;
        }
        var fleet = new RemoteFleet(url);
        MasterStatus status;
        try
        {
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
