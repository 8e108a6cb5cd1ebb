using System.Xml.Linq;

namespace Sentinel.PowerShell.Tests;

/// <summary>
/// Every script block in Sentinel.format.ps1xml, run against a real object of its view's type. A view
/// whose script fails prints a blank cell silently; this makes it fail loudly instead.
/// </summary>
public class FormatViewTests : IClassFixture<FleetSession>
{
    private readonly ModuleSession _ps;
    public FormatViewTests(FleetSession session) => _ps = session.PS;

    // How to get a real object of each type that has a view. GPUs: none on this machine, so a typed
    // stand-in with the same properties (nvidia-smi is the edge of the machine).
    private static readonly Dictionary<string, string> Sources = new()
    {
        ["Sentinel.Machine"] = "Get-SentinelMachine",
        ["Sentinel.CoreSample"] = "(Get-SentinelMachine).Latest.Cpu.Cores[0]",
        ["Sentinel.FileSystemSample"] = "(Get-SentinelMachine).Latest.FileSystems[0]",
        ["Sentinel.DiskDeviceSample"] = "(Get-SentinelMachine).Latest.Disks[0]",
        ["Sentinel.NetworkInterfaceSample"] = "(Get-SentinelMachine).Latest.Network[0]",
        ["Sentinel.MetricPoint"] = "(Get-SentinelMetric ps-agent -Step 1s)[0]",
        ["Sentinel.BenchmarkResult"] = "Invoke-SentinelBenchmark -Name Command -Command true",
        // ps-agent allows no commands: a refused result, and its audit entry, are real objects of these types.
        ["Sentinel.Commands.CommandResult"] = "Invoke-SentinelCommand -Name ps-agent -Command 'echo hi' -Confirm:$false -ErrorAction Ignore",
        ["Sentinel.Commands.AuditEntry"] = "$null = Invoke-SentinelCommand -Name ps-agent -Command 'echo hi' -Confirm:$false -ErrorAction Ignore; Get-SentinelAuditLog -Last 1",
        ["Sentinel.PowerShell.SentinelMasterInstance"] = "$m",
        ["Sentinel.PowerShell.SentinelAgentInstance"] = "$a",
        ["Sentinel.PowerShell.SentinelConnection"] = "[pscustomobject]@{ PSTypeName = 'Sentinel.PowerShell.SentinelConnection'; Url = $m.Url; Version = '0.1.0'; MachinesOnline = 1; MachinesOffline = 0; AgentsConnected = 1 }",
        ["Sentinel.GpuSample"] = "[pscustomobject]@{ PSTypeName = 'Sentinel.GpuSample'; Index = 0; Name = 'NVIDIA A100-SXM4-80GB'; UtilizationPercent = 97.0; MemoryUsedPercent = 88.2; TemperatureCelsius = 61.0; PowerDrawWatts = $null }",
    };

    public static TheoryData<string, string> ScriptBlocks()
    {
        var data = new TheoryData<string, string>();
        var seen = new HashSet<(string, string)>(); // a table and a list view may share a script: run it once
        var path = Path.Combine(Path.GetDirectoryName(ModuleSession.ModulePath)!, "Sentinel.format.ps1xml");
        foreach (var view in XDocument.Load(path).Descendants("View"))
        {
            var type = view.Element("ViewSelectedBy")!.Element("TypeName")!.Value;
            foreach (var sb in view.Descendants("ScriptBlock"))
            {
                if (seen.Add((type, sb.Value))) data.Add(type, sb.Value);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ScriptBlocks))]
    public void Every_view_script_runs_cleanly_on_a_real_object(string type, string script)
    {
        Assert.True(Sources.ContainsKey(type), $"no source object for {type}: add one to this test");
        var output = _ps.Invoke($"{Sources[type]} | ForEach-Object {{ {script} }}");
        Assert.NotEmpty(output);
    }

    [Fact]
    public void The_gpu_view_shows_a_missing_figure_as_a_dash()
    {
        var text = _ps.Render(Sources["Sentinel.GpuSample"]);
        Assert.Matches(@"#\s+Name\s+Util%\s+Mem%\s+Temp C\s+Power W", text);
        Assert.Matches(@"0 NVIDIA A100-SXM4-80GB\s+97\.0\s+88\.2\s+61\.0\s+-", text);
    }
}
