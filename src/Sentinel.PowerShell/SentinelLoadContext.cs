using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Sentinel.PowerShell;

/// <summary>
/// Sentinel's own load context. Only Sentinel.PowerShell.dll lives in PowerShell's default context;
/// the engine and its third-party closure load from deps/ into this context, so another module's copy
/// of the same library (a different SQLite or FSharp.Core, say) never clashes with ours.
/// <para>
/// PowerShell enumerates the cmdlet assembly's public types before any Sentinel code runs, so before
/// this context is registered. Loading a type needs the types of its value-type fields, so no public type
/// of the cmdlet assembly may hold an engine value type (an engine enum or struct, or a Nullable of one)
/// as a field or auto-property: use strings or the cmdlet assembly's own types there. Reference types are
/// fine (they resolve when first used). A test in the PowerShell suite checks this.
/// </para>
/// </summary>
internal sealed class SentinelLoadContext : AssemblyLoadContext
{
    private static readonly object s_lock = new();
    private static SentinelLoadContext? s_instance;

    private readonly string _depsDir;

    private SentinelLoadContext(string depsDir) : base("Sentinel", isCollectible: false) => _depsDir = depsDir;

    /// <summary>The folder the engine and its dependencies load from.</summary>
    internal static string DepsDirectory => Path.Combine(Path.GetDirectoryName(typeof(SentinelLoadContext).Assembly.Location)!, "deps");

    /// <summary>Hooks the default context once, so the cmdlets' references to the engine land here.</summary>
    public static void Register()
    {
        lock (s_lock)
        {
            if (s_instance is not null)
            {
                return;
            }
            s_instance = new SentinelLoadContext(DepsDirectory);
            Default.Resolving += ResolveEngine;
        }
    }

    // The default context asks only for what the cmdlet assembly references directly: the engine.
    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name)
    {
        var instance = s_instance;
        if (instance is null || name.Name is null || !name.Name.StartsWith("Sentinel.", StringComparison.Ordinal))
        {
            return null;
        }
        return File.Exists(Path.Combine(instance._depsDir, name.Name + ".dll")) ? instance.LoadFromAssemblyName(name) : null;
    }

    protected override Assembly? Load(AssemblyName name)
    {
        var path = Path.Combine(_depsDir, name.Name + ".dll");
        // Framework and PowerShell assemblies are not in deps/: the default context supplies them.
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var rid = RuntimeInformation.RuntimeIdentifier;
        var arch = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        foreach (var folder in new[] { rid, $"{os}-{arch}" })
        {
            foreach (var file in new[] { unmanagedDllName, $"lib{unmanagedDllName}.so", $"lib{unmanagedDllName}.dylib", $"{unmanagedDllName}.dll" })
            {
                var path = Path.Combine(_depsDir, "runtimes", folder, "native", file);
                if (File.Exists(path))
                {
                    return LoadUnmanagedDllFromPath(path);
                }
            }
        }
        return IntPtr.Zero;
    }
}
