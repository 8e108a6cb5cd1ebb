namespace Sentinel.Master.Auth;

/// <summary>
/// Every route and the role it needs. The table is the single source: the master enforces <see cref="Needs"/>,
/// docs/security.md lists <see cref="All"/>, and a test walks all of them with every kind of caller.
/// </summary>
internal static class Routes
{
    /// <summary>A route: method (WS for a WebSocket upgrade), path pattern, role needed, what it is.</summary>
    public sealed record Route(string Method, string Path, Role Needs, string What);

    public static readonly Route[] All =
    [
        new("GET", "/", Role.None, "the live page, its scripts and plotly.js (fixed files; the page asks for a login)"),
        new("GET", "/api/auth", Role.None, "whether a login is needed, and who is signed in"),
        new("POST", "/api/login", Role.None, "sign in: {\"user\",\"password\"} → a session (cookie and token)"),
        new("POST", "/api/logout", Role.None, "end the session"),
        new("GET", "/api/status", Role.Viewer, "health and counters"),
        new("GET", "/api/machines", Role.Viewer, "machines"),
        new("GET", "/api/machines/{name}", Role.Viewer, "one machine"),
        new("GET", "/api/machines/{name}/metrics", Role.Viewer, "a machine's history"),
        new("GET", "/api/machines/{name}/connections", Role.Viewer, "a machine's connection history"),
        new("DELETE", "/api/machines/{name}", Role.Admin, "forget an offline machine: its samples, roll-ups and connection history (benchmark results, alerts and the audit log stay; audited)"),
        new("GET", "/api/fleet/history", Role.Viewer, "every machine's figures on one grid"),
        new("GET", "/api/benchmarks", Role.Viewer, "the benchmark catalog"),
        new("GET", "/api/jobs", Role.Viewer, "benchmark jobs"),
        new("GET", "/api/jobs/{id}", Role.Viewer, "one job"),
        new("GET", "/api/results", Role.Viewer, "benchmark results"),
        new("POST", "/api/jobs", Role.Operator, "start a benchmark job (the Command benchmark needs admin)"),
        new("POST", "/api/jobs/{id}/cancel", Role.Operator, "cancel a job"),
        new("POST", "/api/commands", Role.Admin, "run a command line on machines (each agent's allow-list decides; audited, refused or not)"),
        new("GET", "/api/commands/{id}", Role.Admin, "a command's output so far (?since=SEQ for what is new), state and exit codes"),
        new("POST", "/api/commands/{id}/cancel", Role.Admin, "stop a command where it still runs"),
        new("GET", "/api/audit", Role.Admin, "the audit log: who ran what on which machines, and how it ended"),
        new("GET", "/api/alerts", Role.Viewer, "alerts open now and recently resolved"),
        new("GET", "/api/alerts/{id}", Role.Viewer, "one alert"),
        new("POST", "/api/alerts/{id}/acknowledge", Role.Operator, "acknowledge an alert (it stays open until it resolves)"),
        new("POST", "/api/alerts/{id}/silence", Role.Operator, "silence an alert until a time (no actions, not counted as firing)"),
        new("GET", "/api/alerts/rules", Role.Viewer, "alert rules"),
        new("GET", "/api/alerts/rules/{id}", Role.Viewer, "one alert rule"),
        new("POST", "/api/alerts/rules", Role.Admin, "add an alert rule"),
        new("PUT", "/api/alerts/rules/{id}", Role.Admin, "change an alert rule"),
        new("DELETE", "/api/alerts/rules/{id}", Role.Admin, "remove an alert rule"),
        new("GET", "/api/users", Role.Admin, "users"),
        new("POST", "/api/users", Role.Admin, "add a user or change one's password and role"),
        new("DELETE", "/api/users/{name}", Role.Admin, "remove a user"),
        new("GET", "/api/tokens", Role.Admin, "API and agent tokens (never their secrets)"),
        new("POST", "/api/tokens", Role.Admin, "make a token; its secret is in the answer only"),
        new("DELETE", "/api/tokens/{id}", Role.Admin, "revoke a token"),
        new("GET", "/metrics", Role.Viewer, "Prometheus text format (docs/prometheus.md); open to anyone with --metrics-open"),
        new("WS", "/ws", Role.Viewer, "the live stream for viewers"),
        new("WS", "/ws/agent", Role.None, "agents: the agent token goes in the hello"),
        new("WS", "/ws/net", Role.None, "the Network benchmark: the agent token as a bearer token"),
    ];

    /// <summary>
    /// The role a request needs. Unknown API paths need a viewer (so a 404 tells nothing to strangers).
    /// <paramref name="metricsOpen"/> (the master's --metrics-open) lets anyone read /metrics.
    /// </summary>
    public static Role Needs(string method, string[] parts, bool webSocket, bool metricsOpen = false)
    {
        if (webSocket)
        {
            return parts is ["ws"] ? Role.Viewer : parts is ["ws", "agent"] or ["ws", "net"] ? Role.None : Role.Viewer;
        }
        return parts switch
        {
            ["metrics"] => metricsOpen ? Role.None : Role.Viewer,
            [] or [not "api", ..] => Role.None,
            ["api", "auth"] or ["api", "login"] or ["api", "logout"] => Role.None,
            ["api", "users", ..] or ["api", "tokens", ..] or ["api", "commands", ..] or ["api", "audit", ..] => Role.Admin,
            ["api", "alerts", "rules", ..] when method is not ("GET" or "HEAD") => Role.Admin,
            ["api", "machines", ..] when method is "DELETE" => Role.Admin,
            _ when method is "GET" or "HEAD" => Role.Viewer,
            _ => Role.Operator,
        };
    }
}
