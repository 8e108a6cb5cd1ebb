using Sentinel.Agent;
using Sentinel.Master;

namespace Sentinel.PowerShell;

/// <summary>A master running in this PowerShell session (Start-SentinelMaster). Properties are live.</summary>
public sealed class SentinelMasterInstance
{
    private readonly LogRing _log;

    internal SentinelMasterInstance(MasterServer server, LogRing log)
    {
        Server = server;
        _log = log;
        StartedAt = DateTimeOffset.UtcNow;
    }

    internal MasterServer Server { get; }

    public string Url => Server.Url.ToString().TrimEnd('/');
    public string Address => Server.Options.Address.ToString();
    public int Port => Server.Options.Port;
    public string DataPath => Server.DataPath;
    /// <summary>Whether anyone who reaches the master may read /metrics without a token (-MetricsOpen).</summary>
    public bool MetricsOpen => Server.Options.MetricsOpen;
    /// <summary>How long raw samples are kept (-RawRetention).</summary>
    public TimeSpan RawRetention => Server.Options.Store.RawRetention;
    /// <summary>How long one-minute roll-ups and connection history are kept (-RollupRetention).</summary>
    public TimeSpan RollupRetention => Server.Options.Store.RollupRetention;
    /// <summary>How long audit-log entries are kept; zero: for good (-AuditRetention).</summary>
    public TimeSpan AuditRetention => Server.Options.Store.AuditRetention;
    /// <summary>How long resolved alerts are kept; zero: for good (-AlertRetention).</summary>
    public TimeSpan AlertRetention => Server.Options.Store.AlertRetention;
    /// <summary>How much of every machine's recent figures is kept in memory; zero: none (-RecentHistory).</summary>
    public TimeSpan RecentHistory => TimeSpan.FromSeconds(Server.Options.Store.RecentSeconds);
    public DateTimeOffset StartedAt { get; }
    public string Status { get; internal set; } = "Running";
    public int AgentCount => Status == "Running" ? Server.GetStatus().AgentsConnected : 0;
    public int MachineCount => Status == "Running" ? Server.GetMachines().Count : 0;
    /// <summary>The master's recent log lines.</summary>
    public string[] Log => _log.Lines;

    public override string ToString() => Url;
}

/// <summary>An agent running in this PowerShell session (Start-SentinelAgent). Properties are live.</summary>
public sealed class SentinelAgentInstance
{
    private readonly LogRing _log;

    internal SentinelAgentInstance(SentinelAgent agent, LogRing log)
    {
        Agent = agent;
        _log = log;
    }

    internal SentinelAgent Agent { get; }

    public string Name => Agent.Options.Name;
    public string Master => Agent.Options.Master.ToString().TrimEnd('/');
    public TimeSpan Interval => Agent.Options.Interval;
    public string Status { get; internal set; } = "Running";
    public bool Connected => Agent.Status.Connected;
    public long SamplesTaken => Agent.Status.SamplesTaken;
    public long AckedSeq => Agent.Status.AckedSeq;
    public int Buffered => Agent.Status.Buffered;
    public long Dropped => Agent.Status.Dropped;
    public string? LastError => Agent.Status.LastError;
    public IReadOnlyDictionary<string, string> Tags => Agent.Options.Tags;
    /// <summary>The agent's recent log lines.</summary>
    public string[] Log => _log.Lines;

    public override string ToString() => Name;
}

/// <summary>The session's connection to a master (Connect-SentinelMaster).</summary>
public sealed class SentinelConnection
{
    public required string Url { get; init; }
    public required string Version { get; init; }
    public int MachinesOnline { get; init; }
    public int MachinesOffline { get; init; }
    public int AgentsConnected { get; init; }

    public override string ToString() => Url;
}
