using System.Text.Json;
using Microsoft.Data.Sqlite;
using Sentinel.Json;

namespace Sentinel.Master.Storage;

/// <summary>Benchmark jobs and their results: kept with the samples, so a result can be read with the metrics around it.</summary>
public sealed partial class SampleStore
{
    private sealed record JobWork(string Id, long Created, string Benchmark, string State, string Json, List<ResultRow> Results) : Work;

    private sealed record ResultRow(string Machine, string State, long? Started, long? Finished, string Json);

    /// <summary>Queues a job (as it is now, with its finished parts' results) to be written; later saves replace earlier ones.</summary>
    public void SaveJob(BenchmarkJob job)
    {
        var results = job.Parts.Where(p => p.Result is not null).Select(p => new ResultRow(
            p.Machine, p.State.ToString(), p.StartedAt?.ToUnixTimeMilliseconds(), p.FinishedAt?.ToUnixTimeMilliseconds(),
            JsonSerializer.Serialize(p.Result!, SentinelJsonContext.Default.BenchmarkResult))).ToList();
        var work = new JobWork(job.Id, job.CreatedAt.ToUnixTimeMilliseconds(), job.Benchmark, job.State.ToString(),
            JsonSerializer.Serialize(job, SentinelJsonContext.Default.BenchmarkJob), results);
        if (!_queue.Writer.TryWrite(work))
        {
            _log($"store: job {job.Id} not saved (the write queue is full); it is saved at its next change");
        }
    }

    private static void SaveJob(SqliteConnection write, JobWork j)
    {
        using var job = write.CreateCommand();
        job.CommandText = """
            INSERT INTO jobs (id, created, benchmark, state, json) VALUES (@id, @c, @b, @s, @j)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, json = excluded.json
            """;
        job.Parameters.AddWithValue("@id", j.Id);
        job.Parameters.AddWithValue("@c", j.Created);
        job.Parameters.AddWithValue("@b", j.Benchmark);
        job.Parameters.AddWithValue("@s", j.State);
        job.Parameters.AddWithValue("@j", j.Json);
        job.ExecuteNonQuery();
        foreach (var r in j.Results)
        {
            using var result = write.CreateCommand();
            result.CommandText = """
                INSERT INTO results (job_id, machine, benchmark, state, started, finished, json) VALUES (@id, @m, @b, @s, @st, @f, @j)
                ON CONFLICT (job_id, machine) DO UPDATE SET state = excluded.state, started = excluded.started, finished = excluded.finished, json = excluded.json
                """;
            result.Parameters.AddWithValue("@id", j.Id);
            result.Parameters.AddWithValue("@m", r.Machine);
            result.Parameters.AddWithValue("@b", j.Benchmark);
            result.Parameters.AddWithValue("@s", r.State);
            result.Parameters.AddWithValue("@st", (object?)r.Started ?? DBNull.Value);
            result.Parameters.AddWithValue("@f", (object?)r.Finished ?? DBNull.Value);
            result.Parameters.AddWithValue("@j", r.Json);
            result.ExecuteNonQuery();
        }
    }

    /// <summary>The most recent jobs, newest first.</summary>
    public List<BenchmarkJob> LoadJobs(int limit)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM jobs ORDER BY created DESC, id DESC LIMIT @n";
        cmd.Parameters.AddWithValue("@n", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<BenchmarkJob>();
        while (r.Read())
        {
            if (Parse(r, 0, SentinelJsonContext.Default.BenchmarkJob) is { } job) list.Add(job);
        }
        return list;
    }

    /// <summary>One job, or null.</summary>
    public BenchmarkJob? LoadJob(string id)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM jobs WHERE id = @id";
        cmd.Parameters.AddWithValue("@id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Parse(r, 0, SentinelJsonContext.Default.BenchmarkJob) : null;
    }

    /// <summary>Stored results, newest first, filtered by benchmark, machine names (exact) and finish time.</summary>
    public List<BenchmarkResult> QueryResults(string? benchmark, IReadOnlyCollection<string>? machines, DateTimeOffset? since, string? jobId, int limit)
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        var where = new List<string>();
        if (benchmark is not null)
        {
            where.Add("benchmark = @b");
            cmd.Parameters.AddWithValue("@b", benchmark);
        }
        if (jobId is not null)
        {
            where.Add("job_id = @job");
            cmd.Parameters.AddWithValue("@job", jobId);
        }
        if (since is { } s)
        {
            where.Add("finished >= @since");
            cmd.Parameters.AddWithValue("@since", s.ToUnixTimeMilliseconds());
        }
        if (machines is { Count: > 0 })
        {
            var names = machines.Select((m, i) => (Name: m, Param: "@m" + i)).ToList();
            where.Add($"machine IN ({string.Join(", ", names.Select(n => n.Param))})");
            foreach (var (name, param) in names) cmd.Parameters.AddWithValue(param, name);
        }
        cmd.CommandText = "SELECT json FROM results" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") +
            " ORDER BY finished DESC, machine LIMIT @n";
        cmd.Parameters.AddWithValue("@n", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<BenchmarkResult>();
        while (r.Read())
        {
            if (Parse(r, 0, SentinelJsonContext.Default.BenchmarkResult) is { } result) list.Add(result);
        }
        return list;
    }

    /// <summary>The latest completed result of each benchmark on each machine (what /metrics shows after a restart).</summary>
    public List<BenchmarkResult> LatestResults()
    {
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT json FROM results r WHERE state = 'Completed' AND finished = (
                SELECT max(finished) FROM results n WHERE n.machine = r.machine AND n.benchmark = r.benchmark AND n.state = 'Completed')
            """;
        using var r = cmd.ExecuteReader();
        var list = new List<BenchmarkResult>();
        while (r.Read())
        {
            if (Parse(r, 0, SentinelJsonContext.Default.BenchmarkResult) is { } result) list.Add(result);
        }
        return list;
    }
}
