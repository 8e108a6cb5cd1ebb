using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// A runspace of the real PowerShell engine with the built module imported from out/Sentinel (or
/// $env:SENTINEL_MODULE), through a host that captures what the console would show.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    public static string ModulePath
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("SENTINEL_MODULE");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                return fromEnv;
            }
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Sentinel.sln")))
                {
                    return Path.Combine(dir.FullName, "out", "Sentinel", "Sentinel.psd1");
                }
            }
            throw new InvalidOperationException("Cannot find the repository root (Sentinel.sln) above " + AppContext.BaseDirectory);
        }
    }

    public CapturingHost Host { get; } = new();
    public Runspace Runspace { get; }

    public ModuleSession()
    {
        Assert.True(File.Exists(ModulePath), $"The built module is missing at {ModulePath}: run 'dotnet build' first.");
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule([ModulePath]);
        Runspace = RunspaceFactory.CreateRunspace(Host, iss);
        Runspace.Open();
        var importErrors = Runspace.SessionStateProxy.PSVariable.GetValue("Error") as System.Collections.ArrayList;
        Assert.True(importErrors is null || importErrors.Count == 0, "Import-Module wrote errors: " + string.Join("; ", importErrors?.Cast<object>() ?? []));
    }

    /// <summary>Runs a script; any error record fails the test with its message.</summary>
    public Collection<PSObject> Invoke(string script)
    {
        var (output, errors) = InvokeWithErrors(script);
        Assert.True(errors.Count == 0, "The script wrote errors: " + string.Join("; ", errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return output;
    }

    /// <summary>Runs a script and returns its output and error records.</summary>
    public (Collection<PSObject> Output, List<ErrorRecord> Errors) InvokeWithErrors(string script)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = Runspace;
        ps.AddScript(script);
        var output = ps.Invoke();
        return (output, ps.Streams.Error.ToList());
    }

    /// <summary>What the console shows for a script's output (its default formatting, 80 columns).</summary>
    public string Render(string script)
    {
        Host.TakeOutput();
        Invoke($"& {{ {script} }} | Out-Default");
        return Host.TakeOutput();
    }

    public void Dispose() => Runspace.Dispose();
}
