using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sentinel.Commands;
using Sentinel.Json;

namespace Sentinel.Master.Storage;

/// <summary>
/// Who asked to run what on which machines, and how it ended: every request to run a command (POST /api/commands,
/// the Command benchmark), allowed or refused, in the master's database (table audit). Written at once on its own
/// connection, not through the sample writer's queue, so an entry is on disk before the request is answered.
/// </summary>
internal sealed class AuditLog(string databasePath, TimeProvider time, Action<string> log)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 }.ToString();
    private readonly object _lock = new();

    /// <summary>Adds an entry and returns its id (0 when it could not be written; that is logged).</summary>
    public long Add(Auth.Principal who, string? remote, string action, string? reference, IReadOnlyList<string> machines, string command,
        string outcome, string? detail, List<AuditOutcome> results)
    {
        try
        {
            lock (_lock)
            {
                using var c = Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = """
                    INSERT INTO audit (t, who, role, remote, action, ref, machines, command, outcome, detail, results)
                    VALUES (@t, @who, @role, @remote, @action, @ref, @machines, @command, @outcome, @detail, @results);
                    SELECT last_insert_rowid();
                    """;
                cmd.Parameters.AddWithValue("@t", time.GetUtcNow().ToUnixTimeMilliseconds());
                cmd.Parameters.AddWithValue("@who", who.Name);
                cmd.Parameters.AddWithValue("@role", Auth.RoleNames.Of(who.Role));
                cmd.Parameters.AddWithValue("@remote", (object?)remote ?? DBNull.Value);
                cmd.Parameters.AddWithValue("@action", action);
                cmd.Parameters.AddWithValue("@ref", (object?)reference ?? DBNull.Value);
                cmd.Parameters.AddWithValue("@machines", JsonSerializer.Serialize(machines.ToList(), SentinelJsonContext.Default.ListString));
                cmd.Parameters.AddWithValue("@command", command);
                cmd.Parameters.AddWithValue("@outcome", outcome);
                cmd.Parameters.AddWithValue("@detail", (object?)detail ?? DBNull.Value);
                cmd.Parameters.AddWithValue("@results", JsonSerializer.Serialize(results, SentinelJsonContext.Default.ListAuditOutcome));
                return (long)cmd.ExecuteScalar()!;
            }
        }
        catch (SqliteException e)
        {
            log($"audit: could not record {action} '{command}' by {who.Name}: {e.Message}");
            return 0;
        }
    }

    /// <summary>Replaces an entry's per-machine outcomes (as parts end).</summary>
    public void SetResults(long id, List<AuditOutcome> results)
    {
        if (id == 0) return;
        try
        {
            lock (_lock)
            {
                using var c = Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "UPDATE audit SET results = @results WHERE id = @id";
                cmd.Parameters.AddWithValue("@id", id);
                cmd.Parameters.AddWithValue("@results", JsonSerializer.Serialize(results, SentinelJsonContext.Default.ListAuditOutcome));
                cmd.ExecuteNonQuery();
            }
        }
        catch (SqliteException e)
        {
            log($"audit: could not record the outcome of entry {id}: {e.Message}");
        }
    }

    /// <summary>
    /// At start-up: outcomes a previous master left pending can no longer arrive (its runs and jobs were in its memory),
    /// so they become failed, saying why. Returns how many entries changed.
    /// </summary>
    public int CloseDangling()
    {
        var changed = new List<(long Id, List<AuditOutcome> Results)>();
        lock (_lock)
        {
            using var c = Open();
            using var read = c.CreateCommand();
            read.CommandText = "SELECT id, results FROM audit WHERE results LIKE '%\"pending\"%'";
            using var r = read.ExecuteReader();
            while (r.Read())
            {
                var results = JsonSerializer.Deserialize(r.GetString(1), SentinelJsonContext.Default.ListAuditOutcome) ?? [];
                if (!results.Any(o => o.Outcome == "pending")) continue;
                foreach (var o in results.Where(o => o.Outcome == "pending"))
                {
                    o.Outcome = "failed";
                    o.Detail = "the master restarted before it ended";
                }
                changed.Add((r.GetInt64(0), results));
            }
        }
        foreach (var (id, results) in changed) SetResults(id, results);
        return changed.Count;
    }

    /// <summary>Entries newest first, filtered by time, user (exact) and machine (exact).</summary>
    public List<AuditEntry> Query(AuditQuery query)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        var where = new List<string>();
        if (query.Since is { } since)
        {
            where.Add("t >= @since");
            cmd.Parameters.AddWithValue("@since", since.ToUnixTimeMilliseconds());
        }
        if (query.User is { Length: > 0 } user)
        {
            where.Add("who = @who");
            cmd.Parameters.AddWithValue("@who", user);
        }
        if (query.Machine is { Length: > 0 } machine)
        {
            where.Add("EXISTS (SELECT 1 FROM json_each(audit.machines) WHERE value = @machine)");
            cmd.Parameters.AddWithValue("@machine", machine);
        }
        cmd.CommandText = "SELECT id, t, who, role, remote, action, ref, machines, command, outcome, detail, results FROM audit" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC LIMIT @n";
        cmd.Parameters.AddWithValue("@n", Math.Clamp(query.Limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var list = new List<AuditEntry>();
        while (r.Read())
        {
            list.Add(new AuditEntry
            {
                Id = r.GetInt64(0),
                Time = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
                User = r.GetString(2),
                Role = r.IsDBNull(3) ? null : r.GetString(3),
                Remote = r.IsDBNull(4) ? null : r.GetString(4),
                Action = r.GetString(5),
                Ref = r.IsDBNull(6) ? null : r.GetString(6),
                Machines = JsonSerializer.Deserialize(r.GetString(7), SentinelJsonContext.Default.ListString) ?? [],
                Command = r.GetString(8),
                Outcome = r.GetString(9),
                Detail = r.IsDBNull(10) ? null : r.GetString(10),
                Results = JsonSerializer.Deserialize(r.GetString(11), SentinelJsonContext.Default.ListAuditOutcome) ?? [],
            });
        }
        return list;
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }
}
