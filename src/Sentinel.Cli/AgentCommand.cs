using System.CommandLine;
using Sentinel.Agent;

namespace Sentinel.Cli;

/// <summary><c>sentinel agent --master http://HOST:PORT [--name NAME] [--interval 1s] [--token T] [--tag k=v]</c>.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var master = new Option<string>("--master") { Description = "The master's URL, e.g. http://login01:8080, or https://login01:8443 for a master serving TLS.", Required = true };
        var name = new Option<string?>("--name") { Description = "This machine's name in the fleet (default: the host name)." };
        var interval = new Option<string>("--interval") { Description = "Time between samples, 100ms to 1h: 1s, 500ms, 5s, …", DefaultValueFactory = _ => "1s" };
        var token = new Option<string?>("--token") { Description = "The master's agent token, if it requires one." };
        var allowCommand = new Option<string[]>("--allow-command")
        {
            HelpName = "PATTERN",
            Description = "Let the master run command lines that match this glob pattern here (remote commands and the command benchmark), e.g. 'nvidia-smi' or " +
                "'nvidia-smi *'; repeat for more. * is any text, ? one character; the whole line must match, case-sensitively. Programs start without a shell " +
                "unless the pattern itself starts with one ('sh -c *'). None by default: anyone who can reach the master's API could run anything. See docs/commands.md.",
            AllowMultipleArgumentsPerToken = false,
        };
        // The old switch allowed everything; it now says what replaced it instead of silently allowing nothing or all.
        var allowCommandsOld = new Option<bool>("--allow-commands") { Hidden = true };
        var tags = new Option<string[]>("--tag") { Description = "A label key=value; repeat for more. Under Slurm, slurm_job, slurm_node, slurm_cluster, slurm_array_job and slurm_array_task are added from the job's environment.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("agent", "Run an agent: sample this machine and send to a master, reconnecting for as long as it runs. Says goodbye on Ctrl+C or SIGTERM (scancel).");
        foreach (var o in new Option[] { master, name, interval, token, tags, allowCommand, allowCommandsOld })
        {
            command.Options.Add(o);
        }
        var trustOptions = new TrustOptions();
        trustOptions.AddTo(command);
        command.SetAction(async (parse, outer) =>
        {
            using var signals = Signals.Watch(outer);
            var ct = signals.Token;
            try
            {
                var allTags = HostIdentity.SlurmTags();
                foreach (var (k, v) in CliParse.Tags("--tag", parse.GetValue(tags) ?? []))
                {
                    allTags[k] = v;
                }
                var every = CliParse.Duration("--interval", parse.GetValue(interval)!);
                if (AgentOptions.IntervalProblem(every) is { } problem)
                {
                    throw new CliException($"--interval: {problem}");
                }
                var trust = trustOptions.Get(parse);
                if (parse.GetValue(allowCommandsOld))
                {
                    throw new CliException("--allow-commands is gone: name what may run with --allow-command PATTERN (repeatable), e.g. --allow-command 'nvidia-smi *'");
                }
                var allowed = parse.GetValue(allowCommand) ?? [];
                try
                {
                    _ = new global::Sentinel.Commands.CommandPolicy(allowed);
                }
                catch (ArgumentException e)
                {
                    throw new CliException("--allow-command: " + e.Message.Replace(" (Parameter 'patterns')", ""));
                }
                var options = new AgentOptions
                {
                    Master = CliParse.MasterUrl("--master", parse.GetValue(master)!),
                    Name = parse.GetValue(name) ?? HostIdentity.HostName(),
                    Interval = every,
                    Token = parse.GetValue(token),
                    Tags = allTags,
                    AllowCommands = allowed,
                    Log = ConsoleLog.Line,
                    CertificateAuthorityPath = trust.CertificateAuthorityPath,
                    CertificatePin = trust.Pin,
                    AllowInsecure = trust.AllowInsecure,
                };
                if (options.Trust.ClearTextProblem(options.Master, options.Token is not null) is { } clear)
                {
                    throw new CliException(clear);
                }
                ConsoleLog.Line($"agent '{options.Name}' {SentinelAgent.Version}: sampling every {options.Interval.TotalSeconds:0.###} s, master {options.Master}" +
                    (allowed.Length > 0 ? $"; commands allowed: {string.Join(", ", allowed.Select(a => $"'{a}'"))}" : "; no commands allowed"));
                await using var agent = new SentinelAgent(options);
                await agent.RunAsync(ct);
                return 0;
            }
            catch (CliException e)
            {
                Console.Error.WriteLine("sentinel agent: " + e.Message);
                return 2;
            }
        });
        return command;
    }
}
