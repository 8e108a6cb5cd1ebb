namespace Sentinel.Testing;

/// <summary>Reads /proc, for tests that check no process outlived a kill. Linked into each test project.</summary>
internal static class ProcessTable
{
    /// <summary>A duration for `sleep` no other process uses, so a test can find its own sleeps.</summary>
    public static string UniqueSleep() => "300." + Random.Shared.Next(100000, 999999);

    /// <summary>Live processes whose command line is exactly "sleep <paramref name="duration"/>" (zombies, dead and waiting to be reaped, do not count).</summary>
    public static int Sleepers(string duration)
    {
        int n = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                if (cmdline != "sleep " + duration) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) continue;
                n++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return n;
    }
}
