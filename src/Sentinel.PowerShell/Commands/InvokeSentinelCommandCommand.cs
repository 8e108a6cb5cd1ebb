using System.Management.Automation;
using Sentinel.Commands;
using Sentinel.Fleet;

namespace Sentinel.PowerShell.Commands;

/// <summary>
/// Runs a command line on machines of the connected master (admin role; each machine's agent runs only what its owner
/// allowed with -AllowCommand). Output lines are shown as they come, prefixed with the machine's name, through the
/// information stream (like Write-Host); then one result per machine: output, exit code, duration, timed out, truncated.
/// Progress counts the machines that are done. With -AsJob, returns a job at once instead.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "SentinelCommand", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CommandResult))]
[OutputType(typeof(Job))]
public sealed class InvokeSentinelCommandCommand : SentinelCmdlet
{
    /// <summary>The machines: names, or Get-SentinelMachine's output piped in (bound by its Name).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Machine")]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>The command line, e.g. 'nvidia-smi -q'. Split into words with simple quoting and run without a shell (docs/commands.md).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Command { get; set; } = "";

    /// <summary>Longest it may run, in seconds (default 60); then the agent kills it and every process it started.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 60;

    /// <summary>Return a job at once; Receive-Job gives the results (and the lines, in its information stream).</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    private readonly List<string> _machines = [];

    protected override void BeginProcessing()
    {
        if (Session.Connected is null)
        {
            // Run here it would skip the allow-list and the audit log: on this machine, run the program itself.
            ThrowTerminatingError(Error("NoMaster", ErrorCategory.InvalidOperation, Command,
                "Invoke-SentinelCommand runs commands on machines through a master, and no master is connected.",
                "Connect-SentinelMaster -Url http://HOST:PORT (or Start-SentinelMaster) first. To run a program on this machine, run it directly."));
        }
        if (CommandLine.Problem(Command) is { } problem)
        {
            ThrowTerminatingError(Error("InvalidCommand", ErrorCategory.InvalidArgument, Command, $"-Command: {problem}.", "Give one line; run several commands one by one."));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!_machines.Contains(name, StringComparer.Ordinal)) _machines.Add(name);
        }
    }

    protected override void EndProcessing()
    {
        var master = Session.Connected!;
        if (_machines.Count == 0 || !ShouldProcess($"{string.Join(", ", _machines)} ({master.Description})", $"Run '{Command}'"))
        {
            return;
        }
        var machines = _machines.ToArray();
        var timeout = TimeSpan.FromSeconds(TimeoutSec);
        if (AsJob)
        {
            var job = new SentinelJob($"{MyInvocation.MyCommand.Name} -Command '{Command.Replace("'", "''", StringComparison.Ordinal)}' -Name {string.Join(", ", machines)}",
                master.Description, "SentinelCommandJob");
            JobRepository.Add(job);
            job.Start(token => master.RunCommandAsync(machines, Command, timeout, token), new CommandRecords(Command, machines.Length));
            WriteObject(job);
            return;
        }
        var records = new CommandRecords(Command, machines.Length);
        WriteRecords(records.Begin());
        try
        {
            foreach (var e in Drain(master.RunCommandAsync(machines, Command, timeout, CancellationToken)))
            {
                WriteRecords(records.Translate(e));
            }
        }
        catch (FleetException e)
        {
            ThrowTerminatingError(Error(e, e.Reason == "MachineNotFound" ? string.Join(", ", machines) : Command));
        }
        WriteProgress(records.Finish());
    }
}
