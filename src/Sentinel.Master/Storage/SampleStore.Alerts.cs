using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sentinel.Json;
using Sentinel.Master.Alerts;

namespace Sentinel.Master.Storage;

/// <summary>
/// Alert rules (written at once: an admin's change is rare and must be there when the call returns) and alerts
/// (queued to the writer like everything else the live path produces, so evaluation never waits on the disk).
/// </summary>
public sealed partial class SampleStore
{
    private sealed record AlertWork(long Id, string RuleId, string Machine, string State, long Fired, long? Resolved, string Json) : Work;

    /// <summary>The rules in their order. The first call on a new database puts the shipped defaults in (once: deleting them sticks).</summary>
    public List<AlertRule> LoadAlertRules(IReadOnlyList<AlertRule> defaults)
    {
        using var c = OpenRead();
        using (var tx = c.BeginTransaction())
        {
            using var seeded = c.CreateCommand();
            seeded.Transaction = tx;
            seeded.CommandText = "INSERT OR IGNORE INTO meta (key, value) VALUES ('alert_rules_seeded', '1')";
            if (seeded.ExecuteNonQuery() == 1)
            {
                for (int i = 0; i < defaults.Count; i++)
                {
                    WriteRule(c, tx, defaults[i], i);
                }
            }
            tx.Commit();
        }
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM alert_rules ORDER BY position, id";
        using var r = cmd.ExecuteReader();
        var list = new List<AlertRule>();
        while (r.Read())
        {
            if (Parse(r, 0, SentinelJsonContext.Default.AlertRule) is { } rule) list.Add(rule);
        }
        return list;
    }

    /// <summary>Adds or replaces a rule (a new one goes last).</summary>
    public void SaveAlertRule(AlertRule rule)
    {
        using var c = OpenRead();
        using var tx = c.BeginTransaction();
        using var pos = c.CreateCommand();
        pos.Transaction = tx;
        pos.CommandText = "SELECT coalesce((SELECT position FROM alert_rules WHERE id = @id), (SELECT coalesce(max(position), -1) + 1 FROM alert_rules))";
        pos.Parameters.AddWithValue("@id", rule.Id);
        WriteRule(c, tx, rule, Convert.ToInt32(pos.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        tx.Commit();
    }

    public bool DeleteAlertRule(string id)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM alert_rules WHERE id = @id";
        cmd.Parameters.AddWithValue("@id", id);
        return cmd.ExecuteNonQuery() > 0;
    }

    private static void WriteRule(SqliteConnection c, SqliteTransaction tx, AlertRule rule, int position)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO alert_rules (id, position, json) VALUES (@id, @p, @j) ON CONFLICT (id) DO UPDATE SET json = excluded.json";
        cmd.Parameters.AddWithValue("@id", rule.Id);
        cmd.Parameters.AddWithValue("@p", position);
        cmd.Parameters.AddWithValue("@j", JsonSerializer.Serialize(rule, SentinelJsonContext.Default.AlertRule));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Queues an alert as it is now; later saves of the same id replace earlier ones.</summary>
    public void SaveAlert(Alert alert)
    {
        var work = new AlertWork(alert.Id, alert.RuleId, alert.Machine, AlertRules.Camel(alert.State.ToString()), alert.FiredAt.ToUnixTimeMilliseconds(),
            alert.ResolvedAt?.ToUnixTimeMilliseconds(), JsonSerializer.Serialize(alert, SentinelJsonContext.Default.Alert));
        if (!_queue.Writer.TryWrite(work))
        {
            _log($"store: alert {alert.Id} not saved (the write queue is full); it is saved at its next change");
        }
    }

    private static void SaveAlert(SqliteConnection write, AlertWork a)
    {
        using var cmd = write.CreateCommand();
        cmd.CommandText = """
            INSERT INTO alerts (id, rule_id, machine, state, fired, resolved, json) VALUES (@id, @r, @m, @s, @f, @res, @j)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, resolved = excluded.resolved, json = excluded.json
            """;
        cmd.Parameters.AddWithValue("@id", a.Id);
        cmd.Parameters.AddWithValue("@r", a.RuleId);
        cmd.Parameters.AddWithValue("@m", a.Machine);
        cmd.Parameters.AddWithValue("@s", a.State);
        cmd.Parameters.AddWithValue("@f", a.Fired);
        cmd.Parameters.AddWithValue("@res", (object?)a.Resolved ?? DBNull.Value);
        cmd.Parameters.AddWithValue("@j", a.Json);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Alerts not resolved (as the last master left them), and the highest alert id ever given.</summary>
    public (List<Alert> Open, long MaxId) LoadOpenAlerts()
    {
        using var c = OpenRead();
        using var max = c.CreateCommand();
        max.CommandText = "SELECT coalesce(max(id), 0) FROM alerts";
        long maxId = (long)max.ExecuteScalar()!;
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM alerts WHERE resolved IS NULL ORDER BY id";
        using var r = cmd.ExecuteReader();
        var list = new List<Alert>();
        while (r.Read())
        {
            if (Parse(r, 0, SentinelJsonContext.Default.Alert) is { } a) list.Add(a);
        }
        return (list, maxId);
    }

    /// <summary>Alerts resolved since <paramref name="since"/>, newest first.</summary>
    public List<Alert> QueryResolvedAlerts(DateTimeOffset since, string? machine, int limit)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM alerts WHERE resolved IS NOT NULL AND resolved >= @since" + (machine is null ? "" : " AND machine = @m") + " ORDER BY resolved DESC, id DESC LIMIT @n";
        cmd.Parameters.AddWithValue("@since", since.ToUnixTimeMilliseconds());
        if (machine is not null) cmd.Parameters.AddWithValue("@m", machine);
        cmd.Parameters.AddWithValue("@n", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<Alert>();
        while (r.Read())
        {
            if (Parse(r, 0, SentinelJsonContext.Default.Alert) is { } a) list.Add(a);
        }
        return list;
    }

    /// <summary>One alert as last saved, or null.</summary>
    public Alert? LoadAlert(long id)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM alerts WHERE id = @id";
        cmd.Parameters.AddWithValue("@id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Parse(r, 0, SentinelJsonContext.Default.Alert) : null;
    }
}
