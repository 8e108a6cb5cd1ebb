using System.Globalization;
using System.Management.Automation;
using Sentinel.Commands;

namespace Sentinel.PowerShell;

/// <summary>
/// Turns a remote command's events into what PowerShell shows: each output line as an information record shown on the
/// host (prefixed with its machine, like Write-Host), each machine's result as output (plus a non-terminating error when
/// it was refused, failed or timed out), and one progress record counting the machines that are done. Feeds both
/// Invoke-SentinelCommand and its -AsJob job.
/// </summary>
internal sealed class CommandRecords : IRunRecords<CommandEvent>
{
    private const int ActivityId = 1;
    private const string Source = "Invoke-SentinelCommand";

    private readonly string _command;
    private readonly int _machines;
    private int _done;
    private long _lines;

    /// <param name="command">The command line, for the activity text.</param>
    /// <param name="machines">How many machines it was sent to.</param>
    public CommandRecords(string command, int machines)
    {
        _command = command;
        _machines = Math.Max(1, machines);
    }

    public int Completed { get; private set; }

    public int Failed { get; private set; }

    public IEnumerable<object> Begin() => [Overall()];

    public IEnumerable<object> Translate(CommandEvent e)
    {
        if (e.Line is { } line)
        {
            _lines++;
            var record = new InformationRecord(new HostInformationMessage { Message = e.Stream == "stderr" ? $"[{e.Machine} stderr] {line}" : $"[{e.Machine}] {line}" }, Source);
            record.Tags.Add("PSHOST");
            record.Tags.Add("Sentinel.CommandOutput");
            record.Tags.Add(e.Machine);
            yield return record;
        }
        else if (e.Result is { } r)
        {
            _done++;
            if (r.State == CommandState.Completed) Completed++;
            else Failed++;
            yield return Overall();
            yield return r;
            if (ErrorOf(r) is { } error) yield return error;
        }
    }

    public ProgressRecord Finish()
    {
        var record = Overall();
        record.RecordType = ProgressRecordType.Completed;
        return record;
    }

    private ProgressRecord Overall() => new(ActivityId,
        $"'{_command}' on {_machines.ToString(CultureInfo.InvariantCulture)} machine{(_machines == 1 ? "" : "s")}",
        $"{_done.ToString(CultureInfo.InvariantCulture)} of {_machines.ToString(CultureInfo.InvariantCulture)} done, {_lines.ToString(CultureInfo.InvariantCulture)} line{(_lines == 1 ? "" : "s")} of output")
    {
        PercentComplete = (int)Math.Round(100.0 * Math.Min(_done, _machines) / _machines),
    };

    /// <summary>A non-terminating error for a machine that refused, failed or timed out (a non-zero exit code is not one).</summary>
    private static ErrorRecord? ErrorOf(CommandResult r) => r.State switch
    {
        CommandState.Refused => SentinelCmdlet.Error("CommandRefused", ErrorCategory.PermissionDenied, r, $"{r.Machine} refused '{r.Command}': {r.Refused}",
            "The machine's owner allows command lines with sentinel agent --allow-command PATTERN (Start-SentinelAgent -AllowCommand)."),
        CommandState.TimedOut => SentinelCmdlet.Error("CommandTimedOut", ErrorCategory.OperationTimeout, r, $"'{r.Command}' on {r.Machine}: {r.Error}",
            "Give it longer with -TimeoutSec."),
        CommandState.Failed => SentinelCmdlet.Error("CommandFailed", ErrorCategory.ResourceUnavailable, r, $"'{r.Command}' on {r.Machine}: {r.Error}",
            "Get-SentinelMachine shows whether the machine is online."),
        _ => null,
    };
}
