namespace Sentinel.PowerShell;

/// <summary>
/// The last lines a background master or agent logged. Engine threads may not write to the pipeline,
/// so their log lines wait here for the user to read ($master.Log).
/// </summary>
internal sealed class LogRing(int capacity = 500)
{
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue($"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {line}");
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    public string[] Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }
}
