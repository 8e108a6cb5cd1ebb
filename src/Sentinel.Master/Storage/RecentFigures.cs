namespace Sentinel.Master.Storage;

/// <summary>
/// The last few minutes of every machine's fleet-history figures (CPU, memory, GPU, network receive and
/// transmit), in one-second slots of sums and counts, fed by the store's writer with each committed sample.
/// GET /api/fleet/history over the recent past (the live page's first load: 10 minutes) is answered from here
/// instead of reading every machine's rows from SQLite (bench fleet-history: 0.8 s at 1,000 machines).
/// It holds exactly what was committed since the store opened: a range reaching before that, or a slot that a
/// newer second has taken over, is not served from here (the caller reads SQLite).
/// </summary>
internal sealed class RecentFigures
{
    /// <summary>Figures in the order of /api/fleet/history's arrays.</summary>
    public const int Figures = 5;

    private struct Slot
    {
        public long Second; // Unix seconds; 0: never written
        public double Cpu, Mem, Gpu, Rx, Tx;
        public int N, GpuN; // samples in the slot; those with a GPU figure (the only one that may be missing)
    }

    private sealed class Ring(int capacity)
    {
        public readonly Slot[] Slots = new Slot[capacity];
        public long Newest = long.MinValue;
    }

    private readonly int _capacity;
    private readonly Dictionary<long, Ring> _byMachine = [];
    private readonly object _lock = new();
    // Rings of machines silent for longer than the ring are dropped (names come and go with Slurm jobs); a range
    // reaching back to what they held is then SQLite's to answer.
    private long _evictedThrough = long.MinValue;
    private long _lastSweepSecond;
    // Samples with a second before this may be in SQLite but not here (stored before this store opened).
    private readonly long _validFromSecond;

    /// <param name="seconds">Seconds kept per machine.</param>
    /// <param name="newestStoredMs">The newest sample time already in the database when the store opened, or null when it held none.</param>
    public RecentFigures(int seconds, long? newestStoredMs)
    {
        _capacity = seconds;
        _validFromSecond = newestStoredMs is { } t ? FloorDiv(t, 1000) + 1 : long.MinValue;
    }

    public int Seconds => _capacity;

    /// <summary>Memory the slots take (for docs/sizing.md): bytes per machine.</summary>
    public static int BytesPerMachine(int seconds) => seconds * System.Runtime.CompilerServices.Unsafe.SizeOf<Slot>();

    /// <summary>Machines holding a ring now.</summary>
    public int Machines
    {
        get { lock (_lock) return _byMachine.Count; }
    }

    /// <summary>Drops a forgotten machine's ring. Nothing of it is in SQLite either, so ranges it covered stay answerable from here.</summary>
    public void Remove(long machine)
    {
        lock (_lock) _byMachine.Remove(machine);
    }

    /// <summary>
    /// Adds committed samples (machine, time in ms, the five figures with GPU possibly null). Once a minute of
    /// <paramref name="nowMs"/> (the master's clock, not the agents'), drops the rings of machines with no sample
    /// in the ring's span.
    /// </summary>
    public void Add(List<(long Machine, long TimeMs, double Cpu, double Mem, double? Gpu, double Rx, double Tx)> committed, long nowMs)
    {
        lock (_lock)
        {
            long now = FloorDiv(nowMs, 1000);
            if (now - _lastSweepSecond >= 60)
            {
                _lastSweepSecond = now;
                foreach (var (machine, ring) in _byMachine)
                {
                    if (ring.Newest < now - _capacity)
                    {
                        _evictedThrough = Math.Max(_evictedThrough, ring.Newest);
                        _byMachine.Remove(machine);
                    }
                }
            }
            foreach (var (machine, t, cpu, mem, gpu, rx, tx) in committed)
            {
                if (!_byMachine.TryGetValue(machine, out var ring))
                {
                    _byMachine[machine] = ring = new Ring(_capacity);
                }
                long second = FloorDiv(t, 1000);
                ring.Newest = Math.Max(ring.Newest, second);
                ref var s = ref ring.Slots[Index(second)];
                if (s.Second > second) continue; // older than the ring: a range that needs it finds the slot taken and reads SQLite
                if (s.Second < second) s = new Slot { Second = second };
                s.Cpu += cpu;
                s.Mem += mem;
                s.Rx += rx;
                s.Tx += tx;
                s.N++;
                if (gpu is { } g)
                {
                    s.Gpu += g;
                    s.GpuN++;
                }
            }
        }
    }

    /// <summary>
    /// Adds the whole seconds [<paramref name="fromSecond"/>, <paramref name="toSecond"/>) of <paramref name="machines"/> into
    /// per-bucket sums and weights (bucket = (second × 1000 − start) / step, step a whole number of seconds), as the SQL
    /// path does. False, with nothing added, when this ring cannot answer for that range exactly.
    /// </summary>
    public bool TryAccumulate(IReadOnlyCollection<long> machines, long fromSecond, long toSecond, long startMs, long stepMs, int buckets,
        Dictionary<long, (double[] Sum, double[] Weight)> sums)
    {
        if (stepMs % 1000 != 0 || startMs % 1000 != 0 || fromSecond < _validFromSecond || toSecond - fromSecond > _capacity) return false;
        lock (_lock)
        {
            if (fromSecond <= _evictedThrough) return false;
            // First check every slot, so a refusal leaves the sums untouched.
            foreach (var id in machines)
            {
                if (!_byMachine.TryGetValue(id, out var ring)) continue;
                for (long sec = fromSecond; sec < toSecond; sec++)
                {
                    if (ring.Slots[Index(sec)].Second > sec) return false;
                }
            }
            foreach (var id in machines)
            {
                if (!_byMachine.TryGetValue(id, out var ring)) continue;
                double[]? sum = null, weight = null;
                for (long sec = fromSecond; sec < toSecond; sec++)
                {
                    ref var s = ref ring.Slots[Index(sec)];
                    if (s.Second != sec || s.N == 0) continue;
                    long b = (sec * 1000 - startMs) / stepMs;
                    if (b < 0 || b >= buckets) continue;
                    if (sum is null || weight is null)
                    {
                        if (!sums.TryGetValue(id, out var cell))
                        {
                            sums[id] = cell = (new double[buckets * Figures], new double[buckets * Figures]);
                        }
                        (sum, weight) = cell;
                    }
                    int i = (int)b * Figures;
                    sum[i] += s.Cpu; weight[i] += s.N;
                    sum[i + 1] += s.Mem; weight[i + 1] += s.N;
                    sum[i + 2] += s.Gpu; weight[i + 2] += s.GpuN;
                    sum[i + 3] += s.Rx; weight[i + 3] += s.N;
                    sum[i + 4] += s.Tx; weight[i + 4] += s.N;
                }
            }
            return true;
        }
    }

    private int Index(long second) => (int)(((second % _capacity) + _capacity) % _capacity);

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
