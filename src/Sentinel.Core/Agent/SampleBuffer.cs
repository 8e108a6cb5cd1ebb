namespace Sentinel.Agent;

/// <summary>
/// Samples the master has not acked yet, oldest first, each already serialised. Bounded: when full,
/// the oldest is dropped and counted. Thread-safe.
/// </summary>
internal sealed class SampleBuffer(int capacity)
{
    private readonly LinkedList<(long Seq, byte[] Json)> _items = new();
    private readonly object _lock = new();
    private long _dropped;

    public int Count
    {
        get { lock (_lock) return _items.Count; }
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public void Add(long seq, byte[] json)
    {
        lock (_lock)
        {
            _items.AddLast((seq, json));
            while (_items.Count > capacity)
            {
                _items.RemoveFirst();
                _dropped++;
            }
        }
    }

    /// <summary>Forgets everything up to and including <paramref name="seq"/>: it is on the master's disk.</summary>
    public void AckUpTo(long seq)
    {
        lock (_lock)
        {
            while (_items.First is { } first && first.Value.Seq <= seq)
            {
                _items.RemoveFirst();
            }
        }
    }

    /// <summary>The samples after <paramref name="afterSeq"/>, oldest first, up to about <paramref name="maxBytes"/> of JSON.</summary>
    public List<(long Seq, byte[] Json)> TakeAfter(long afterSeq, int maxBytes)
    {
        var list = new List<(long, byte[])>();
        int bytes = 0;
        lock (_lock)
        {
            for (var node = _items.First; node is not null; node = node.Next)
            {
                if (node.Value.Seq <= afterSeq) continue;
                if (list.Count > 0 && bytes + node.Value.Json.Length > maxBytes) break;
                list.Add(node.Value);
                bytes += node.Value.Json.Length;
            }
        }
        return list;
    }

    /// <summary>The oldest sequence number held, or null when empty.</summary>
    public long? OldestSeq
    {
        get { lock (_lock) return _items.First?.Value.Seq; }
    }
}
