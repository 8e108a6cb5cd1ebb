using System.CommandLine;
using Sentinel.Cli;

var root = new RootCommand("sentinel: cluster monitor and benchmark orchestrator, for machines without PowerShell.");
root.Subcommands.Add(MachineCommand.Create());
root.Subcommands.Add(MasterCommand.Create());
root.Subcommands.Add(AgentCommand.Create());
root.Subcommands.Add(RelayCommand.Create());
root.Subcommands.Add(BenchCommand.CreateBench());
root.Subcommands.Add(BenchCommand.CreateRun());
root.Subcommands.Add(ReportCommand.Create());
return await root.Parse(args).InvokeAsync();
