using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Sentinel.PowerShell.Tests;

/// <summary>The module as users import it: manifest, exports, load context, help.</summary>
public class ModuleTests : IClassFixture<ModuleTests.Session>
{
    public sealed class Session : IDisposable
    {
        public ModuleSession PS { get; } = new();
        public void Dispose() => PS.Dispose();
    }

    private readonly ModuleSession _ps;
    public ModuleTests(Session session) => _ps = session.PS;

    [Fact]
    public void The_manifest_exports_its_cmdlets_explicitly_and_carries_gallery_metadata()
    {
        var module = (PSModuleInfo)_ps.Invoke("Get-Module Sentinel")[0].BaseObject;
        Assert.Equal(ModuleType.Binary, module.ModuleType);
        Assert.Contains("Get-SentinelMachine", module.ExportedCmdlets.Keys);
        Assert.Contains("Core", module.CompatiblePSEditions);
        Assert.Equal(new Version(7, 4), module.PowerShellVersion);
        Assert.False(string.IsNullOrWhiteSpace(module.Description));
        var manifest = File.ReadAllText(ModuleSession.ModulePath);
        // Every exported cmdlet is named in the manifest, and every name there is a real cmdlet.
        var listed = Regex.Matches(manifest, @"'(\w+-Sentinel\w+)'").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(listed.Order(), module.ExportedCmdlets.Keys.Order());
    }

    [Fact]
    public void The_module_version_is_the_assemblies_version()
    {
        var module = (PSModuleInfo)_ps.Invoke("Get-Module Sentinel")[0].BaseObject;
        var dll = AssemblyName.GetAssemblyName(Path.Combine(module.ModuleBase, "Sentinel.PowerShell.dll"));
        Assert.Equal(module.Version, new Version(dll.Version!.Major, dll.Version.Minor, dll.Version.Build));
    }

    [Fact]
    public void The_engine_loads_in_Sentinels_own_load_context_from_deps()
    {
        var machine = _ps.Invoke("Get-SentinelMachine")[0].BaseObject;
        var assembly = machine.GetType().Assembly;
        Assert.Equal("Sentinel.Core", assembly.GetName().Name);
        Assert.Equal("Sentinel", System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly)!.Name);
        Assert.Equal("deps", Path.GetFileName(Path.GetDirectoryName(assembly.Location)));
        Assert.DoesNotContain(System.Runtime.Loader.AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "Sentinel.Core");
    }

    [Fact]
    public void No_public_type_of_the_cmdlet_assembly_holds_an_engine_value_type()
    {
        // PowerShell loads these types before Sentinel's load context exists; an engine value type in a field breaks Import-Module.
        var dll = System.Reflection.Assembly.LoadFile(Path.Combine(Path.GetDirectoryName(ModuleSession.ModulePath)!, "Sentinel.PowerShell.dll"));
        var offenders = new List<string>();
        foreach (var type in dll.GetTypes().Where(t => t.IsPublic || t.IsNestedPublic))
        {
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
            {
                var declared = field.FieldType;
                var inner = Nullable.GetUnderlyingType(declared) ?? declared;
                var assemblyName = inner.Assembly.GetName().Name;
                if (inner.IsValueType && assemblyName is "Sentinel.Core" or "Sentinel.Master")
                {
                    offenders.Add($"{type.Name}.{field.Name}: {inner.FullName}");
                }
            }
        }
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_about_topic_explains_the_model()
    {
        var text = string.Join("\n", _ps.Invoke("Get-Help about_Sentinel").Select(o => o.ToString()));
        Assert.Contains("about_Sentinel", text);
        Assert.Contains("local machine", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("agent", text, StringComparison.OrdinalIgnoreCase);
        // How the cmdlets behave, not only what they are: completion, errors, -WhatIf, jobs, reports.
        foreach (var topic in new[] { "Tab completes", "RecommendedAction", "does not stop the others", "-WhatIf", "Receive-Job", "Export-SentinelReport" })
        {
            Assert.Contains(topic, text);
        }
    }
}
