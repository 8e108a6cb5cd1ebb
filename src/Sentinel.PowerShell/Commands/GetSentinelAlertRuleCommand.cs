using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>The connected master's alert rules, in order.</summary>
[Cmdlet(VerbsCommon.Get, "SentinelAlertRule")]
[OutputType(typeof(AlertRule))]
public sealed class GetSentinelAlertRuleCommand : SentinelCmdlet
{
    /// <summary>Only the rules whose id matches (wildcards allowed). All when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Id { get; set; }

    protected override void EndProcessing()
    {
        var master = ConnectedMaster();
        try
        {
            var rules = Await(master.GetAlertRulesAsync(CancellationToken));
            foreach (var pattern in Id ?? ["*"])
            {
                var found = rules.Where(r => Wildcard.IsMatch(r.Id, pattern)).ToList();
                if (found.Count == 0 && !Wildcard.HasWildcards(pattern))
                {
                    WriteError(Error("AlertRuleNotFound", ErrorCategory.ObjectNotFound, pattern, $"There is no alert rule '{pattern}'.", "Get-SentinelAlertRule lists the rules and their Ids."));
                }
                WriteObject(found, enumerateCollection: true);
            }
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, master.Description));
        }
    }
}
