using Sentinel.Master.Storage;

namespace Sentinel.Master;

/// <summary>
/// Every machine the master knows, with its latest sample and status. One lock guards it: updates are
/// small and fast (no I/O under the lock), and 2,000 agents at 1 Hz is 2,000 short critical sections a second.
/// </summary>
internal sealed class FleetState
{
    private readonly Dictionary<string, MachineEntry> _byName = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _offlineAfter;
    public object Lock { get; } = new();

    public FleetState(TimeProvider time, int offlineAfterIntervals, IEnumerable<StoredMachine> stored)
    {
        _time = time;
        _offlineAfter = offlineAfterIntervals;
        foreach (var m in stored)
        {
            _byName[m.Name] = new MachineEntry
            {
                Id = m.Id, Name = m.Name, HostId = m.HostId, AgentVersion = m.AgentVersion, Inventory = m.Inventory,
                Tags = m.Tags, IntervalSeconds = m.IntervalSeconds, Latest = m.Latest, LastSeen = m.LastSeen,
                Status = MachineStatus.Offline,
            };
        }
    }

    public MachineEntry? Find(string name)
    {
        lock (Lock) return _byName.GetValueOrDefault(name);
    }

    public List<Machine> Snapshot(string source)
    {
        lock (Lock) return _byName.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => e.ToMachine(source)).ToList();
    }

    /// <summary>Every machine's name and store id, by name.</summary>
    public List<(string Name, long Id)> Ids()
    {
        lock (Lock) return _byName.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => (e.Name, e.Id)).ToList();
    }

    /// <summary>What /metrics shows of one machine. Samples are immutable, so they are shared rather than copied.</summary>
    public sealed record MachineExport(string Name, MachineStatus Status, bool Connected, string? AgentVersion, double IntervalSeconds,
        MachineSample? Latest, IReadOnlyDictionary<string, string> Tags, Inventory Inventory);

    /// <summary>Every machine as /metrics shows it, by name, copied under the lock so rendering runs outside it.</summary>
    public List<MachineExport> ExportView()
    {
        lock (Lock)
        {
            var list = new List<MachineExport>(_byName.Count);
            foreach (var e in _byName.Values)
            {
                // Tags are replaced, never changed in place, at each hello: the reference is a stable snapshot.
                list.Add(new MachineExport(e.Name, e.Status, e.Connection is not null, e.AgentVersion, e.IntervalSeconds, e.Latest, e.Tags, e.Inventory));
            }
            list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return list;
        }
    }

    public (int Online, int Offline, int Connected) Counts()
    {
        lock (Lock)
        {
            int online = _byName.Values.Count(e => e.Status == MachineStatus.Online);
            return (online, _byName.Count - online, _byName.Values.Count(e => e.Connection is not null));
        }
    }

    /// <summary>Marks machines offline whose last sample is older than their allowed silence. Returns them.</summary>
    public List<MachineEntry> SweepOffline()
    {
        long now = _time.GetTimestamp();
        var changed = new List<MachineEntry>();
        lock (Lock)
        {
            foreach (var e in _byName.Values)
            {
                if (e.Status == MachineStatus.Online
                    && _time.GetElapsedTime(e.LastSeenTicks, now) > TimeSpan.FromSeconds(e.IntervalSeconds * _offlineAfter))
                {
                    e.Status = MachineStatus.Offline;
                    e.StatusDirty = true;
                    changed.Add(e);
                }
            }
        }
        return changed;
    }

    /// <summary>What alert rules judge, for the named machines (null: all of them).</summary>
    public List<Alerts.MachineFacts> AlertFacts(IEnumerable<string>? names)
    {
        lock (Lock)
        {
            var entries = names is null ? _byName.Values.ToList() : names.Select(n => _byName.GetValueOrDefault(n)).OfType<MachineEntry>().ToList();
            return entries.Select(e => new Alerts.MachineFacts(e.Name, e.Tags, e.Status == MachineStatus.Online, e.Latest)).ToList();
        }
    }

    /// <summary>Takes what changed since the last call, for the viewers.</summary>
    public List<Protocol.MachineUpdate> TakeChanges(string source)
    {
        var list = new List<Protocol.MachineUpdate>();
        lock (Lock)
        {
            foreach (var e in _byName.Values)
            {
                if (!(e.SampleDirty || e.StatusDirty || e.MachineDirty || e.ConnectionDirty))
                {
                    continue;
                }
                list.Add(new Protocol.MachineUpdate
                {
                    Name = e.Name,
                    Status = e.Status,
                    LastSeen = e.LastSeen,
                    Sample = e.SampleDirty ? e.Latest : null,
                    Machine = e.MachineDirty ? e.ToMachine(source) : null,
                    Connection = e.ConnectionDirty && !e.MachineDirty ? e.ConnectionInfo : null,
                });
                e.SampleDirty = e.StatusDirty = e.MachineDirty = e.ConnectionDirty = false;
            }
        }
        return list;
    }

    private readonly Dictionary<string, (string HostId, AgentConnection Connection)> _claims = new(StringComparer.Ordinal);
    // Names forgotten since the last viewer tick: the viewers drop them, the alert engine resolves their alerts.
    private readonly List<string> _removed = [];

    /// <summary>What <see cref="TryRemove"/> found.</summary>
    public enum Removal { Removed, NotFound, Online, QueueFull }

    /// <summary>
    /// Forgets an offline machine: takes it out of the fleet and hands its store id to <paramref name="forget"/>, which
    /// queues the deletion of its rows (null: the store's queue is full, nothing is removed). Refused while an agent holds
    /// the name or is saying hello with it, or while the machine is online. Both happen under the lock, so a hello for the
    /// same name that comes later is queued to the store after the deletion and makes a new machine.
    /// </summary>
    public (Removal Outcome, Task? Stored) TryRemove(string name, Func<long, Task?> forget)
    {
        lock (Lock)
        {
            if (!_byName.TryGetValue(name, out var e)) return (Removal.NotFound, null);
            if (e.Connection is not null || e.Status == MachineStatus.Online || _claims.ContainsKey(name)) return (Removal.Online, null);
            if (forget(e.Id) is not { } stored) return (Removal.QueueFull, null);
            _byName.Remove(name);
            _removed.Add(name);
            return (Removal.Removed, stored);
        }
    }

    /// <summary>The store forgot these machines (silent past the roll-ups' retention); an entry that is no longer that row (a new hello made a new one) stays.</summary>
    public void Forgotten(IReadOnlyList<(long Id, string Name)> machines)
    {
        lock (Lock)
        {
            foreach (var (id, name) in machines)
            {
                if (_byName.TryGetValue(name, out var e) && e.Id == id && e.Connection is null)
                {
                    _byName.Remove(name);
                    _removed.Add(name);
                }
            }
        }
    }

    /// <summary>Whether an agent holds machine <paramref name="id"/> now (connected) or is saying hello with its name: the store must not forget it.</summary>
    public bool InUse(long id, string name)
    {
        lock (Lock)
        {
            return _claims.ContainsKey(name) || (_byName.TryGetValue(name, out var e) && e.Id == id && (e.Connection is not null || e.Status == MachineStatus.Online));
        }
    }

    /// <summary>Names removed since the last call, for the viewers and the alert engine.</summary>
    public List<string> TakeRemoved()
    {
        lock (Lock)
        {
            var list = _removed.ToList();
            _removed.Clear();
            return list;
        }
    }

    /// <summary>
    /// Reserves a name for an agent whose hello is being registered. Refused when a live agent (or another
    /// pending hello) from a different host holds it; a connection from the same host takes over (its
    /// predecessor is returned to be closed: usually a dead TCP connection the master has not noticed yet).
    /// </summary>
    public (bool Claimed, AgentConnection? Replaced) TryClaim(string name, string hostId, AgentConnection connection)
    {
        lock (Lock)
        {
            if (_claims.TryGetValue(name, out var pending) && pending.Connection != connection && pending.HostId != hostId)
            {
                return (false, null);
            }
            AgentConnection? replaced = null;
            if (_byName.TryGetValue(name, out var e) && e.Connection is { } live && live != connection)
            {
                if (e.HostId != hostId)
                {
                    return (false, null);
                }
                replaced = live;
                e.Connection = null;
            }
            _claims[name] = (hostId, connection);
            return (true, replaced);
        }
    }

    public void ReleaseClaim(string name, AgentConnection connection)
    {
        lock (Lock)
        {
            if (_claims.TryGetValue(name, out var c) && c.Connection == connection)
            {
                _claims.Remove(name);
            }
        }
    }

    /// <summary>The hello is on disk: the connection now owns the machine, which is online.</summary>
    public MachineEntry Attach(Protocol.Hello hello, Registration reg, AgentConnection connection, string remote)
    {
        long now = _time.GetTimestamp();
        lock (Lock)
        {
            _claims.Remove(hello.Name);
            // A different id: the store forgot the old machine (and its row) after this entry was made; this is a new one.
            if (!_byName.TryGetValue(hello.Name, out var e) || e.Id != reg.MachineId)
            {
                _byName[hello.Name] = e = new MachineEntry { Id = reg.MachineId, Name = hello.Name, Inventory = hello.Inventory };
            }
            e.Inventory = hello.Inventory;
            e.Tags = new Dictionary<string, string>(hello.Tags, StringComparer.Ordinal);
            e.HostId = hello.HostId;
            e.Capabilities = new HashSet<string>(hello.Capabilities, StringComparer.Ordinal);
            e.AgentVersion = hello.AgentVersion;
            e.IntervalSeconds = hello.IntervalSeconds;
            e.Connection = connection;
            e.BootRow = reg.BootRow;
            e.LastSeenTicks = now;
            e.LastSeen = _time.GetUtcNow();
            e.Remote = remote;
            e.Dialled = hello.MasterUrl;
            e.ConnectionSince = e.LastSeen;
            e.RttMilliseconds = null;
            e.ConnectionDirty = true;
            e.Status = MachineStatus.Online;
            e.MachineDirty = e.StatusDirty = true;
            return e;
        }
    }

    /// <summary>
    /// A sample arrived: the machine is alive now, and the sample is its latest unless it is a replay of older ones.
    /// True when this brought the machine back online on a connection that had gone silent.
    /// </summary>
    public bool Observe(MachineEntry e, MachineSample sample)
    {
        long now = _time.GetTimestamp();
        lock (Lock)
        {
            e.LastSeenTicks = now;
            if (e.Latest is null || sample.Timestamp >= e.Latest.Timestamp)
            {
                e.Latest = sample;
                e.LastSeen = sample.Timestamp;
                e.SampleDirty = true;
            }
            if (e.Status != MachineStatus.Online && e.Connection is not null)
            {
                e.Status = MachineStatus.Online;
                e.StatusDirty = true;
                return true;
            }
            return false;
        }
    }

    /// <summary>The agent is alive (a benchmark progress or result frame): for offline detection, as good as a sample.</summary>
    public void Touch(MachineEntry e)
    {
        long now = _time.GetTimestamp();
        lock (Lock)
        {
            e.LastSeenTicks = now;
        }
    }

    /// <summary>The connection ended. A goodbye makes the machine offline at once; otherwise the clock decides.</summary>
    public bool Detach(MachineEntry e, AgentConnection connection, bool goodbye)
    {
        lock (Lock)
        {
            if (e.Connection != connection)
            {
                return false;
            }
            e.Connection = null;
            e.ConnectionSince = _time.GetUtcNow();
            e.RttMilliseconds = null;
            e.MachineDirty = true;
            if (goodbye && e.Status != MachineStatus.Offline)
            {
                e.Status = MachineStatus.Offline;
                e.StatusDirty = true;
            }
            return true;
        }
    }

    /// <summary>A ping came back from the agent that holds <paramref name="e"/>.</summary>
    public void SetRoundTrip(MachineEntry e, AgentConnection connection, double milliseconds)
    {
        lock (Lock)
        {
            if (e.Connection != connection) return;
            e.RttMilliseconds = milliseconds;
            e.ConnectionDirty = true;
        }
    }

    public int Count
    {
        get { lock (Lock) return _byName.Count; }
    }
}
