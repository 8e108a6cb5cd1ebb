namespace Sentinel;

/// <summary>Where Sentinel keeps things by default.</summary>
public static class SentinelPaths
{
    /// <summary>The master's data folder: $XDG_DATA_HOME/sentinel, else the user's local application data (~/.local/share/sentinel).</summary>
    public static string DefaultDataPath()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(root, "sentinel");
    }
}
