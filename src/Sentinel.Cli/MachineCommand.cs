using System.CommandLine;
using System.Text.Json;
using Sentinel.Fleet;
using Sentinel.Json;

namespace Sentinel.Cli;

/// <summary><c>sentinel machine [--json]</c>: the object Get-SentinelMachine returns, for shells without pwsh.</summary>
internal static class MachineCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the machine as JSON (the object Get-SentinelMachine returns)." };
        var command = new Command("machine", "Show this machine's live metrics and hardware inventory. Takes about a second: rates are measured between two readings.");
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var fleet = new LocalFleet();
            var machines = await fleet.GetMachinesAsync(MachineQuery.All, cancellationToken);
            var machine = machines[0];
            Console.Out.Write(parse.GetValue(json)
                ? JsonSerializer.Serialize(machine, SentinelJsonContext.Indented.Machine) + "\n"
                : MachineText.Render(machine));
            return 0;
        });
        return command;
    }
}
