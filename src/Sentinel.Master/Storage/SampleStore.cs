using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Sentinel.Json;

namespace Sentinel.Master.Storage;

/// <summary>Told when samples are on disk, so the agent can be acked.</summary>
public interface IStoreAck
{
    /// <summary>Every sample of <paramref name="bootRow"/> up to <paramref name="seq"/> that was queued is committed.</summary>
    void Stored(long bootRow, long seq);

    /// <summary>A commit with samples of <paramref name="bootRow"/> failed: the sender must stop and come back later.</summary>
    void Failed(long bootRow, string reason);
}

/// <summary>A machine as the store remembers it across restarts.</summary>
public sealed record StoredMachine(long Id, string Name, string? HostId, string? AgentVersion, Inventory Inventory,
    Dictionary<string, string> Tags, double IntervalSeconds, DateTimeOffset? LastSeen, MachineSample? Latest);

/// <summary>What registering an agent's hello gives back.</summary>
public sealed record Registration(long MachineId, long BootRow, long AckedSeq);

/// <summary>Figures about the store, for /api/status.</summary>
public sealed record StoreStats(long SamplesWritten, long Duplicates, long Refused, long FailedCommits, int QueueDepth,
    double LastCommitMilliseconds, long DatabaseBytes, long WalBytes, bool Healthy, string? LastError);

/// <summary>
/// The master's SQLite store. One writer task owns the write connection and takes work from a
/// channel, so network threads never wait on the disk: they queue and move on, and are told when
/// what they queued is committed. WAL mode lets readers (the REST API) run beside the writer.
/// </summary>
public sealed partial class SampleStore : IAsyncDisposable
{
    private abstract record Work
    {
        /// <summary>Failed commits this item was in (job states, connection events and alerts are tried again, samples are resent by agents).</summary>
        public int Attempts { get; init; }
    }
    private sealed record SampleWork(long MachineId, long BootRow, long Seq, MachineSample Sample, IStoreAck? Ack) : Work;
    private sealed record RegisterWork(string Name, string HostId, string BootId, string AgentVersion, Inventory Inventory,
        Dictionary<string, string> Tags, double Interval, TaskCompletionSource<Registration> Done) : Work;
    private sealed record FlushWork(TaskCompletionSource Done) : Work;
    private sealed record MaintenanceWork : Work;

    private readonly string _connectionString;
    private readonly StoreOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly Channel<Work> _queue;
    private readonly SqliteConnection _write;
    private readonly Task _writer;
    private readonly ITimer _maintenanceTimer;
    private readonly Dictionary<long, MachineSample> _dirtyLatest = [];
    private readonly HashSet<(long Machine, long Minute)> _dirtyMinutes = [];
    // Boots whose samples failed to commit: nothing later of theirs may be stored (it would ack the lost ones
    // away) until the agent says hello again and resends from what is on disk.
    private readonly HashSet<long> _poisoned = [];
    private long _rolledUpTo;
    // The last minutes of fleet-history figures, fed after each commit (null when StoreOptions.RecentSeconds is 0).
    private readonly RecentFigures? _recent;

    /// <summary>Machines holding a ring of recent figures now (tests).</summary>
    internal int RecentMachines => _recent?.Machines ?? 0;
    private readonly List<(long Machine, long TimeMs, double Cpu, double Mem, double? Gpu, double Rx, double Tx)> _committed = [];
    private long _written, _duplicates, _refused, _failedCommits;
    private double _lastCommitMs;
    private volatile string? _lastError;
    private volatile bool _healthy = true;
    private string? _loggedError;
    private long _loggedErrorAt;

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    private SampleStore(string path, StoreOptions options, TimeProvider time, Action<string> log)
    {
        DatabasePath = path;
        _options = options;
        _time = time;
        _log = log;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _write = new SqliteConnection(_connectionString);
        _write.Open();
        Exec(_write, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;");
        Exec(_write, Schema.Create);
        Exec(_write, $"INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '{Schema.Version}')");
        _rolledUpTo = ReadMetaLong("rolled_up_to") ?? 0;
        CloseDanglingConnections(_write);
        if (options.RecentSeconds > 0)
        {
            using var newest = _write.CreateCommand();
            newest.CommandText = "SELECT max(t) FROM samples";
            _recent = new RecentFigures(options.RecentSeconds, newest.ExecuteScalar() is long t ? t : null);
        }
        _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriterLoop);
        _maintenanceTimer = time.CreateTimer(_ => _queue.Writer.TryWrite(new MaintenanceWork()), null, options.MaintenanceInterval, options.MaintenanceInterval);
    }

    /// <summary>Opens (or creates) the store in <paramref name="dataDirectory"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public static SampleStore Open(string dataDirectory, StoreOptions? options = null, TimeProvider? time = null, Action<string>? log = null)
    {
        if (options?.Problems().FirstOrDefault() is { } problem)
        {
            throw new ArgumentException($"StoreOptions.{problem.Property}: {problem.Message}", nameof(options));
        }
        Directory.CreateDirectory(dataDirectory);
        return new SampleStore(Path.Combine(dataDirectory, "sentinel.db"), options ?? new StoreOptions(), time ?? TimeProvider.System, log ?? (_ => { }));
    }

    /// <summary>Every machine ever seen, for the master's state at start-up.</summary>
    public List<StoredMachine> LoadMachines()
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, host_id, agent_version, inventory, tags, interval, last_seen, latest FROM machines ORDER BY name";
        using var r = cmd.ExecuteReader();
        var list = new List<StoredMachine>();
        while (r.Read())
        {
            var inventory = Parse(r, 4, SentinelJsonContext.Default.Inventory) ?? new Inventory { HostName = r.GetString(1) };
            list.Add(new StoredMachine(
                r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                inventory, Parse(r, 5, SentinelJsonContext.Default.DictionaryStringString) ?? [],
                r.IsDBNull(6) ? 1 : r.GetDouble(6),
                r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
                Parse(r, 8, SentinelJsonContext.Default.MachineSample)));
        }
        return list;
    }

    /// <summary>Records an agent's hello: the machine (created or updated) and this boot id.</summary>
    public Task<Registration> RegisterAsync(string name, string hostId, string bootId, string agentVersion, Inventory inventory,
        Dictionary<string, string> tags, double intervalSeconds, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<Registration>(TaskCreationOptions.RunContinuationsAsynchronously);
        return EnqueueAsync(new RegisterWork(name, hostId, bootId, agentVersion, inventory, tags, intervalSeconds, done), done.Task, cancellationToken);
    }

    /// <summary>
    /// Queues a sample. Returns false, without waiting, when the writer is too far behind: the sample
    /// is then not acked and the agent keeps it to send again.
    /// </summary>
    public bool TryEnqueue(long machineId, long bootRow, long seq, MachineSample sample, IStoreAck? ack)
    {
        if (_queue.Writer.TryWrite(new SampleWork(machineId, bootRow, seq, sample, ack)))
        {
            return true;
        }
        Interlocked.Increment(ref _refused);
        return false;
    }

    /// <summary>Completes when everything queued before the call is committed (or failed).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return EnqueueAsync(new FlushWork(done), done.Task, cancellationToken);
    }

    /// <summary>Runs roll-ups, retention and a WAL checkpoint now (they also run on a timer).</summary>
    public Task MaintainAsync(CancellationToken cancellationToken = default)
    {
        _queue.Writer.TryWrite(new MaintenanceWork());
        return FlushAsync(cancellationToken);
    }

    private async Task<T> EnqueueAsync<T>(Work work, Task<T> result, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        return await result.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task EnqueueAsync(Work work, Task result, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        await result.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public StoreStats Stats
    {
        get
        {
            static long Size(string p) => File.Exists(p) ? new FileInfo(p).Length : 0;
            return new StoreStats(Interlocked.Read(ref _written), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _refused),
                Interlocked.Read(ref _failedCommits), _queue.Reader.Count, Volatile.Read(ref _lastCommitMs),
                Size(DatabasePath), Size(DatabasePath + "-wal"), _healthy, _lastError);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The writer: the only code that writes to the database.

    private async Task WriterLoop()
    {
        var batch = new List<Work>(_options.MaxBatch);
        using var insert = Prepare(_write, $"""
            INSERT OR IGNORE INTO samples (machine_id, boot, seq, t, interval, {Schema.MetricColumns})
            VALUES (@m, @b, @s, @t, @i, @cpu, @mem, @mem_used, @disk_max, @disk_read, @disk_write, @net_rx, @net_tx, @gpu_util, @gpu_mem, @gpu_temp, @gpu_power, @load1)
            """, "@m", "@b", "@s", "@t", "@i", "@cpu", "@mem", "@mem_used", "@disk_max", "@disk_read", "@disk_write", "@net_rx", "@net_tx", "@gpu_util", "@gpu_mem", "@gpu_temp", "@gpu_power", "@load1");
        using var maxSeq = Prepare(_write, "UPDATE boots SET max_seq = max(max_seq, @s) WHERE id = @b", "@s", "@b");
        using var lastSeen = Prepare(_write, "UPDATE machines SET last_seen = max(coalesce(last_seen, 0), @t) WHERE id = @m", "@t", "@m");

        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var w))
            {
                batch.Add(w);
            }
            var started = _time.GetTimestamp();
            var acks = new Dictionary<(IStoreAck, long), long>();
            var bootMax = new Dictionary<long, long>();
            var machineSeen = new Dictionary<long, long>();
            var registrations = new List<(RegisterWork Work, Registration Result)>();
            var toldOfFailure = new HashSet<(IStoreAck, long)>();
            long batchWritten = 0, batchDuplicates = 0; // counted once the transaction commits
            bool inTransaction = false;
            _committed.Clear();
            _forgotten.Clear();
            var forgets = new List<ForgetWork>();
            try
            {
                if (_options.FailCommits?.Invoke() == true)
                {
                    throw new SqliteException("injected commit failure (test)", 13);
                }
                WalGuard();
                // Plain BEGIN/COMMIT rather than SqliteTransaction: after a COMMIT that fails on a full disk SQLite has
                // rolled back by itself, and SqliteTransaction's own rollback then fails and leaves the connection
                // believing a transaction is open ("does not support nested transactions") for good.
                Exec(_write, "BEGIN IMMEDIATE");
                inTransaction = true;
                foreach (var work in batch)
                {
                    switch (work)
                    {
                        case SampleWork s when _poisoned.Contains(s.BootRow):
                            Interlocked.Increment(ref _refused);
                            // This sender may not have been told yet (it took the boot over after the failure).
                            if (s.Ack is { } poisonedAck && toldOfFailure.Add((poisonedAck, s.BootRow)))
                            {
                                poisonedAck.Failed(s.BootRow, "the master could not store earlier samples of this agent run");
                            }
                            break;
                        case SampleWork s:
                            if (Insert(insert, s) == 0)
                            {
                                batchDuplicates++;
                            }
                            else
                            {
                                batchWritten++;
                                if (_recent is not null)
                                {
                                    var x = s.Sample;
                                    _committed.Add((s.MachineId, x.Timestamp.ToUnixTimeMilliseconds(), x.CpuPercent, x.MemoryUsedPercent, x.GpuUtilizationPercent,
                                        x.NetworkReceiveBytesPerSecond, x.NetworkTransmitBytesPerSecond));
                                }
                            }
                            bootMax[s.BootRow] = Math.Max(bootMax.GetValueOrDefault(s.BootRow), s.Seq);
                            long t = s.Sample.Timestamp.ToUnixTimeMilliseconds();
                            machineSeen[s.MachineId] = Math.Max(machineSeen.GetValueOrDefault(s.MachineId), t);
                            _dirtyLatest[s.MachineId] = s.Sample;
                            if (t < _rolledUpTo)
                            {
                                _dirtyMinutes.Add((s.MachineId, t / 60000 * 60000)); // a replay older than the roll-ups
                            }
                            if (s.Ack is { } ack)
                            {
                                acks[(ack, s.BootRow)] = Math.Max(acks.GetValueOrDefault((ack, s.BootRow)), s.Seq);
                            }
                            break;
                        case RegisterWork r:
                            var reg = Register(r);
                            _poisoned.Remove(reg.BootRow);
                            registrations.Add((r, reg));
                            break;
                        case MaintenanceWork:
                            Maintain();
                            break;
                        case JobWork j:
                            SaveJob(_write, j);
                            break;
                        case ConnectionWork cw:
                            SaveConnection(_write, cw);
                            break;
                        case AlertWork aw:
                            SaveAlert(_write, aw);
                            break;
                        case ForgetWork fw:
                            Forget(fw.MachineId);
                            forgets.Add(fw);
                            break;
                    }
                }
                foreach (var (boot, seq) in bootMax)
                {
                    maxSeq.Parameters["@s"].Value = seq;
                    maxSeq.Parameters["@b"].Value = boot;
                    maxSeq.ExecuteNonQuery();
                }
                foreach (var (machine, t) in machineSeen)
                {
                    lastSeen.Parameters["@t"].Value = t;
                    lastSeen.Parameters["@m"].Value = machine;
                    lastSeen.ExecuteNonQuery();
                }
                Exec(_write, "COMMIT");
                inTransaction = false;
                _recent?.Add(_committed, _time.GetUtcNow().ToUnixTimeMilliseconds());
                Interlocked.Add(ref _written, batchWritten);
                Interlocked.Add(ref _duplicates, batchDuplicates);
                if (!_healthy)
                {
                    _log($"store: writing again after {_failedCommits} failed commits");
                }
                _healthy = true;
                _lastError = null;
                _loggedError = null;
            }
            catch (Exception e) when (e is SqliteException || _options.CatchAll)
            {
                // Disk full, I/O error, locked, or a sample the writer could not handle: nothing in this batch is
                // acked; its senders are told to stop, and their boots are poisoned until they say hello again.
                _failedCommits++;
                _healthy = false;
                _lastError = e.Message;
                // Logged once per distinct error and then every 30 s: a full disk fails every batch until space frees.
                if (e.Message != _loggedError || _time.GetElapsedTime(_loggedErrorAt) > TimeSpan.FromSeconds(30))
                {
                    _loggedError = e.Message;
                    _loggedErrorAt = _time.GetTimestamp();
                    _log($"store: commit of {batch.Count} items failed ({_failedCommits} failed so far): {e.Message}");
                }
                foreach (var work in batch)
                {
                    switch (work)
                    {
                        case RegisterWork r: r.Done.TrySetException(e); break;
                        case FlushWork f: f.Done.TrySetResult(); break;
                        case JobWork or ConnectionWork or AlertWork or ForgetWork:
                            // No agent holds these to send again: keep them for a later commit (a disk may stay full for
                            // a while) unless the item itself seems to be what fails.
                            if (work.Attempts < (e is SqliteException ? 10_000 : 3) && _queue.Writer.TryWrite(work with { Attempts = work.Attempts + 1 }))
                            {
                                break;
                            }
                            _log($"store: gave up on {work.GetType().Name} after {work.Attempts + 1} failed commits: {e.Message}");
                            (work as ForgetWork)?.Done.TrySetException(e);
                            break;
                        case SampleWork sw:
                            _poisoned.Add(sw.BootRow);
                            if (sw.Ack is { } failedAck && toldOfFailure.Add((failedAck, sw.BootRow)))
                            {
                                failedAck.Failed(sw.BootRow, "the master could not store samples: " + e.Message);
                            }
                            break;
                    }
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), _time).ConfigureAwait(false);
                continue;
            }
            finally
            {
                if (inTransaction) RollbackQuietly();
            }
            Volatile.Write(ref _lastCommitMs, _time.GetElapsedTime(started).TotalMilliseconds);
            if (_checkpointDue)
            {
                _checkpointDue = false;
                Checkpoint();
            }
            foreach (var ((ack, boot), seq) in acks)
            {
                ack.Stored(boot, seq);
            }
            // Before this batch's hellos are answered: a name forgotten and said hello again in one batch is a new machine.
            if (_forgotten.Count > 0) MachinesForgotten?.Invoke(_forgotten.ToList());
            foreach (var f in forgets)
            {
                f.Done.TrySetResult();
            }
            foreach (var (work, result) in registrations)
            {
                work.Done.TrySetResult(result);
            }
            foreach (var work in batch)
            {
                if (work is FlushWork f)
                {
                    f.Done.TrySetResult();
                }
            }
        }
    }

    private static int Insert(SqliteCommand insert, SampleWork s)
    {
        var p = insert.Parameters;
        var x = s.Sample;
        p["@m"].Value = s.MachineId;
        p["@b"].Value = s.BootRow;
        p["@s"].Value = s.Seq;
        p["@t"].Value = x.Timestamp.ToUnixTimeMilliseconds();
        p["@i"].Value = x.IntervalSeconds;
        p["@cpu"].Value = Num(x.CpuPercent);
        p["@mem"].Value = Num(x.MemoryUsedPercent);
        p["@mem_used"].Value = Num(x.Memory.UsedBytes);
        p["@disk_max"].Value = Num(x.DiskUsedPercentMax);
        p["@disk_read"].Value = Num(x.Disks.Sum(d => d.ReadBytesPerSecond));
        p["@disk_write"].Value = Num(x.Disks.Sum(d => d.WriteBytesPerSecond));
        p["@net_rx"].Value = Num(x.NetworkReceiveBytesPerSecond);
        p["@net_tx"].Value = Num(x.NetworkTransmitBytesPerSecond);
        p["@gpu_util"].Value = Num(x.GpuUtilizationPercent);
        p["@gpu_mem"].Value = Num(Avg(x.Gpus.Select(g => g.MemoryUsedPercent)));
        p["@gpu_temp"].Value = Num(x.Gpus.Select(g => g.TemperatureCelsius).Where(v => v.HasValue).DefaultIfEmpty().Max());
        p["@gpu_power"].Value = Num(x.Gpus.Count == 0 ? null : x.Gpus.Where(g => g.PowerDrawWatts.HasValue).Sum(g => g.PowerDrawWatts));
        p["@load1"].Value = Num(x.Cpu.LoadAverage1);
        return insert.ExecuteNonQuery();

        static double? Avg(IEnumerable<double?> values)
        {
            var list = values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
            return list.Count == 0 ? null : list.Average();
        }
    }

    // SQLite has no NaN or infinity: a figure that is not a real number is stored as missing.
    private static object Num(double? v) => v is { } d && double.IsFinite(d) ? d : DBNull.Value;

    private Registration Register(RegisterWork r)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        using var up = _write.CreateCommand();
        up.CommandText = """
            INSERT INTO machines (name, host_id, agent_version, inventory, tags, interval, first_seen)
            VALUES (@n, @h, @v, @inv, @tags, @i, @now)
            ON CONFLICT (name) DO UPDATE SET host_id = @h, agent_version = @v, inventory = @inv, tags = @tags, interval = @i,
                last_seen = max(coalesce(last_seen, 0), @now)
            RETURNING id
            """;
        up.Parameters.AddWithValue("@n", r.Name);
        up.Parameters.AddWithValue("@h", r.HostId);
        up.Parameters.AddWithValue("@v", r.AgentVersion);
        up.Parameters.AddWithValue("@inv", JsonSerializer.Serialize(r.Inventory, SentinelJsonContext.Default.Inventory));
        up.Parameters.AddWithValue("@tags", JsonSerializer.Serialize(r.Tags, SentinelJsonContext.Default.DictionaryStringString));
        up.Parameters.AddWithValue("@i", r.Interval);
        up.Parameters.AddWithValue("@now", now);
        long machineId = (long)up.ExecuteScalar()!;

        using var boot = _write.CreateCommand();
        boot.CommandText = """
            INSERT INTO boots (machine_id, boot_id, started) VALUES (@m, @b, @now)
            ON CONFLICT (machine_id, boot_id) DO UPDATE SET machine_id = machine_id
            RETURNING id, max_seq
            """;
        boot.Parameters.AddWithValue("@m", machineId);
        boot.Parameters.AddWithValue("@b", r.BootId);
        boot.Parameters.AddWithValue("@now", now);
        using var reader = boot.ExecuteReader();
        reader.Read();
        return new Registration(machineId, reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Roll-ups of finished minutes, re-roll of minutes that got late replays, retention, latest samples, checkpoint.</summary>
    private void Maintain()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        // Minutes that ended at least a minute before the last whole minute are complete (two minutes of slack: a live sample is at most seconds late; later replays re-roll their minutes).
        long upTo = (now - 120_000) / 60000 * 60000;
        if (_rolledUpTo == 0)
        {
            _rolledUpTo = Math.Max(0, upTo - (long)_options.RawRetention.TotalMilliseconds);
        }
        if (upTo > _rolledUpTo)
        {
            Rollup("t >= @from AND t < @to", ("@from", _rolledUpTo), ("@to", upTo));
            _rolledUpTo = upTo;
            Exec(_write, $"INSERT OR REPLACE INTO meta (key, value) VALUES ('rolled_up_to', '{_rolledUpTo}')");
        }
        foreach (var (machine, minute) in _dirtyMinutes)
        {
            Rollup("machine_id = @m AND t >= @from AND t < @to", ("@m", machine), ("@from", minute), ("@to", minute + 60000));
        }
        _dirtyMinutes.Clear();

        using (var del = _write.CreateCommand())
        {
            del.CommandText = "DELETE FROM samples WHERE t < @raw; DELETE FROM rollup_1m WHERE t < @rollup; DELETE FROM connections WHERE t < @rollup";
            del.Parameters.AddWithValue("@raw", now - (long)_options.RawRetention.TotalMilliseconds);
            del.Parameters.AddWithValue("@rollup", now - (long)_options.RollupRetention.TotalMilliseconds);
            del.ExecuteNonQuery();
        }
        DeleteOldAuditAndAlerts(now);
        ForgetSilentMachines(now);

        using (var latest = _write.CreateCommand())
        {
            latest.CommandText = "UPDATE machines SET latest = @l WHERE id = @m";
            var l = latest.Parameters.Add("@l", SqliteType.Text);
            var m = latest.Parameters.Add("@m", SqliteType.Integer);
            foreach (var (machine, sample) in _dirtyLatest)
            {
                l.Value = JsonSerializer.Serialize(sample, SentinelJsonContext.Default.MachineSample);
                m.Value = machine;
                latest.ExecuteNonQuery();
            }
            _dirtyLatest.Clear();
        }
        _checkpointDue = true;
    }

    private bool _checkpointDue;

    /// <summary>
    /// Audit entries and resolved alerts past their retention. An alert not resolved (firing, acknowledged, silenced)
    /// stays however old. The newest row of each table always stays: ids continue from the highest one left (SQLite's
    /// rowid for audit, <see cref="LoadOpenAlerts"/>'s MaxId for alerts), so an id once given is never given again.
    /// </summary>
    private void DeleteOldAuditAndAlerts(long now)
    {
        if (_options.AuditRetention > TimeSpan.Zero)
        {
            using var audit = _write.CreateCommand();
            audit.CommandText = "DELETE FROM audit WHERE t < @before AND id < (SELECT max(id) FROM audit)";
            audit.Parameters.AddWithValue("@before", now - (long)_options.AuditRetention.TotalMilliseconds);
            if (audit.ExecuteNonQuery() is > 0 and var n)
            {
                _log($"store: removed {n} audit entries older than {Durations.Format(_options.AuditRetention)}");
            }
        }
        if (_options.AlertRetention > TimeSpan.Zero)
        {
            using var alerts = _write.CreateCommand();
            alerts.CommandText = "DELETE FROM alerts WHERE resolved < @before AND state = 'resolved' AND id < (SELECT max(id) FROM alerts)";
            alerts.Parameters.AddWithValue("@before", now - (long)_options.AlertRetention.TotalMilliseconds);
            alerts.ExecuteNonQuery();
        }
    }

    private void Rollup(string where, params (string Name, long Value)[] args)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = $"""
            INSERT OR REPLACE INTO rollup_1m (machine_id, t, n, cpu, cpu_max, mem, mem_used, disk_max, disk_read, disk_write,
                                              net_rx, net_tx, gpu_util, gpu_mem, gpu_temp, gpu_power, load1)
            SELECT machine_id, t / 60000 * 60000, count(*), avg(cpu), max(cpu), avg(mem), avg(mem_used), max(disk_max), avg(disk_read),
                   avg(disk_write), avg(net_rx), avg(net_tx), avg(gpu_util), avg(gpu_mem), max(gpu_temp), avg(gpu_power), avg(load1)
            FROM samples WHERE {where} GROUP BY machine_id, t / 60000
            """;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        cmd.ExecuteNonQuery();
    }

    // ---------------------------------------------------------------------------------------------
    // Reads: their own connections, beside the writer (WAL).

    /// <summary>
    /// A machine's history between <paramref name="since"/> and <paramref name="until"/> in steps of
    /// <paramref name="step"/>: raw samples where they are kept, one-minute roll-ups for steps of a minute
    /// or more and for anything older.
    /// </summary>
    public MetricSeries Query(long machineId, string name, DateTimeOffset since, DateTimeOffset until, TimeSpan step)
    {
        long stepMs = Math.Max(1000, (long)step.TotalMilliseconds);
        long from = since.ToUnixTimeMilliseconds(), to = until.ToUnixTimeMilliseconds();
        long rawFrom = from;
        long rolled = Volatile.Read(ref _rolledUpTo);
        long rawOldest = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.RawRetention.TotalMilliseconds;
        var buckets = new SortedDictionary<long, Acc>();
        using var c = OpenRead();
        if (stepMs >= 60000 || from < rawOldest)
        {
            // Roll-ups cover up to rolled; raw samples cover the rest.
            stepMs = Math.Max(60000, stepMs / 60000 * 60000);
            long rollTo = Math.Min(to, rolled);
            if (rollTo > from)
            {
                Read(c, $"""
                    SELECT t / @step * @step AS b, sum(n), {WeightedColumns} FROM rollup_1m
                    WHERE machine_id = @m AND t >= @from AND t < @to GROUP BY b
                    """, machineId, from, rollTo, stepMs, buckets);
            }
            rawFrom = Math.Max(from, rolled);
        }
        if (to > rawFrom)
        {
            Read(c, """
                SELECT t / @step * @step AS b, count(*), avg(cpu), max(cpu), avg(mem), avg(mem_used), max(disk_max), avg(disk_read),
                       avg(disk_write), avg(net_rx), avg(net_tx), avg(gpu_util), avg(gpu_mem), max(gpu_temp), avg(gpu_power), avg(load1)
                FROM samples WHERE machine_id = @m AND t >= @from AND t < @to GROUP BY b
                """, machineId, rawFrom, to, stepMs, buckets);
        }
        return new MetricSeries
        {
            Name = name,
            Since = since,
            Until = until,
            StepSeconds = stepMs / 1000.0,
            Points = buckets.Select(kv => kv.Value.ToPoint(name, kv.Key, stepMs)).ToList(),
        };
    }

    private static string WeightedColumns
    {
        get
        {
            static string W(string c) => $"sum({c} * n) / sum(CASE WHEN {c} IS NULL THEN 0 ELSE n END)";
            return string.Join(", ", W("cpu"), "max(cpu_max)", W("mem"), W("mem_used"), "max(disk_max)", W("disk_read"), W("disk_write"),
                W("net_rx"), W("net_tx"), W("gpu_util"), W("gpu_mem"), "max(gpu_temp)", W("gpu_power"), W("load1"));
        }
    }

    private static void Read(SqliteConnection c, string sql, long machineId, long from, long to, long stepMs, SortedDictionary<long, Acc> into)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("@m", machineId);
        cmd.Parameters.AddWithValue("@from", from);
        cmd.Parameters.AddWithValue("@to", to);
        cmd.Parameters.AddWithValue("@step", stepMs);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            long b = r.GetInt64(0);
            var values = new double?[14];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = r.IsDBNull(i + 2) ? null : r.GetDouble(i + 2);
            }
            if (!into.TryGetValue(b, out var acc))
            {
                into[b] = acc = new Acc();
            }
            acc.Add(r.GetInt32(1), values);
        }
    }

    /// <summary>Merges a bucket that both roll-ups and raw samples contribute to: means weighted by count, maxima as maxima.</summary>
    private sealed class Acc
    {
        // column order: cpu, cpu_max, mem, mem_used, disk_max, disk_read, disk_write, net_rx, net_tx, gpu_util, gpu_mem, gpu_temp, gpu_power, load1
        private static readonly bool[] IsMax = [false, true, false, false, true, false, false, false, false, false, false, true, false, false];
        private readonly double[] _sum = new double[14];
        private readonly int[] _weight = new int[14];
        private readonly double?[] _max = new double?[14];
        private int _n;

        public void Add(int n, double?[] values)
        {
            _n += n;
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] is not { } v) continue;
                if (IsMax[i]) _max[i] = _max[i] is { } m ? Math.Max(m, v) : v;
                else { _sum[i] += v * n; _weight[i] += n; }
            }
        }

        private double? V(int i) => IsMax[i] ? _max[i] : _weight[i] > 0 ? _sum[i] / _weight[i] : null;

        public MetricPoint ToPoint(string machine, long t, long stepMs) => new()
        {
            Machine = machine,
            T = DateTimeOffset.FromUnixTimeMilliseconds(t),
            StepSeconds = stepMs / 1000.0,
            Samples = _n,
            CpuPercent = V(0), CpuPercentMax = V(1), MemoryUsedPercent = V(2), MemoryUsedBytes = V(3), DiskUsedPercentMax = V(4),
            DiskReadBytesPerSecond = V(5), DiskWriteBytesPerSecond = V(6), NetworkReceiveBytesPerSecond = V(7), NetworkTransmitBytesPerSecond = V(8),
            GpuUtilizationPercent = V(9), GpuMemoryUsedPercent = V(10), GpuTemperatureCelsiusMax = V(11), GpuPowerWatts = V(12), LoadAverage1 = V(13),
        };
    }

    /// <summary>How many samples are stored for a machine (tests and diagnostics).</summary>
    public long CountSamples(long? machineId = null)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = machineId is null ? "SELECT count(*) FROM samples" : "SELECT count(*) FROM samples WHERE machine_id = @m";
        if (machineId is { } m) cmd.Parameters.AddWithValue("@m", m);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>A read connection (pooled). Callers dispose it.</summary>
    public SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    // ---------------------------------------------------------------------------------------------

    private void Checkpoint()
    {
        try
        {
            // TRUNCATE resets the WAL to zero bytes when no reader holds an old snapshot. With one held, it waits at
            // most a moment (not the 10 s busy timeout: the writer must not stall) and copies back what it can.
            Exec(_write, "PRAGMA busy_timeout=100; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA busy_timeout=10000;");
        }
        catch (SqliteException e)
        {
            Exec(_write, "PRAGMA busy_timeout=10000");
            _log($"store: checkpoint failed: {e.Message}");
        }
    }

    /// <summary>Rolls back a failed batch. SQLite may have done so already (a failed COMMIT on a full disk): then there is nothing to do.</summary>
    private void RollbackQuietly()
    {
        try
        {
            Exec(_write, "ROLLBACK");
        }
        catch (SqliteException)
        {
        }
    }

    private long WalBytes() => File.Exists(DatabasePath + "-wal") ? new FileInfo(DatabasePath + "-wal").Length : 0;

    /// <summary>
    /// A reader that keeps a transaction open (a sqlite3 shell, a backup script, a stuck report) pins the WAL: no
    /// checkpoint can reset it, and every commit makes it longer. Past <see cref="StoreOptions.MaxWalBytes"/> the writer
    /// stops writing, exactly as on a full disk (nothing is acked, agents keep their samples), and starts again when a
    /// checkpoint gets the WAL back under the limit.
    /// </summary>
    private void WalGuard()
    {
        if (WalBytes() <= _options.MaxWalBytes) return;
        Checkpoint();
        long wal = WalBytes();
        if (wal > _options.MaxWalBytes)
        {
            throw new SqliteException(
                $"the write-ahead log is {wal / 1048576.0:0.0} MiB, over its {_options.MaxWalBytes / 1048576.0:0.#} MiB limit, and cannot be checkpointed: " +
                "another program holds a read transaction open on the database; writing resumes when it lets go", 5);
        }
        _log($"store: write-ahead log back under {_options.MaxWalBytes / 1048576.0:0.#} MiB; writing again");
    }

    private long? ReadMetaLong(string key)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = @k";
        cmd.Parameters.AddWithValue("@k", key);
        return cmd.ExecuteScalar() is string s && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static T? Parse<T>(SqliteDataReader r, int column, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class
    {
        if (r.IsDBNull(column)) return null;
        try
        {
            return JsonSerializer.Deserialize(r.GetString(column), info);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static SqliteCommand Prepare(SqliteConnection c, string sql, params string[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new SqliteParameter(p, null));
        }
        return cmd;
    }

    public async ValueTask DisposeAsync()
    {
        await _maintenanceTimer.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryWrite(new MaintenanceWork()); // persist latest samples and roll up before closing
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        Checkpoint();
        _write.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }
}
