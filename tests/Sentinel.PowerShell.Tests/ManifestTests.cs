using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Sentinel.PowerShell.Tests;

/// <summary>The manifest as PowerShell and a gallery read it, and the module as Import-Module loads it in a fresh session.</summary>
public class ManifestTests : IClassFixture<ModuleTests.Session>
{
    private readonly ModuleSession _ps;
    public ManifestTests(ModuleTests.Session session) => _ps = session.PS;

    private PSModuleInfo Manifest => (PSModuleInfo)_ps.Invoke($"Test-ModuleManifest -Path '{ModuleSession.ModulePath}'")[0].BaseObject;

    [Fact]
    public void It_carries_what_a_gallery_needs()
    {
        var m = Manifest;
        Assert.True(m.Description.Length > 40, "Description says too little for a gallery listing");
        Assert.False(string.IsNullOrWhiteSpace(m.Author));
        Assert.False(string.IsNullOrWhiteSpace(m.Copyright));
        Assert.NotEqual(Guid.Empty, m.Guid);
        Assert.Equal(["Core"], m.CompatiblePSEditions);
        Assert.Equal(new Version(7, 4), m.PowerShellVersion);
        Assert.NotEmpty(m.Tags);
        Assert.All(m.Tags, t => Assert.DoesNotContain(" ", t)); // the gallery splits tags on spaces
        Assert.Contains("PSEdition_Core", m.Tags);
        Assert.Contains("Linux", m.Tags);
        foreach (var uri in new[] { m.ProjectUri, m.LicenseUri })
        {
            Assert.NotNull(uri);
            Assert.True(uri.IsAbsoluteUri && uri.Scheme == "https", $"{uri} is not an https link");
        }
        Assert.True(m.ReleaseNotes.Length > 40, "ReleaseNotes are empty");
    }

    [Fact]
    public void It_lists_its_exports_explicitly_and_exports_nothing_else()
    {
        var text = File.ReadAllText(ModuleSession.ModulePath);
        Assert.DoesNotContain("'*'", text);
        var ast = System.Management.Automation.Language.Parser.ParseFile(ModuleSession.ModulePath, out _, out var parseErrors);
        Assert.Empty(parseErrors);
        var data = (Hashtable)((System.Management.Automation.Language.HashtableAst)ast.Find(a => a is System.Management.Automation.Language.HashtableAst, false)!).SafeGetValue();
        foreach (var key in new[] { "FunctionsToExport", "VariablesToExport", "AliasesToExport" })
        {
            Assert.True(data.ContainsKey(key), $"the manifest does not set {key}, so PowerShell exports everything");
            Assert.Empty((IEnumerable)data[key]!);
        }
        var module = (PSModuleInfo)_ps.Invoke("Get-Module Sentinel")[0].BaseObject;
        Assert.Empty(module.ExportedFunctions);
        Assert.Empty(module.ExportedAliases);
        Assert.Empty(module.ExportedVariables);
        Assert.Equal(((IEnumerable)data["CmdletsToExport"]!).Cast<object>().Select(o => o.ToString()).Order(), module.ExportedCmdlets.Keys.Order());
    }

    [Fact]
    public void Import_Module_in_a_fresh_session_warns_of_nothing()
    {
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript($"Import-Module '{ModuleSession.ModulePath}' -WarningVariable w -WarningAction SilentlyContinue; $w; (Get-Module Sentinel).Name");
        var output = ps.Invoke();
        Assert.Empty(ps.Streams.Error);
        Assert.Empty(ps.Streams.Warning);
        // Only the module's name: $w held no warning (an unapproved verb would have put one there).
        Assert.Equal("Sentinel", Assert.Single(output).ToString());
    }
}
