using System.Diagnostics;
using System.Text.Json;

namespace Sentinel.Tests;

/// <summary>The built `sentinel` program, run as a user runs it.</summary>
public class CliTests
{
    private static string Executable => Sentinel.Testing.SentinelProgram.Path;

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "sentinel did not finish within a minute");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Version_is_the_module_manifest_version()
    {
        var manifest = File.ReadAllText(Path.Combine(Path.GetDirectoryName(Executable)!, "../../../../../Sentinel.psd1"));
        var version = System.Text.RegularExpressions.Regex.Match(manifest, @"ModuleVersion\s*=\s*'([^']+)'").Groups[1].Value;
        var (exit, output, _) = Run("--version");
        Assert.Equal(0, exit);
        Assert.Equal(version, output.Trim());
    }

    [Fact]
    public void The_walkthroughs_shell_lines_for_one_machine_run_as_written()
    {
        var doc = File.ReadAllText(Path.Combine(Sentinel.Testing.SentinelProgram.RepositoryRoot, "docs", "walkthrough.md"));
        var start = doc.IndexOf("\n## 1. One machine, nothing set up", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/walkthrough.md has no section '1. One machine, nothing set up'");
        var section = doc[start..doc.IndexOf("\n## ", start + 4, StringComparison.Ordinal)];
        var block = System.Text.RegularExpressions.Regex.Match(section, @"```sh\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(block.Success, "step 1 has no sh block");
        var lines = block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var host = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        var outputs = new Dictionary<string, string>();
        foreach (var line in lines)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("sentinel", words[0]);
            Assert.DoesNotContain(line, c => c is '\'' or '"' or '$' or '|');  // plain words only, as this runs them without a shell
            var (exit, output, err) = Run(words[1..]);
            Assert.True(exit == 0, $"'{line}' exited with {exit}: {err}");
            outputs[line] = output;
        }
        string Of(string line) => outputs.TryGetValue(line, out var o) ? o : throw new Xunit.Sdk.XunitException($"step 1 no longer has '{line}'");
        Assert.StartsWith(host + "  online", Of("sentinel machine"));
        Assert.Contains("  cpu  (Cpu in PowerShell)", Of("sentinel bench --list"));
        var cpu = Of("sentinel bench cpu --threads 2");
        Assert.StartsWith($"Cpu on {host}: completed", cpu);
        var figure = System.Text.RegularExpressions.Regex.Match(cpu, @"intAllMops\s+([0-9.]+)");
        Assert.True(figure.Success && double.Parse(figure.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, cpu);
    }

    [Fact]
    public void Help_lists_the_machine_command()
    {
        var (exit, output, _) = Run("--help");
        Assert.Equal(0, exit);
        Assert.Contains("machine", output);
        var (exit2, output2, _) = Run("machine", "--help");
        Assert.Equal(0, exit2);
        Assert.Contains("--json", output2);
    }

    [Fact]
    public void An_agent_allows_commands_only_by_pattern_and_says_what_replaced_the_old_switch()
    {
        var (exit, help, _) = Run("agent", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--allow-command", help);
        Assert.DoesNotContain("--allow-commands", help);
        var (oldExit, _, oldErr) = Run("agent", "--master", "http://127.0.0.1:9", "--allow-commands");
        Assert.Equal(2, oldExit);
        Assert.Contains("--allow-command PATTERN", oldErr);
        var (badExit, _, badErr) = Run("agent", "--master", "http://127.0.0.1:9", "--allow-command", "nvidia-smi\nrm *");
        Assert.Equal(2, badExit);
        Assert.Contains("--allow-command", badErr);
        Assert.Contains("U+000A", badErr);
    }

    [Fact]
    public void Machine_json_is_this_machine_with_units_in_field_names()
    {
        var (exit, output, err) = Run("machine", "--json");
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), root.GetProperty("name").GetString());
        Assert.Equal("online", root.GetProperty("status").GetString());
        var latest = root.GetProperty("latest");
        Assert.InRange(latest.GetProperty("cpuPercent").GetDouble(), 0, 100);
        Assert.InRange(latest.GetProperty("intervalSeconds").GetDouble(), 0.9, 10);
        Assert.Equal(Independent.MemInfoKb("MemTotal") * 1024, latest.GetProperty("memory").GetProperty("totalBytes").GetInt64());
        Assert.Equal(Environment.ProcessorCount, latest.GetProperty("cpu").GetProperty("cores").GetArrayLength());
        Assert.Contains(latest.GetProperty("network").EnumerateArray(), n => n.GetProperty("name").GetString() == "lo");
    }

    [Fact]
    public void Machine_text_names_the_host_and_the_span()
    {
        var (exit, output, _) = Run("machine");
        Assert.Equal(0, exit);
        Assert.StartsWith(File.ReadAllText("/proc/sys/kernel/hostname").Trim() + "  online", output);
        Assert.Contains("measured over", output);
    }

    [Fact]
    public void An_unknown_command_fails_and_says_what_was_wrong()
    {
        var (exit, _, err) = Run("frobnicate");
        Assert.NotEqual(0, exit);
        Assert.Contains("frobnicate", err);
    }
}
