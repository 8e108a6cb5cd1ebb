namespace Sentinel.Master.Storage;

/// <summary>The SQLite schema. Samples keep the headline figures as columns (the full sample is kept only as a
/// machine's latest), so a day of 1 s samples costs about 10 MB per machine instead of 150.</summary>
internal static class Schema
{
    public const int Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS machines (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            host_id TEXT,
            agent_version TEXT,
            inventory TEXT,
            tags TEXT,
            interval REAL,
            first_seen INTEGER,
            last_seen INTEGER,
            latest TEXT);
        CREATE TABLE IF NOT EXISTS boots (
            id INTEGER PRIMARY KEY,
            machine_id INTEGER NOT NULL,
            boot_id TEXT NOT NULL,
            started INTEGER NOT NULL,
            max_seq INTEGER NOT NULL DEFAULT 0,
            UNIQUE (machine_id, boot_id));
        CREATE TABLE IF NOT EXISTS samples (
            machine_id INTEGER NOT NULL,
            boot INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            t INTEGER NOT NULL,
            interval REAL,
            cpu REAL, mem REAL, mem_used REAL, disk_max REAL, disk_read REAL, disk_write REAL,
            net_rx REAL, net_tx REAL, gpu_util REAL, gpu_mem REAL, gpu_temp REAL, gpu_power REAL, load1 REAL,
            PRIMARY KEY (machine_id, boot, seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS samples_by_time ON samples (machine_id, t);
        CREATE INDEX IF NOT EXISTS samples_t ON samples (t);
        CREATE TABLE IF NOT EXISTS rollup_1m (
            machine_id INTEGER NOT NULL,
            t INTEGER NOT NULL,
            n INTEGER NOT NULL,
            cpu REAL, cpu_max REAL, mem REAL, mem_used REAL, disk_max REAL, disk_read REAL, disk_write REAL,
            net_rx REAL, net_tx REAL, gpu_util REAL, gpu_mem REAL, gpu_temp REAL, gpu_power REAL, load1 REAL,
            PRIMARY KEY (machine_id, t)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS rollup_t ON rollup_1m (t);
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            created INTEGER NOT NULL,
            benchmark TEXT NOT NULL,
            state TEXT NOT NULL,
            json TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
        CREATE TABLE IF NOT EXISTS results (
            job_id TEXT NOT NULL,
            machine TEXT NOT NULL,
            benchmark TEXT NOT NULL,
            state TEXT NOT NULL,
            started INTEGER,
            finished INTEGER,
            json TEXT NOT NULL,
            PRIMARY KEY (job_id, machine)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS results_finished ON results (finished);
        CREATE TABLE IF NOT EXISTS connections (
            machine_id INTEGER NOT NULL,
            t INTEGER NOT NULL,
            event TEXT NOT NULL,
            remote TEXT,
            detail TEXT);
        CREATE INDEX IF NOT EXISTS connections_by_time ON connections (machine_id, t);
        CREATE TABLE IF NOT EXISTS users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            salt BLOB NOT NULL,
            hash BLOB NOT NULL,
            iterations INTEGER NOT NULL,
            created INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS tokens (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            role TEXT,
            hash BLOB NOT NULL UNIQUE,
            created INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY,
            t INTEGER NOT NULL,
            who TEXT NOT NULL,
            role TEXT,
            remote TEXT,
            action TEXT NOT NULL,
            ref TEXT,
            machines TEXT NOT NULL,
            command TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT,
            results TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS audit_t ON audit (t);
        CREATE INDEX IF NOT EXISTS audit_ref ON audit (ref);
        CREATE TABLE IF NOT EXISTS alert_rules (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            json TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY,
            rule_id TEXT NOT NULL,
            machine TEXT NOT NULL,
            state TEXT NOT NULL,
            fired INTEGER NOT NULL,
            resolved INTEGER,
            json TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS alerts_open ON alerts (resolved);
        CREATE INDEX IF NOT EXISTS alerts_fired ON alerts (fired);
        """;

    /// <summary>The headline columns, in insert order after (machine_id, boot, seq, t, interval).</summary>
    public const string MetricColumns = "cpu, mem, mem_used, disk_max, disk_read, disk_write, net_rx, net_tx, gpu_util, gpu_mem, gpu_temp, gpu_power, load1";
}
