using System.Management.Automation;
using Sentinel.Commands;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>The connected master's audit log, newest first: every request to run a command on machines, allowed or refused.</summary>
[Cmdlet(VerbsCommon.Get, "SentinelAuditLog")]
[OutputType(typeof(AuditEntry))]
public sealed class GetSentinelAuditLogCommand : SentinelCmdlet
{
    /// <summary>Only entries at or after this time (without a zone: local time).</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Only this caller: a user name, 'token NAME', or 'anonymous' (exactly).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>Only requests that named this machine (exactly).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Machine { get; set; }

    /// <summary>At most this many entries, the newest.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Last { get; set; } = 100;

    protected override void EndProcessing()
    {
        if (Session.Connected is not { } master)
        {
            ThrowTerminatingError(Error("NoMaster", ErrorCategory.InvalidOperation, null,
                "The audit log is kept by a master, and no master is connected.", "Connect-SentinelMaster -Url http://HOST:PORT (or Start-SentinelMaster) first."));
            return;
        }
        try
        {
            var since = Since is { } s ? new DateTimeOffset(s.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(s, DateTimeKind.Local) : s) : (DateTimeOffset?)null;
            foreach (var entry in Await(master.GetAuditLogAsync(new AuditQuery(since, User, Machine, Last), CancellationToken)))
            {
                WriteObject(entry);
            }
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, master.Description));
        }
    }
}
