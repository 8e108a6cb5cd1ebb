using System.Diagnostics;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// A session that started a real master and a real agent with the cmdlets (Start-SentinelMaster,
/// Start-SentinelAgent) and waited for samples. $m and $a hold them.
/// </summary>
public class FleetSession : IDisposable
{
    public ModuleSession PS { get; } = new();
    public string DataPath { get; } = Directory.CreateTempSubdirectory("sentinel-ps-").FullName;
    public const string AgentName = "ps-agent";

    public FleetSession() : this("") { }

    /// <summary>A session whose master gets <paramref name="masterArguments"/> too (e.g. "-AlertHoldOff 0").</summary>
    protected FleetSession(string masterArguments)
    {
        PS.Invoke($"$global:m = Start-SentinelMaster -Port 0 -DataPath '{DataPath}' {masterArguments}");
        PS.Invoke($"$global:a = Start-SentinelAgent -Master $m.Url -Name {AgentName} -Interval 300ms -Tag @{{ rack = 'b7' }}");
        var watch = Stopwatch.StartNew();
        while ((long)PS.Invoke("$a.AckedSeq")[0].BaseObject < 5)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the agent started by Start-SentinelAgent got no samples stored within 30 s: " + string.Join("\n", PS.Invoke("$a.Log").Select(o => o.ToString())));
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try { PS.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
        PS.Dispose();
        try { Directory.Delete(DataPath, true); } catch (IOException) { }
    }
}

internal static class Sentinel
{
    public static string Program => Testing.SentinelProgram.Path;

    public static int FreePort() => Testing.SentinelProgram.FreePort();
}
