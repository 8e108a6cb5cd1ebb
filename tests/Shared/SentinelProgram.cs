namespace Sentinel.Testing;

/// <summary>Where the build put the `sentinel` program, for tests that run it as users do. Linked into each test project.</summary>
internal static class SentinelProgram
{
    /// <summary>src/Sentinel.Cli/bin/&lt;same configuration as the tests&gt;/net10.0/sentinel.</summary>
    public static string Path
    {
        get
        {
            // tests/<project>/bin/<Configuration>/net10.0/ -> the repository root is four levels above bin's parent.
            var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/', '\\'));
            var configuration = bin.Parent!.Name;
            var root = bin.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
            return System.IO.Path.Combine(root, "src", "Sentinel.Cli", "bin", configuration, "net10.0", OperatingSystem.IsWindows() ? "sentinel.exe" : "sentinel");
        }
    }

    /// <summary>The repository's root folder (the one holding Sentinel.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Sentinel.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("Sentinel.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A TCP port nothing listens on right now (for a process that must bind it itself).</summary>
    public static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
