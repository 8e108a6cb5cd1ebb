using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Sentinel.Agent;
using Sentinel.Fleet;

namespace Sentinel.PowerShell;

/// <summary>
/// Tab completion for machine names: the connected master's machines (status and source as the tooltip), or
/// this machine's name when no master is connected. A master that does not answer within a few seconds
/// completes nothing rather than hanging the prompt.
/// </summary>
public sealed class MachineNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? "").Trim('\'', '"');
        var session = SentinelSession.Current;
        if (session.Connected is not { } master)
        {
            // Reading the local machine's sample takes a second; its name alone is at hand.
            var name = HostIdentity.HostName();
            return name.StartsWith(typed, StringComparison.OrdinalIgnoreCase) || (Wildcard.HasWildcards(typed) && Wildcard.IsMatch(name, typed + "*"))
                ? [Result(name, "This machine (no master connected)")]
                : [];
        }
        if (Ask(token => master.GetMachinesAsync(new MachineQuery([typed + "*"]), token)) is not { } machines)
        {
            return [];
        }
        return machines.OrderBy(m => m.Name, StringComparer.OrdinalIgnoreCase)
            .Select(m => Result(m.Name, $"{m.Name}: {m.Status}, {master.Description}"))
            .ToList();
    }

    /// <summary>
    /// What the master answers within <see cref="Patience"/>, or null: a master that is slow, gone or refusing completes
    /// nothing rather than hanging the prompt or printing an error into it.
    /// </summary>
    internal static T? Ask<T>(Func<CancellationToken, Task<T>> question) where T : class
    {
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            return question(patience.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is FleetException or OperationCanceledException or HttpRequestException)
        {
            return null;
        }
    }

    private static CompletionResult Result(string name, string tooltip) => new(Quote(name), name, CompletionResultType.ParameterValue, tooltip);

    // A name PowerShell would read as something else (spaces, commas, $, quotes) goes in single quotes.
    internal static string Quote(string text)
        => text.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? text : "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
