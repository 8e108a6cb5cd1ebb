using Microsoft.Data.Sqlite;

namespace Sentinel.Master.Storage;

/// <summary>Each machine's connects and disconnects, for its connection history and uptime share.</summary>
public sealed partial class SampleStore
{
    private sealed record ConnectionWork(long MachineId, long T, string Event, string? Remote, string? Detail) : Work;

    /// <summary>Queues a connection event (connected, disconnected, offline) to be written with the next commit.</summary>
    public void RecordConnection(long machineId, DateTimeOffset at, string eventName, string? remote, string? detail)
    {
        if (!_queue.Writer.TryWrite(new ConnectionWork(machineId, at.ToUnixTimeMilliseconds(), eventName, remote, detail)))
        {
            _log($"store: connection event '{eventName}' of machine {machineId} not recorded (the write queue is full)");
        }
    }

    private static void SaveConnection(SqliteConnection write, ConnectionWork c)
    {
        using var cmd = write.CreateCommand();
        // A machine forgotten since the event was queued (an agent's disconnect racing DELETE /api/machines) gets no row.
        cmd.CommandText = "INSERT INTO connections (machine_id, t, event, remote, detail) SELECT @m, @t, @e, @r, @d WHERE EXISTS (SELECT 1 FROM machines WHERE id = @m)";
        cmd.Parameters.AddWithValue("@m", c.MachineId);
        cmd.Parameters.AddWithValue("@t", c.T);
        cmd.Parameters.AddWithValue("@e", c.Event);
        cmd.Parameters.AddWithValue("@r", (object?)c.Remote ?? DBNull.Value);
        cmd.Parameters.AddWithValue("@d", (object?)c.Detail ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// At start: a machine whose last event is "connected" lost its connection when the previous master process
    /// ended (killed, crashed, stopped without closing it). Its disconnect is recorded at its last sample.
    /// </summary>
    private static void CloseDanglingConnections(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO connections (machine_id, t, event, remote, detail)
            SELECT l.machine_id, max(l.t, coalesce(m.last_seen, l.t)), 'disconnected', l.remote, 'the master stopped'
            FROM connections l JOIN machines m ON m.id = l.machine_id
            WHERE l.event = 'connected'
              AND l.t = (SELECT max(t) FROM connections x WHERE x.machine_id = l.machine_id)
              AND NOT EXISTS (SELECT 1 FROM connections y WHERE y.machine_id = l.machine_id AND y.t = l.t AND y.event <> 'connected')
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// A machine's connection events between <paramref name="since"/> and <paramref name="until"/>, the share of that
    /// window it was connected (from its first event, when that is inside the window), and its connect and disconnect counts.
    /// </summary>
    public ConnectionHistory LoadConnections(long machineId, string name, DateTimeOffset since, DateTimeOffset until)
    {
        long from = since.ToUnixTimeMilliseconds(), to = until.ToUnixTimeMilliseconds();
        using var c = OpenRead();
        bool connectedAtStart = false;
        bool known = false;
        using (var before = c.CreateCommand())
        {
            before.CommandText = "SELECT event FROM connections WHERE machine_id = @m AND t < @from ORDER BY t DESC, rowid DESC LIMIT 1";
            before.Parameters.AddWithValue("@m", machineId);
            before.Parameters.AddWithValue("@from", from);
            if (before.ExecuteScalar() is string last)
            {
                known = true;
                connectedAtStart = last is "connected" or "online";
            }
        }
        var events = new List<ConnectionEvent>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT t, event, remote, detail FROM connections WHERE machine_id = @m AND t >= @from AND t < @to ORDER BY t, rowid LIMIT 10000";
            cmd.Parameters.AddWithValue("@m", machineId);
            cmd.Parameters.AddWithValue("@from", from);
            cmd.Parameters.AddWithValue("@to", to);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                events.Add(new ConnectionEvent
                {
                    At = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(0)),
                    Event = r.GetString(1),
                    Remote = r.IsDBNull(2) ? null : r.GetString(2),
                    Detail = r.IsDBNull(3) ? null : r.GetString(3),
                });
            }
        }
        return new ConnectionHistory
        {
            Machine = name,
            Since = since,
            Until = until,
            UptimeShare = UptimeShare(events, known, connectedAtStart, from, to),
            Connects = events.Count(e => e.Event == "connected"),
            Disconnects = events.Count(e => e.Event == "disconnected"),
            Events = events,
        };
    }

    /// <summary>
    /// Connected time over observed time. Observation starts at the window's start when the state there is known,
    /// else at the first event; "offline" (silent) counts as not connected even while the socket is still open.
    /// </summary>
    internal static double UptimeShare(IReadOnlyList<ConnectionEvent> events, bool known, bool connectedAtStart, long from, long to)
    {
        long start = known ? from : events.Count > 0 ? events[0].At.ToUnixTimeMilliseconds() : to;
        if (to <= start) return known && connectedAtStart ? 1 : 0;
        bool up = known && connectedAtStart;
        long at = start, upMs = 0;
        foreach (var e in events)
        {
            long t = Math.Clamp(e.At.ToUnixTimeMilliseconds(), start, to);
            if (up) upMs += t - at;
            at = t;
            up = e.Event is "connected" or "online";
        }
        if (up) upMs += to - at;
        return Math.Clamp((double)upMs / (to - start), 0, 1);
    }
}

/// <summary>The whole fleet's headline figures on one time grid.</summary>
public sealed partial class SampleStore
{
    private long _historyFromMemory;

    /// <summary>Fleet-history answers whose whole seconds came from the ring of recent figures, not SQLite.</summary>
    internal long HistoryFromMemory => Interlocked.Read(ref _historyFromMemory);

    /// <summary>
    /// Every machine's CPU, memory, GPU and network figures from <paramref name="since"/> to <paramref name="until"/>
    /// in steps of <paramref name="step"/>: one query over all machines (raw samples where kept, one-minute
    /// roll-ups for steps of a minute or more and for anything older). Keyed by machine id; each array has one
    /// slot per bucket, null where the machine sent nothing.
    /// </summary>
    public (long StartMs, long StepMs, int Buckets, Dictionary<long, double?[][]> ByMachine) FleetHistory(IReadOnlyCollection<long> machineIds,
        DateTimeOffset since, DateTimeOffset until, TimeSpan step)
        => FleetHistory(machineIds, since, until, step, fromMemory: true);

    /// <summary>As the public overload; <paramref name="fromMemory"/> false reads only SQLite, never the ring of recent figures (tests and the bench compare the two).</summary>
    internal (long StartMs, long StepMs, int Buckets, Dictionary<long, double?[][]> ByMachine) FleetHistory(IReadOnlyCollection<long> machineIds,
        DateTimeOffset since, DateTimeOffset until, TimeSpan step, bool fromMemory)
    {
        long stepMs = Math.Max(1000, (long)step.TotalMilliseconds);
        long from = since.ToUnixTimeMilliseconds(), to = until.ToUnixTimeMilliseconds();
        long rawOldest = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.RawRetention.TotalMilliseconds;
        long rolled = Volatile.Read(ref _rolledUpTo);
        bool useRollups = stepMs >= 60000 || from < rawOldest;
        if (useRollups) stepMs = Math.Max(60000, stepMs / 60000 * 60000);
        long start = from / stepMs * stepMs;
        int buckets = (int)Math.Max(1, (to - start + stepMs - 1) / stepMs);
        var byMachine = new Dictionary<long, double?[][]>();
        // Per cell: weighted sums and weights, so a bucket fed by both roll-ups and raw samples averages right.
        var sums = new Dictionary<long, (double[] Sum, double[] Weight)>();
        using var c = OpenRead();
        long rawFrom = from;
        if (useRollups)
        {
            long rollTo = Math.Min(to, rolled);
            if (rollTo > from)
            {
                Accumulate(c, """
                    SELECT machine_id, (t - @start) / @step * @step + @start AS b,
                           sum(CASE WHEN cpu IS NULL THEN 0 ELSE n END), sum(cpu * n) / nullif(sum(CASE WHEN cpu IS NULL THEN 0 ELSE n END), 0),
                           sum(CASE WHEN mem IS NULL THEN 0 ELSE n END), sum(mem * n) / nullif(sum(CASE WHEN mem IS NULL THEN 0 ELSE n END), 0),
                           sum(CASE WHEN gpu_util IS NULL THEN 0 ELSE n END), sum(gpu_util * n) / nullif(sum(CASE WHEN gpu_util IS NULL THEN 0 ELSE n END), 0),
                           sum(CASE WHEN net_rx IS NULL THEN 0 ELSE n END), sum(net_rx * n) / nullif(sum(CASE WHEN net_rx IS NULL THEN 0 ELSE n END), 0),
                           sum(CASE WHEN net_tx IS NULL THEN 0 ELSE n END), sum(net_tx * n) / nullif(sum(CASE WHEN net_tx IS NULL THEN 0 ELSE n END), 0)
                    FROM rollup_1m WHERE machine_id = @m AND t >= @from AND t < @to GROUP BY b
                    """, from, rollTo);
            }
            rawFrom = Math.Max(from, rolled);
        }
        // Whole seconds of the raw range, which the ring of recent figures may answer; the partial seconds at either end
        // (at most a second of samples each) come from SQLite through the t index.
        long wholeFrom = rawFrom >= 0 ? (rawFrom + 999) / 1000 : rawFrom / 1000, wholeTo = to >= 0 ? to / 1000 : (to - 999) / 1000;
        if (to > rawFrom && fromMemory && !useRollups && wholeTo > wholeFrom && _recent is { } recent
            && recent.TryAccumulate(machineIds, wholeFrom, wholeTo, start, stepMs, buckets, sums))
        {
            Interlocked.Increment(ref _historyFromMemory);
            var wanted = machineIds as IReadOnlySet<long> ?? machineIds.ToHashSet();
            AccumulateRows(c, rawFrom, wholeFrom * 1000, wanted);
            AccumulateRows(c, wholeTo * 1000, to, wanted);
        }
        else if (to > rawFrom)
        {
            // Grouped in SQL, one machine at a time through the (machine_id, t) index: one prepared statement, one row
            // per bucket into .NET. (One statement over all machines through the t index measured slower: every row
            // then costs a primary-key lookup; bench fleet-history.)
            Accumulate(c, """
                SELECT machine_id, (t - @start) / @step * @step + @start AS b,
                       count(cpu), avg(cpu), count(mem), avg(mem), count(gpu_util), avg(gpu_util), count(net_rx), avg(net_rx), count(net_tx), avg(net_tx)
                FROM samples WHERE machine_id = @m AND t >= @from AND t < @to GROUP BY b
                """, rawFrom, to);
        }
        foreach (var (machine, (sum, weight)) in sums)
        {
            var arrays = new double?[5][];
            for (int k = 0; k < 5; k++)
            {
                arrays[k] = new double?[buckets];
                for (int b = 0; b < buckets; b++)
                {
                    int i = b * 5 + k;
                    arrays[k][b] = weight[i] > 0 ? sum[i] / weight[i] : null;
                }
            }
            byMachine[machine] = arrays;
        }
        return (start, stepMs, buckets, byMachine);

        // Single samples of the wanted machines with from <= t < until, added one by one.
        void AccumulateRows(SqliteConnection conn, long f, long t, IReadOnlySet<long> wanted)
        {
            if (t <= f) return;
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT machine_id, t, cpu, mem, gpu_util, net_rx, net_tx FROM samples WHERE t >= @from AND t < @to";
            cmd.Parameters.AddWithValue("@from", f);
            cmd.Parameters.AddWithValue("@to", t);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                long machine = r.GetInt64(0);
                if (!wanted.Contains(machine)) continue;
                int b = (int)((r.GetInt64(1) - start) / stepMs);
                if (b < 0 || b >= buckets) continue;
                if (!sums.TryGetValue(machine, out var cell))
                {
                    sums[machine] = cell = (new double[buckets * 5], new double[buckets * 5]);
                }
                for (int k = 0; k < 5; k++)
                {
                    if (r.IsDBNull(2 + k)) continue;
                    cell.Sum[b * 5 + k] += r.GetDouble(2 + k);
                    cell.Weight[b * 5 + k] += 1;
                }
            }
        }

        void Accumulate(SqliteConnection conn, string sql, long f, long t)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.Parameters.AddWithValue("@from", f);
            cmd.Parameters.AddWithValue("@to", t);
            cmd.Parameters.AddWithValue("@start", start);
            cmd.Parameters.AddWithValue("@step", stepMs);
            var m = cmd.Parameters.Add("@m", SqliteType.Integer);
            foreach (var id in machineIds)
            {
            m.Value = id;
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                long machine = r.GetInt64(0);
                int b = (int)((r.GetInt64(1) - start) / stepMs);
                if (b < 0 || b >= buckets) continue;
                if (!sums.TryGetValue(machine, out var cell))
                {
                    sums[machine] = cell = (new double[buckets * 5], new double[buckets * 5]);
                }
                // Columns after (machine, time): (weight, value) per figure.
                for (int k = 0; k < 5; k++)
                {
                    if (r.IsDBNull(3 + 2 * k)) continue;
                    double n = r.GetInt64(2 + 2 * k);
                    cell.Sum[b * 5 + k] += r.GetDouble(3 + 2 * k) * n;
                    cell.Weight[b * 5 + k] += n;
                }
            }
            }
        }
    }

    /// <summary>Jobs kept that have ended (completed, failed or cancelled).</summary>
    public int CountFinishedJobs()
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM jobs WHERE state IN ('Completed', 'Failed', 'Cancelled')";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
