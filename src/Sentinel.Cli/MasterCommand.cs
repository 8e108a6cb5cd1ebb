using System.CommandLine;
using Sentinel.Master;

namespace Sentinel.Cli;

/// <summary><c>sentinel master --listen ADDR:PORT --data DIR [--agent-token T]</c>.</summary>
internal static class MasterCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Address and port to serve agents, viewers and the API on.", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var data = new Option<string>("--data") { Description = "Folder for the SQLite database.", DefaultValueFactory = _ => SentinelPaths.DefaultDataPath() };
        var token = new Option<string?>("--agent-token") { Description = "Agents must present this token (sentinel agent --token)." };
        var command = new Command("master", "Run a master: agents connect to it, it stores their samples and serves the API and the live page (open its address in a browser). Stops cleanly on Ctrl+C or SIGTERM.");
        command.Options.Add(listen);
        command.Options.Add(data);
        command.Options.Add(token);
        command.SetAction(async (parse, outer) =>
        {
            using var signals = Signals.Watch(outer);
            var ct = signals.Token;
            try
            {
                var endpoint = CliParse.Endpoint("--listen", parse.GetValue(listen)!);
                await using var master = MasterServer.Start(new MasterOptions
                {
                    Address = endpoint.Address,
                    Port = endpoint.Port,
                    DataPath = Path.GetFullPath(parse.GetValue(data)!),
                    AgentToken = parse.GetValue(token),
                    Log = ConsoleLog.Line,
                });
                ConsoleLog.Line($"agents: sentinel agent --master {master.Url.ToString().TrimEnd('/')}");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    ConsoleLog.Line("stopping");
                }
                return 0;
            }
            catch (Exception e) when (e is CliException or MasterStartException)
            {
                Console.Error.WriteLine("sentinel master: " + e.Message);
                return e is CliException ? 2 : 1;
            }
        });
        return command;
    }
}
