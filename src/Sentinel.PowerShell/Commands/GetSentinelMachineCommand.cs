using System.Collections;
using System.Management.Automation;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>Lists machines with their inventory and latest sample: this machine, or the connected master's fleet.</summary>
[Cmdlet(VerbsCommon.Get, "SentinelMachine")]
[OutputType(typeof(Machine))]
public sealed class GetSentinelMachineCommand : SentinelCmdlet
{
    /// <summary>Machine names to return; wildcards allowed. All machines when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Only machines with this status: Online or Offline.</summary>
    /// <remarks>A string, not the engine's enum: see <see cref="SentinelLoadContext"/> on engine value types.</remarks>
    [Parameter]
    [ValidateSet("Online", "Offline", IgnoreCase = true)]
    public string? Status { get; set; }

    /// <summary>Only machines whose tags match every key (values may use wildcards), e.g. @{ rack = 'b*' }.</summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Tag { get; set; }

    private readonly List<string> _names = [];

    protected override void ProcessRecord()
    {
        if (Name is not null)
        {
            _names.AddRange(Name);
        }
    }

    protected override void EndProcessing()
    {
        var fleet = Session.Fleet;
        var tags = Tag?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "", StringComparer.Ordinal);
        IReadOnlyList<Machine> machines;
        try
        {
            MachineStatus? status = Status is null ? null : Enum.Parse<MachineStatus>(Status, ignoreCase: true);
            machines = Await(fleet.GetMachinesAsync(new MachineQuery(_names.Count > 0 ? _names : null, status, tags), CancellationToken));
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, fleet.Description));
            return;
        }
        foreach (var machine in machines)
        {
            WriteObject(machine);
        }
        // A plain name that matched nothing is an error, as with Get-Process; a wildcard that matched nothing is not.
        foreach (var name in _names.Where(n => !Wildcard.HasWildcards(n)))
        {
            if (!machines.Any(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                WriteError(Error("MachineNotFound", ErrorCategory.ObjectNotFound, name,
                    $"No machine named '{name}' in the {fleet.Description}" + (Status is not null || tags is not null ? " with that status and tags." : "."),
                    "Run Get-SentinelMachine with no -Name to list the machines there are."));
            }
        }
    }
}
