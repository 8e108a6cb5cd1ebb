using System.Runtime.CompilerServices;

namespace Sentinel.Benchmarks.Memory;

/// <summary>
/// A sense-reversing barrier for a few threads that each own a CPU: waiters spin (then yield, never sleep),
/// so the last arrival releases the others within about a microsecond, as OpenMP's barrier does; a
/// <see cref="System.Threading.Barrier"/> parks its waiters and wakes them through the kernel. <see cref="Abort"/>
/// releases every waiter for good, so a failing thread cannot strand the others.
/// </summary>
internal sealed class SpinBarrier(int participants)
{
    private readonly int _participants = participants;
    private int _arrived;
    private volatile int _generation;
    private volatile bool _aborted;

    public bool Aborted => _aborted;

    /// <summary>Waits for all participants; false when the barrier was aborted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool SignalAndWait()
    {
        int generation = _generation;
        if (Interlocked.Increment(ref _arrived) == _participants)
        {
            _arrived = 0;
            _generation = generation + 1;
            return !_aborted;
        }
        var spin = new SpinWait();
        while (_generation == generation)
        {
            if (_aborted) return false;
            // Yield instead of Sleep(1): a 1 ms nap would show up in a 5 ms kernel's time.
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return !_aborted;
    }

    /// <summary>Releases every waiter now and later: <see cref="SignalAndWait"/> returns false from now on.</summary>
    public void Abort() => _aborted = true;
}
