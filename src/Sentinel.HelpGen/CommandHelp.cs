using System.Text.RegularExpressions;

namespace Sentinel.HelpGen;

public sealed class HelpFormatException(string message) : Exception(message);

public sealed record Example(string Title, string Code, List<string> Remarks);

public sealed record ParameterHelp(
    string Name, List<string> Description, string Type, List<string> Sets, string Aliases, bool Required,
    string Position, string DefaultValue, string PipelineInput, bool Wildcards);

public sealed record TypeHelp(string Name, List<string> Description);

/// <summary>One cmdlet's help page in platyPS's Markdown schema 2.0.</summary>
public sealed partial class CommandHelp
{
    public required string Name { get; init; }
    public string Synopsis { get; set; } = "";
    public List<string> Description { get; } = [];
    public List<(string Set, bool IsDefault)> SyntaxSets { get; } = [];
    public List<Example> Examples { get; } = [];
    public List<ParameterHelp> Parameters { get; } = [];
    public List<TypeHelp> Inputs { get; } = [];
    public List<TypeHelp> Outputs { get; } = [];
    public List<string> Notes { get; } = [];
    public List<(string Text, string Uri)> Links { get; } = [];

    public static CommandHelp Parse(string path)
    {
        var lines = File.ReadAllLines(path).ToList();
        int i = 0;
        if (i < lines.Count && lines[i] == "---")
        {
            i = lines.FindIndex(1, l => l == "---") + 1; // front matter
        }
        var h1 = lines.Skip(i).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal))
                 ?? throw new HelpFormatException($"{path}: no '# Cmdlet-Name' heading");
        var help = new CommandHelp { Name = h1[2..].Trim() };

        // Split into "## SECTION" blocks, each a list of lines.
        var sections = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        List<string>? current = null;
        foreach (var line in lines.Skip(lines.IndexOf(h1) + 1))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                current = [];
                sections[line[3..].Trim()] = current;
            }
            else
            {
                current?.Add(line);
            }
        }

        help.Synopsis = string.Join(" ", Paragraphs(Get(sections, "SYNOPSIS", path)));
        if (help.Synopsis.Length == 0)
        {
            throw new HelpFormatException($"{path}: SYNOPSIS is empty");
        }
        help.Description.AddRange(Paragraphs(Get(sections, "DESCRIPTION", path)));

        foreach (var (title, body) in Subsections(sections.GetValueOrDefault("SYNTAX") ?? []))
        {
            bool isDefault = title.EndsWith("(Default)", StringComparison.OrdinalIgnoreCase);
            help.SyntaxSets.Add((title.Replace("(Default)", "", StringComparison.OrdinalIgnoreCase).Trim(), isDefault));
        }

        foreach (var (title, body) in Subsections(Get(sections, "EXAMPLES", path)))
        {
            var (code, rest) = TakeCode(body);
            if (code is null)
            {
                throw new HelpFormatException($"{path}: example '{title}' has no code block");
            }
            help.Examples.Add(new Example(title, code, Paragraphs(rest)));
        }
        if (help.Examples.Count == 0)
        {
            throw new HelpFormatException($"{path}: no examples");
        }

        foreach (var (title, body) in Subsections(sections.GetValueOrDefault("PARAMETERS") ?? []))
        {
            if (title.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!title.StartsWith('-'))
            {
                throw new HelpFormatException($"{path}: parameter heading '{title}' must start with '-'");
            }
            var (yaml, rest) = TakeCode(body);
            if (yaml is null)
            {
                throw new HelpFormatException($"{path}: parameter {title} has no ```yaml block");
            }
            var meta = yaml.Split('\n').Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            string M(string key, string fallback = "") => meta.TryGetValue(key, out var v) && v.Length > 0 ? v : fallback;
            help.Parameters.Add(new ParameterHelp(
                Name: title[1..],
                Description: Paragraphs(rest),
                Type: M("Type", "Object"),
                Sets: M("Parameter Sets", "(All)").Split(',').Select(s => s.Trim()).ToList(),
                Aliases: M("Aliases", "None"),
                Required: M("Required").StartsWith("True", StringComparison.OrdinalIgnoreCase),
                Position: M("Position", "Named"),
                DefaultValue: M("Default value", "None"),
                PipelineInput: M("Accept pipeline input", "False"),
                Wildcards: M("Accept wildcard characters").StartsWith("True", StringComparison.OrdinalIgnoreCase)));
        }

        foreach (var (title, body) in Subsections(sections.GetValueOrDefault("INPUTS") ?? []))
        {
            help.Inputs.Add(new TypeHelp(title, Paragraphs(body)));
        }
        foreach (var (title, body) in Subsections(sections.GetValueOrDefault("OUTPUTS") ?? []))
        {
            help.Outputs.Add(new TypeHelp(title, Paragraphs(body)));
        }
        help.Notes.AddRange(Paragraphs(sections.GetValueOrDefault("NOTES") ?? []));
        foreach (var line in sections.GetValueOrDefault("RELATED LINKS") ?? [])
        {
            var m = LinkRegex().Match(line);
            if (m.Success)
            {
                help.Links.Add((m.Groups[1].Value, m.Groups[2].Value));
            }
        }
        return help;
    }

    private static List<string> Get(Dictionary<string, List<string>> sections, string name, string path)
        => sections.TryGetValue(name, out var s) ? s : throw new HelpFormatException($"{path}: missing '## {name}' section");

    /// <summary>"### Title" blocks inside a section.</summary>
    private static IEnumerable<(string Title, List<string> Body)> Subsections(List<string> lines)
    {
        string? title = null;
        var body = new List<string>();
        bool inCode = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
            }
            if (!inCode && line.StartsWith("### ", StringComparison.Ordinal))
            {
                if (title is not null)
                {
                    yield return (title, body);
                }
                title = line[4..].Trim();
                body = [];
            }
            else
            {
                body.Add(line);
            }
        }
        if (title is not null)
        {
            yield return (title, body);
        }
    }

    /// <summary>The first fenced code block, and the lines outside it.</summary>
    private static (string? Code, List<string> Others) TakeCode(List<string> lines)
    {
        int start = lines.FindIndex(l => l.StartsWith("```", StringComparison.Ordinal));
        if (start < 0)
        {
            return (null, lines);
        }
        int end = lines.FindIndex(start + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        if (end < 0)
        {
            end = lines.Count;
        }
        var code = string.Join("\n", lines.Skip(start + 1).Take(end - start - 1));
        var rest = lines.Take(start).Concat(lines.Skip(end + 1)).ToList();
        return (code, rest);
    }

    /// <summary>Blank-line separated paragraphs, each folded to one line; code fences kept as their own paragraph.</summary>
    private static List<string> Paragraphs(List<string> lines)
    {
        var result = new List<string>();
        var current = new List<string>();
        bool inCode = false;
        void Flush()
        {
            if (current.Count > 0)
            {
                result.Add(inCode ? string.Join("\n", current) : string.Join(" ", current.Select(l => l.Trim())));
                current.Clear();
            }
        }
        foreach (var line in lines)
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                Flush();
                inCode = !inCode;
                continue;
            }
            if (!inCode && string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }
            current.Add(inCode ? "    " + line : line);
        }
        Flush();
        return result;
    }

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)]*)\)")]
    private static partial Regex LinkRegex();
}
