using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sentinel.Master.Tests;

/// <summary>Debian's promtool and prometheus (.ci/run installs them), and a reader of the text format written apart from the master's writer.</summary>
internal static class Prometheus
{
    /// <summary>Runs promtool with <paramref name="args"/>, <paramref name="stdin"/> on its standard input; its exit code and everything it printed.</summary>
    public static async Task<(int Exit, string Output)> Promtool(string stdin, params string[] args)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, StandardInputEncoding = new UTF8Encoding(false) };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, (await stdout + await stderr).Trim());
    }

    /// <summary>One sample of the text format: name, labels (unescaped), value.</summary>
    public sealed record Series(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>Reads the samples of a text-format exposition (comments skipped), unescaping label values as the format defines.</summary>
    public static List<Series> Parse(string text)
    {
        var list = new List<Series>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int i = 0;
            while (i < line.Length && line[i] is not ('{' or ' ')) i++;
            var name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    int eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    Assert.Equal('"', line[eq + 1]);
                    var value = new StringBuilder();
                    for (i = eq + 2; line[i] != '"'; i++)
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] switch { '\\' => '\\', '"' => '"', 'n' => '\n', var c => throw new FormatException($"bad escape \\{c} in: {line}") });
                        }
                        else value.Append(line[i]);
                    }
                    labels[key] = value.ToString();
                    i++;
                    if (line[i] == ',') i++;
                }
                i++;
            }
            list.Add(new Series(name, labels, double.Parse(line[(i + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return list;
    }
}
