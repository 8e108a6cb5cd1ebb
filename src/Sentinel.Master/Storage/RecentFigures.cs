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

    private readonly int _capacity;
    private readonly Dictionary<long, Slot[]> _byMachine = [];
    private readonly object _lock = new();
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

    /// <summary>Adds committed samples (machine, time in ms, the five figures with GPU possibly null).</summary>
    public void Add(List<(long Machine, long TimeMs, double Cpu, double Mem, double? Gpu, double Rx, double Tx)> committed)
    {
        if (committed.Count == 0) return;
        lock (_lock)
        {
            foreach (var (machine, t, cpu, mem, gpu, rx, tx) in committed)
            {
                if (!_byMachine.TryGetValue(machine, out var slots))
                {
                    _byMachine[machine] = slots = new Slot[_capacity];
                }
                long second = FloorDiv(t, 1000);
                ref var s = ref slots[Index(second)];
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
            // First check every slot, so a refusal leaves the sums untouched.
            foreach (var id in machines)
            {
                if (!_byMachine.TryGetValue(id, out var slots)) continue;
                for (long sec = fromSecond; sec < toSecond; sec++)
                {
                    if (slots[Index(sec)].Second > sec) return false;
                }
            }
            foreach (var id in machines)
            {
                if (!_byMachine.TryGetValue(id, out var slots)) continue;
                double[]? sum = null, weight = null;
                for (long sec = fromSecond; sec < toSecond; sec++)
                {
                    ref var s = ref slots[Index(sec)];
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
