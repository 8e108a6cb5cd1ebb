using System.CommandLine;
using System.Net;
using Sentinel.Relay;

namespace Sentinel.Cli;

/// <summary>
/// <c>sentinel relay --listen ADDR:PORT --to HOST:PORT</c>: a byte relay for login nodes, so compute nodes (which can reach
/// the login node but not the operator's laptop) reach the master through the login node's end of an SSH reverse tunnel.
/// </summary>
internal static class RelayCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "ADDR:PORT to accept agents' connections on ([::]:PORT for IPv6).",
            DefaultValueFactory = _ => "0.0.0.0:13580",
        };
        var to = new Option<string>("--to")
        {
            Description = "HOST:PORT to forward every connection to, e.g. 127.0.0.1:13579 (the login node's end of `ssh -R`).",
            Required = true,
        };
        var command = new Command("relay", "Relay TCP connections from compute nodes to the master (through an SSH reverse tunnel). Runs until Ctrl+C or SIGTERM.");
        command.Options.Add(listen);
        command.Options.Add(to);
        command.SetAction(async (parse, outer) =>
        {
            IPEndPoint endpoint;
            (string Host, int Port) target;
            try
            {
                endpoint = CliParse.Endpoint("--listen", parse.GetValue(listen) ?? "");
                target = CliParse.HostPort("--to", parse.GetValue(to) ?? "");
            }
            catch (CliException e)
            {
                Console.Error.WriteLine("sentinel relay: " + e.Message);
                return 2;
            }
            await using var relay = new TcpRelay(endpoint, target.Host, target.Port, ConsoleLog.Line);
            try
            {
                await relay.StartAsync();
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"sentinel relay: {ex.Message}");
                return 1;
            }
            using var signals = Signals.Watch(outer);
            await relay.RunAsync(signals.Token);
            ConsoleLog.Line($"stopping: {relay.ActiveConnections} connection(s) open, {relay.TotalConnections} served, {relay.BytesForwarded} bytes forwarded");
            return 0;
        });
        return command;
    }
}
