using System.Text;

namespace Sentinel.Collectors.Linux;

/// <summary>
/// Turns the few names the kernel repeats every sample (devices, interfaces) into strings once,
/// so steady-state sampling does not allocate a string per name per second.
/// </summary>
internal sealed class NameCache
{
    private readonly List<(byte[] Key, string Value)> _entries = [];

    public string Get(ReadOnlySpan<byte> name)
    {
        foreach (var (key, value) in _entries)
        {
            if (name.SequenceEqual(key))
            {
                return value;
            }
        }
        var s = Encoding.UTF8.GetString(name);
        if (_entries.Count < 4096)
        {
            _entries.Add((name.ToArray(), s));
        }
        return s;
    }
}
