using System.Diagnostics;
using System.Text;

namespace Sentinel.Reports;

/// <summary>Writing a report to disk and showing it.</summary>
public static class ReportFile
{
    /// <summary>
    /// Writes <paramref name="html"/> to <paramref name="path"/> through a temporary file beside it, so a reader never
    /// sees half a report. Without <paramref name="overwrite"/> an existing file is left alone (IOException).
    /// </summary>
    public static void Write(string path, string html, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
        {
            throw new IOException($"{full} already exists.");
        }
        var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            File.WriteAllText(temp, html, new UTF8Encoding(false));
            File.Move(temp, full, overwrite);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> in the desktop's default viewer (xdg-open, open, or the Windows shell) without
    /// waiting for it. Returns why it could not, or null.
    /// </summary>
    public static string? Open(string path)
    {
        var psi = OperatingSystem.IsWindows() ? new ProcessStartInfo(path) { UseShellExecute = true }
            : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open") { UseShellExecute = false, RedirectStandardError = false };
        if (!OperatingSystem.IsWindows()) psi.ArgumentList.Add(path);
        try
        {
            using var process = Process.Start(psi);
            return process is null ? $"no program to open {path} with" : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            return $"could not start {psi.FileName}: {e.Message}";
        }
    }
}
