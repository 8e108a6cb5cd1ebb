using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace Sentinel.Collectors.Linux;

/// <summary>
/// Reads small kernel files (procfs, sysfs, cgroupfs) into one reusable buffer, so a full sample
/// allocates almost nothing for I/O. Not thread-safe.
/// </summary>
internal sealed class ProcFile
{
    private byte[] _buffer = new byte[16 * 1024];

    /// <summary>The file's bytes, valid until the next read; empty if the file is missing or unreadable.</summary>
    public ReadOnlySpan<byte> Read(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default;
        }
        using (handle)
        {
            int total = 0;
            while (true)
            {
                if (total == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
                int n;
                try
                {
                    n = RandomAccess.Read(handle, _buffer.AsSpan(total), total);
                }
                catch (IOException)
                {
                    return default;
                }
                if (n <= 0)
                {
                    return _buffer.AsSpan(0, total);
                }
                total += n;
            }
        }
    }

    /// <summary>The first line of a file as a trimmed string, or null.</summary>
    public string? ReadLine(string path)
    {
        var bytes = Read(path);
        if (bytes.IsEmpty)
        {
            return null;
        }
        int nl = bytes.IndexOf((byte)'\n');
        if (nl >= 0)
        {
            bytes = bytes[..nl];
        }
        return System.Text.Encoding.UTF8.GetString(bytes).Trim();
    }
}

/// <summary>Span helpers for the whitespace-separated text the kernel writes.</summary>
internal static class Ascii
{
    /// <summary>Takes the next line (without its newline) off the front of <paramref name="text"/>.</summary>
    public static bool NextLine(ref ReadOnlySpan<byte> text, out ReadOnlySpan<byte> line)
    {
        if (text.IsEmpty)
        {
            line = default;
            return false;
        }
        int nl = text.IndexOf((byte)'\n');
        if (nl < 0)
        {
            line = text;
            text = default;
        }
        else
        {
            line = text[..nl];
            text = text[(nl + 1)..];
        }
        return true;
    }

    /// <summary>Takes the next field separated by spaces or tabs off the front of <paramref name="line"/>.</summary>
    public static bool NextField(ref ReadOnlySpan<byte> line, out ReadOnlySpan<byte> field)
    {
        int start = 0;
        while (start < line.Length && (line[start] == (byte)' ' || line[start] == (byte)'\t'))
        {
            start++;
        }
        if (start == line.Length)
        {
            field = default;
            line = default;
            return false;
        }
        int end = start;
        while (end < line.Length && line[end] != (byte)' ' && line[end] != (byte)'\t')
        {
            end++;
        }
        field = line[start..end];
        line = line[end..];
        return true;
    }

    public static ulong NextUInt64(ref ReadOnlySpan<byte> line)
        => NextField(ref line, out var f) && Utf8Parser.TryParse(f, out ulong v, out _) ? v : 0;

    public static double? NextDouble(ref ReadOnlySpan<byte> line)
        => NextField(ref line, out var f) && Utf8Parser.TryParse(f, out double v, out _) ? v : null;

    public static bool StartsWith(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) => text.StartsWith(prefix);
}
