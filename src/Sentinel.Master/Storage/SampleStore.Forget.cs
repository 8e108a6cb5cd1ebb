using Microsoft.Data.Sqlite;

namespace Sentinel.Master.Storage;

/// <summary>
/// Forgetting machines: a machine's row and everything that has meaning only with it (raw samples, roll-ups, boots,
/// connection history, its latest sample). Benchmark results, alerts and the audit log name machines by name, not by
/// id, and stay. Under Slurm agents are often named after jobs, so without this the machine list grows with every job.
/// </summary>
public sealed partial class SampleStore
{
    private sealed record ForgetWork(long MachineId, TaskCompletionSource Done) : Work;

    /// <summary>
    /// Told, on the writer's thread right after the commit, of machines the maintenance pass forgot because they had been
    /// silent for longer than <see cref="StoreOptions.RollupRetention"/> (id, name). Set once, before the first pass.
    /// </summary>
    internal Action<IReadOnlyList<(long Id, string Name)>>? MachinesForgotten { get; set; }

    /// <summary>
    /// Asked on the writer's thread before the maintenance pass forgets a machine (id, name): true keeps it (its agent is
    /// connected or saying hello now, whatever its stored last_seen says, e.g. an agent whose clock is far behind).
    /// </summary>
    internal Func<long, string, bool>? MachineInUse { get; set; }

    /// <summary>Machines the maintenance pass forgot in the batch being written (told after its commit).</summary>
    private readonly List<(long Id, string Name)> _forgotten = [];

    /// <summary>
    /// Queues the removal of machine <paramref name="machineId"/> and its history, without waiting for room in the queue
    /// (the caller holds the fleet's lock, so a hello for the same name is queued after it). Null when the queue is full.
    /// The task completes once the removal is committed.
    /// </summary>
    internal Task? TryForget(long machineId)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(new ForgetWork(machineId, done)) ? done.Task : null;
    }

    /// <summary>Deletes one machine's rows and drops what the writer holds of it in memory.</summary>
    private void Forget(long machineId)
    {
        // Row ids may be given again (SQLite reuses the highest freed one): nothing kept in memory may outlive its rows.
        using (var boots = _write.CreateCommand())
        {
            boots.CommandText = "SELECT id FROM boots WHERE machine_id = @m";
            boots.Parameters.AddWithValue("@m", machineId);
            using var r = boots.ExecuteReader();
            while (r.Read()) _poisoned.Remove(r.GetInt64(0));
        }
        using (var del = _write.CreateCommand())
        {
            del.CommandText = """
                DELETE FROM samples WHERE machine_id = @m;
                DELETE FROM rollup_1m WHERE machine_id = @m;
                DELETE FROM connections WHERE machine_id = @m;
                DELETE FROM boots WHERE machine_id = @m;
                DELETE FROM machines WHERE id = @m;
                """;
            del.Parameters.AddWithValue("@m", machineId);
            del.ExecuteNonQuery();
        }
        _dirtyLatest.Remove(machineId);
        _dirtyMinutes.RemoveWhere(d => d.Machine == machineId);
        _committed.RemoveAll(c => c.Machine == machineId);
        _recent?.Remove(machineId);
    }

    /// <summary>
    /// Machines last heard of (last sample or hello; first seen when they never sent one) before the roll-ups' retention:
    /// nothing of their history is left, so they are forgotten, unless <see cref="MachineInUse"/> says an agent holds the
    /// name now. A hello that comes after the check is queued after this pass and makes a new machine.
    /// </summary>
    private void ForgetSilentMachines(long now)
    {
        var gone = new List<(long Id, string Name)>();
        using (var find = _write.CreateCommand())
        {
            find.CommandText = "SELECT id, name FROM machines WHERE coalesce(last_seen, first_seen, 0) < @before";
            find.Parameters.AddWithValue("@before", now - (long)_options.RollupRetention.TotalMilliseconds);
            using var r = find.ExecuteReader();
            while (r.Read()) gone.Add((r.GetInt64(0), r.GetString(1)));
        }
        if (MachineInUse is { } inUse) gone.RemoveAll(g => inUse(g.Id, g.Name));
        foreach (var (id, _) in gone)
        {
            Forget(id);
        }
        if (gone.Count > 0)
        {
            _forgotten.AddRange(gone);
            _log($"store: forgot {gone.Count} machine(s) silent for over {Durations.Format(_options.RollupRetention)}: {string.Join(", ", gone.Select(g => g.Name).Take(20))}{(gone.Count > 20 ? ", …" : "")}");
        }
    }

    /// <summary>How many rows of each table belong to machine <paramref name="machineId"/> (tests and diagnostics).</summary>
    internal Dictionary<string, long> CountRows(long machineId)
    {
        using var c = OpenRead();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (table, column) in new[] { ("machines", "id"), ("samples", "machine_id"), ("rollup_1m", "machine_id"), ("boots", "machine_id"), ("connections", "machine_id") })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM {table} WHERE {column} = @m";
            cmd.Parameters.AddWithValue("@m", machineId);
            counts[table] = (long)cmd.ExecuteScalar()!;
        }
        return counts;
    }
}
