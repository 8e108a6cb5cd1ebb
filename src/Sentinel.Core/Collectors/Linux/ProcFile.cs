using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace Sentinel.Collectors.Linux;

/// <summary>
/// Reads small kernel files (procfs, sysfs, cgroupfs) into one reusable buffer, so a full sample
/// allocates almost nothing for I/O. Not thread-safe.
/// </summary>
internal sealed class ProcFile : IDisposable
{
    private byte[] _buffer = new byte[16 * 1024];

    // Kernel files regenerate their text on every read from offset 0, so the files read every
    // sample stay open: a sample costs one pread per file instead of open + read + close.
    private readonly Dictionary<string, SafeFileHandle> _open = new(StringComparer.Ordinal);

    /// <summary>The file's bytes, valid until the next read; empty if the file is missing or unreadable.</summary>
    /// <param name="path">The file.</param>
    /// <param name="keepOpen">Keep the handle for the next read (for files read every sample).</param>
    public ReadOnlySpan<byte> Read(string path, bool keepOpen = false)
    {
        if (!_open.TryGetValue(path, out var handle))
        {
            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return default;
            }
            if (keepOpen)
            {
                _open[path] = handle;
            }
        }
        try
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
                    Forget(path, handle);
                    return default;
                }
                if (n <= 0)
                {
                    return _buffer.AsSpan(0, total);
                }
                total += n;
            }
        }
        finally
        {
            if (!keepOpen)
            {
                handle.Dispose();
            }
        }
    }

    private void Forget(string path, SafeFileHandle handle)
    {
        if (_open.Remove(path))
        {
            handle.Dispose();
        }
    }

    /// <summary>Closes the files kept open.</summary>
    public void Dispose()
    {
        foreach (var h in _open.Values)
        {
            h.Dispose();
        }
        _open.Clear();
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
