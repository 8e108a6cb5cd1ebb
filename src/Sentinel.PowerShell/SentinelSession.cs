using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Sentinel.Fleet;

namespace Sentinel.PowerShell;

/// <summary>
/// The one registry of Sentinel state in a PowerShell session: which fleet the cmdlets talk to.
/// Kept per runspace, so two runspaces in one process (jobs, tests) do not share a connection.
/// </summary>
internal sealed class SentinelSession
{
    private static readonly ConditionalWeakTable<Runspace, SentinelSession> s_sessions = new();
    private static readonly List<WeakReference<SentinelSession>> s_all = [];
    private LocalFleet? _local;

    /// <summary>Masters started in this session.</summary>
    public List<SentinelMasterInstance> Masters { get; } = [];

    /// <summary>Agents started in this session.</summary>
    public List<SentinelAgentInstance> Agents { get; } = [];

    /// <summary>The master the session is connected to, or null for the local machine.</summary>
    public RemoteFleet? Connected { get; private set; }

    public void Connect(RemoteFleet fleet)
    {
        Connected?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Connected = fleet;
    }

    public void Disconnect()
    {
        Connected?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Connected = null;
    }

    /// <summary>The session of the runspace the calling cmdlet runs in.</summary>
    public static SentinelSession Current
    {
        get
        {
            var runspace = Runspace.DefaultRunspace ?? throw new InvalidOperationException("Sentinel cmdlets must run in a PowerShell runspace.");
            return s_sessions.GetValue(runspace, _ =>
            {
                var session = new SentinelSession();
                lock (s_all)
                {
                    s_all.Add(new WeakReference<SentinelSession>(session));
                }
                return session;
            });
        }
    }

    /// <summary>The fleet the cmdlets act on: the local machine until a master is connected.</summary>
    public IFleet Fleet => Connected is { } master ? master : Local;

    /// <summary>This machine, in-process, whether or not a master is connected (a benchmark with no machines runs here).</summary>
    public LocalFleet Local => _local ??= new LocalFleet();

    /// <summary>Releases what every session holds (Remove-Module).</summary>
    public static void DisposeAll()
    {
        lock (s_all)
        {
            foreach (var weak in s_all)
            {
                if (weak.TryGetTarget(out var s))
                {
                    foreach (var a in s.Agents) a.Agent.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    foreach (var m in s.Masters) m.Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    s.Agents.Clear();
                    s.Masters.Clear();
                    s.Disconnect();
                    s._local?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    s._local = null;
                }
            }
            s_all.Clear();
        }
    }
}
