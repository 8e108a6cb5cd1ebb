using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// A PowerShell host whose console is a string: what Out-Default would print in an 80-column terminal,
/// plus every progress record, so format views and Write-Progress can be checked.
/// </summary>
public sealed partial class CapturingHost(int width = 80) : PSHost
{
    private readonly CapturingUI _ui = new(width);
    public override string Name => "SentinelTestHost";
    public override Version Version => new(1, 0);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override void SetShouldExit(int exitCode) { }
    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }

    /// <summary>Everything written to the console since the last call, without ANSI escapes.</summary>
    public string TakeOutput()
    {
        var text = _ui.Output.ToString();
        _ui.Output.Clear();
        return AnsiRegex().Replace(text, "");
    }

    public List<ProgressRecord> Progress => _ui.Progress;

    /// <summary>What the next confirmation prompts are answered, by label ("Yes", "No"); the default choice when empty.</summary>
    public Queue<string> Answers => _ui.Answers;

    /// <summary>Every choice prompt shown (a -Confirm or ConfirmImpact prompt), as "caption: message".</summary>
    public List<string> Prompts => _ui.Prompts;

    [GeneratedRegex(@"\x1b\[[0-9;?]*[a-zA-Z]")]
    private static partial Regex AnsiRegex();

    private sealed class CapturingUI(int width) : PSHostUserInterface
    {
        public StringBuilder Output { get; } = new();
        public List<ProgressRecord> Progress { get; } = [];
        public override PSHostRawUserInterface RawUI { get; } = new RawUI(width);
        public override void Write(string value) => Output.Append(value);
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Output.Append(value);
        public override void WriteLine(string value) => Output.Append(value).Append('\n');
        public override void WriteErrorLine(string value) => Output.Append("ERROR: ").Append(value).Append('\n');
        public override void WriteDebugLine(string message) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) => Output.Append("WARNING: ").Append(message).Append('\n');
        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
            lock (Progress) Progress.Add(record);
        }
        public override string ReadLine() => "";
        public override SecureString ReadLineAsSecureString() => new();
        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) => [];
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();
        public Queue<string> Answers { get; } = new();
        public List<string> Prompts { get; } = [];
        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Prompts.Add(caption + ": " + message);
            if (!Answers.TryDequeue(out var answer)) return defaultChoice;
            var index = choices.Select(c => c.Label.Replace("&", "", StringComparison.Ordinal)).ToList().IndexOf(answer);
            return index >= 0 ? index : throw new InvalidOperationException($"the prompt has no choice '{answer}': {string.Join(", ", choices.Select(c => c.Label))}");
        }
    }

    private sealed class RawUI(int width) : PSHostRawUserInterface
    {
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
        public override Coordinates CursorPosition { get; set; }
        public override Coordinates WindowPosition { get; set; }
        public override int CursorSize { get; set; }
        public override Size BufferSize { get => new(width, 9999); set { } }
        public override Size WindowSize { get => new(width, 50); set { } }
        public override Size MaxWindowSize => new(width, 50);
        public override Size MaxPhysicalWindowSize => new(width, 50);
        public override bool KeyAvailable => false;
        public override string WindowTitle { get; set; } = "";
        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
        public override void FlushInputBuffer() { }
        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    }
}
