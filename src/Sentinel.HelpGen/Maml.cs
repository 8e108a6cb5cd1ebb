using System.Xml.Linq;

namespace Sentinel.HelpGen;

/// <summary>Writes the MAML that PowerShell's Get-Help reads, in the shape platyPS produces.</summary>
public static class Maml
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace M = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace C = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace D = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Write(IEnumerable<CommandHelp> pages)
        => new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), pages.Select(Command)));

    private static XElement Command(CommandHelp h)
    {
        var dash = h.Name.IndexOf('-');
        var sets = h.SyntaxSets.Count > 0 ? h.SyntaxSets.Select(s => s.Set).ToList() : ["(All)"];
        return new XElement(C + "command",
            new XAttribute(XNamespace.Xmlns + "maml", M),
            new XAttribute(XNamespace.Xmlns + "command", C),
            new XAttribute(XNamespace.Xmlns + "dev", D),
            new XElement(C + "details",
                new XElement(C + "name", h.Name),
                new XElement(C + "verb", dash > 0 ? h.Name[..dash] : h.Name),
                new XElement(C + "noun", dash > 0 ? h.Name[(dash + 1)..] : ""),
                Description(h.Synopsis)),
            Description(h.Description),
            new XElement(C + "syntax", sets.Select(set =>
                new XElement(C + "syntaxItem",
                    new XElement(M + "name", h.Name),
                    h.Parameters.Where(p => set == "(All)" || p.Sets.Contains("(All)") || p.Sets.Contains(set)).Select(Parameter)))),
            new XElement(C + "parameters", h.Parameters.Select(Parameter)),
            new XElement(C + "inputTypes", h.Inputs.Select(t =>
                new XElement(C + "inputType", TypeElement(t.Name), Description(t.Description)))),
            new XElement(C + "returnValues", h.Outputs.Select(t =>
                new XElement(C + "returnValue", TypeElement(t.Name), Description(t.Description)))),
            new XElement(M + "alertSet", new XElement(M + "alert", h.Notes.Select(Para))),
            new XElement(C + "examples", h.Examples.Select(e =>
                new XElement(C + "example",
                    new XElement(M + "title", $"-------------------------- {e.Title} --------------------------"),
                    new XElement(D + "code", e.Code),
                    new XElement(D + "remarks", e.Remarks.Select(Para))))),
            new XElement(C + "relatedLinks", h.Links.Select(l =>
                new XElement(M + "navigationLink", new XElement(M + "linkText", l.Text), new XElement(M + "uri", l.Uri)))));
    }

    private static XElement Parameter(ParameterHelp p)
    {
        bool isSwitch = p.Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase);
        return new XElement(C + "parameter",
            new XAttribute("required", p.Required ? "true" : "false"),
            new XAttribute("variableLength", p.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", p.Wildcards ? "true" : "false"),
            new XAttribute("pipelineInput", p.PipelineInput),
            new XAttribute("position", p.Position.ToLowerInvariant() == "named" ? "named" : p.Position),
            new XAttribute("aliases", p.Aliases),
            new XElement(M + "name", p.Name),
            Description(p.Description),
            isSwitch ? null : new XElement(C + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), p.Type),
            TypeElement(p.Type),
            new XElement(D + "defaultValue", p.DefaultValue));
    }

    private static XElement TypeElement(string name) => new(D + "type", new XElement(M + "name", name), new XElement(M + "uri"));

    private static XElement Description(string text) => Description([text]);

    private static XElement Description(IEnumerable<string> paragraphs) => new(M + "description", paragraphs.Select(Para));

    private static XElement Para(string text) => new(M + "para", text);
}
