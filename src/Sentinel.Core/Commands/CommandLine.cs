using System.Globalization;
using System.Text;

namespace Sentinel.Commands;

/// <summary>A command line that cannot be run, with the reason for people.</summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>
/// The rules for a remote command line (docs/commands.md): one line of printable text, matched whole against
/// glob patterns, then split into argv with simple quoting and started without a shell.
/// </summary>
public static class CommandLine
{
    /// <summary>The longest command line accepted.</summary>
    public const int MaxLength = 8192;

    /// <summary>Why <paramref name="line"/> cannot be a command, or null when it can. Checked before any pattern is tried:
    /// a newline, carriage return, NUL, tab or any other control character (and U+2028/U+2029) refuses the line.</summary>
    public static string? Problem(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return "the command is empty";
        if (line.Length > MaxLength) return $"the command is {line.Length} characters long; at most {MaxLength} are accepted";
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                return $"the command contains the control character U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)} at position {i + 1}; a command is one line of printable text";
            }
            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1])) && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(line[i - 1])))
            {
                return $"the command contains a lone surrogate at position {i + 1}";
            }
        }
        return null;
    }

    /// <summary>
    /// True when <paramref name="pattern"/> matches the whole of <paramref name="line"/>: <c>*</c> stands for any run of
    /// characters (spaces too, none at all), <c>?</c> for exactly one; everything else matches itself, case-sensitively.
    /// </summary>
    public static bool Matches(string pattern, string line)
    {
        int p = 0, s = 0, starP = -1, starS = 0;
        while (s < line.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == line[s])))
            {
                p++;
                s++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starS = s;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                s = ++starS;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>
    /// Splits a command line into argv the way a POSIX shell does for plain words and simple quoting, and nothing more
    /// (no variables, globs, pipes, redirections or operators: <c>$(id)</c>, <c>;</c> and <c>|</c> are ordinary characters):
    /// blanks separate words; '…' keeps everything inside literally; "…" keeps blanks and lets \ escape " \ $ and `;
    /// outside quotes \ makes the next character literal. An unclosed quote is an error.
    /// </summary>
    public static List<string> Split(string text)
    {
        var args = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            switch (ch)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        args.Add(current.ToString());
                        current.Clear();
                        inWord = false;
                    }
                    break;
                case '\'':
                    inWord = true;
                    int end = text.IndexOf('\'', i + 1);
                    if (end < 0) throw new CommandLineException("a ' is not closed");
                    current.Append(text, i + 1, end - i - 1);
                    i = end;
                    break;
                case '"':
                    inWord = true;
                    i++;
                    for (; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }
                        current.Append(text[i]);
                    }
                    if (i >= text.Length) throw new CommandLineException("a \" is not closed");
                    break;
                case '\\':
                    inWord = true;
                    if (i + 1 < text.Length) current.Append(text[++i]);
                    break;
                default:
                    inWord = true;
                    current.Append(ch);
                    break;
            }
        }
        if (inWord) args.Add(current.ToString());
        return args;
    }
}
