using Sentinel.Collectors.Linux;
using Sentinel.Collectors.Portable;

namespace Sentinel.Collectors;

/// <summary>
/// Samples one machine. Every sample is built from two real readings and says over what span its
/// rates were measured; there is no made-up first sample. Thread-safe.
/// </summary>
public sealed class Sampler : ISampleSource, IDisposable
{
    private readonly IMachineReader _reader;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<Inventory> _inventory;
    private RawReading? _previous;
    private RawReading? _spare;

    internal Sampler(IMachineReader reader, TimeProvider? time = null)
    {
        _reader = reader;
        _time = time ?? TimeProvider.System;
        _inventory = new Lazy<Inventory>(() => { lock (_reader) { return _reader.ReadInventory(); } });
    }

    /// <summary>A sampler for the machine this process runs on (procfs on Linux, portable APIs elsewhere).</summary>
    public static Sampler ForThisMachine(TimeProvider? time = null)
        => new(OperatingSystem.IsLinux() ? new LinuxReader() : new PortableReader(), time);

    /// <summary>Hardware and OS facts, read on first use and kept.</summary>
    public Inventory Inventory => _inventory.Value;

    /// <summary>
    /// Reads now and returns the sample since the previous reading, or null when this is the first
    /// reading (it becomes the baseline). The agent's loop calls this once per interval.
    /// </summary>
    public MachineSample? Next()
    {
        _gate.Wait();
        try
        {
            return NextLocked();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A sample for someone asking now: if the last reading is missing or older than
    /// <paramref name="maxAge"/>, takes a fresh baseline; then waits until at least
    /// <paramref name="minSpan"/> has passed since the baseline and reads again.
    /// </summary>
    public async Task<MachineSample> SampleAsync(TimeSpan minSpan, TimeSpan maxAge, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_previous is null || _time.GetElapsedTime(_previous.Timestamp) > maxAge)
            {
                _previous = null;
                NextLocked();
            }
            // Timers may fire a little early: wait until the span really has passed.
            TimeSpan wait;
            while ((wait = minSpan - _time.GetElapsedTime(_previous!.Timestamp)) > TimeSpan.Zero)
            {
                await Task.Delay(wait + TimeSpan.FromMilliseconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
            return NextLocked()!;
        }
        finally
        {
            _gate.Release();
        }
    }

    private MachineSample? NextLocked()
    {
        // Two RawReading objects are recycled: the previous one and the one being filled.
        var current = _spare ?? new RawReading();
        _spare = null;
        lock (_reader)
        {
            _reader.Read(current);
        }
        current.Timestamp = _time.GetTimestamp();
        current.WallClock = _time.GetUtcNow();
        var previous = _previous;
        _previous = current;
        if (previous is null)
        {
            return null;
        }
        _spare = previous;
        var seconds = _time.GetElapsedTime(previous.Timestamp, current.Timestamp).TotalSeconds;
        return seconds > 0 ? SampleBuilder.Build(previous, current, seconds) : null;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _gate.Dispose();
    }
}
