using System.Management.Automation;

namespace Sentinel.PowerShell;

/// <summary>Runs on Import-Module: wires up Sentinel's load context before any cmdlet touches the engine.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => SentinelLoadContext.Register();

    /// <summary>On Remove-Module, stops what this session started so no agent or master outlives it.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => SentinelSession.DisposeAll();

#pragma warning disable CA2255 // a module initializer is the point: it must run before the engine is resolved
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Initialize() => SentinelLoadContext.Register();
#pragma warning restore CA2255
}
