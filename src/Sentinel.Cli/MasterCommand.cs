using System.CommandLine;
using Sentinel.Master;
using Sentinel.Master.Http;
using Sentinel.Master.Storage;

namespace Sentinel.Cli;

/// <summary><c>sentinel master --listen ADDR:PORT --data DIR [--agent-token T] [--tls-cert FILE --tls-key FILE | --tls-pfx FILE] [--require-login] [--metrics-open] [--admin-password-file F] [--alert-hold-off 30s] [--allow-alert-commands] [--viewer-timeout 30s]
/// [--raw-retention 2d] [--rollup-retention 35d] [--audit-retention 365d] [--alert-retention 90d] [--recent-history 630]</c>.</summary>
internal static class MasterCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Address and port to serve agents, viewers and the API on.", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var data = new Option<string>("--data") { Description = "Folder for the SQLite database.", DefaultValueFactory = _ => SentinelPaths.DefaultDataPath() };
        var token = new Option<string?>("--agent-token") { Description = "Agents must present this token (sentinel agent --token)." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "Serve HTTPS and WSS with this PEM certificate (its chain may follow it in the file); needs --tls-key. Agents then use --master https://HOST:PORT. See docs/tls.md." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert (unencrypted; keep it readable only by the master's user)." };
        var tlsPfx = new Option<string?>("--tls-pfx") { Description = "Serve HTTPS and WSS with this PKCS#12 file (.pfx/.p12: certificate and key), instead of --tls-cert/--tls-key." };
        var tlsPfxPassword = new Option<string?>("--tls-pfx-password-file") { Description = "A file whose first line is the --tls-pfx password." };
        var requireLogin = new Option<bool>("--require-login") { Description = "Ask for a login on the page and the API even on loopback (beyond loopback one is always needed)." };
        var metricsOpen = new Option<bool>("--metrics-open") { Description = "Let anyone who can reach the master read /metrics (Prometheus) without a token. Otherwise it needs a viewer, e.g. an API token in the scrape config; see docs/prometheus.md." };
        var adminPassword = new Option<string?>("--admin-password-file") { Description = "A file whose first line is the password of the 'admin' user made at the first start that needs a login; otherwise a random one is printed once." };
        var viewerTimeout = new Option<string>("--viewer-timeout") { Description = "A live-page viewer whose connection takes nothing for this long (it stopped reading) is closed: 1s to 1h.", DefaultValueFactory = _ => "30s" };
        var holdOff = new Option<string>("--alert-hold-off") { Description = "After a start, alerts wait this long before firing, so reconnecting agents do not all raise alerts at once (0 for none).", DefaultValueFactory = _ => "30s" };
        var allowAlertCommands = new Option<bool>("--allow-alert-commands") { Description = "Let alert rules run a program on the master (program and arguments, never a shell; see docs/alerts.md)." };
        var defaults = new StoreOptions();
        var rawRetention = new Option<string>("--raw-retention") { Description = "Raw samples (one per agent interval) are kept this long: 1h to 3660d. About 10 MB per agent per day at a 1 s interval; see docs/sizing.md.", DefaultValueFactory = _ => Durations.Format(defaults.RawRetention) };
        var rollupRetention = new Option<string>("--rollup-retention") { Description = "One-minute roll-ups, and agents' connection history, are kept this long, and a machine offline for longer is forgotten: 1h to 3660d, and no shorter than --raw-retention.", DefaultValueFactory = _ => Durations.Format(defaults.RollupRetention) };
        var auditRetention = new Option<string>("--audit-retention") { Description = "Audit-log entries (who ran which command where) are kept this long: 1h to 3660d, or 0 to keep them for good.", DefaultValueFactory = _ => Durations.Format(defaults.AuditRetention) };
        var alertRetention = new Option<string>("--alert-retention") { Description = "Resolved alerts are kept this long after they resolved (open ones always stay): 1h to 3660d, or 0 to keep them for good.", DefaultValueFactory = _ => Durations.Format(defaults.AlertRetention) };
        var recentHistory = new Option<string>("--recent-history") { Description = $"Seconds of every machine's recent figures kept in memory for the live page's first load (56 bytes per machine per second): 0 (off: read from the database) to {StoreOptions.MaxRecentSeconds}; see docs/sizing.md.", DefaultValueFactory = _ => defaults.RecentSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var command = new Command("master", "Run a master: agents connect to it, it stores their samples and serves the API and the live page (open its address in a browser). Stops cleanly on Ctrl+C or SIGTERM.");
        command.Options.Add(listen);
        command.Options.Add(data);
        command.Options.Add(token);
        foreach (var o in new Option[] { tlsCert, tlsKey, tlsPfx, tlsPfxPassword, requireLogin, metricsOpen, adminPassword, viewerTimeout, holdOff, allowAlertCommands,
            rawRetention, rollupRetention, auditRetention, alertRetention, recentHistory })
        {
            command.Options.Add(o);
        }
        command.SetAction(async (parse, outer) =>
        {
            using var signals = Signals.Watch(outer);
            var ct = signals.Token;
            try
            {
                var endpoint = CliParse.Endpoint("--listen", parse.GetValue(listen)!);
                var viewerSendTimeout = CliParse.Duration("--viewer-timeout", parse.GetValue(viewerTimeout)!);
                if (viewerSendTimeout < TimeSpan.FromSeconds(1) || viewerSendTimeout > TimeSpan.FromHours(1))
                {
                    throw new CliException($"--viewer-timeout: {parse.GetValue(viewerTimeout)} is outside 1s to 1h");
                }
                var store = Store(parse.GetValue(rawRetention)!, parse.GetValue(rollupRetention)!, parse.GetValue(auditRetention)!,
                    parse.GetValue(alertRetention)!, parse.GetValue(recentHistory)!);
                var certificate = Certificate(parse.GetValue(tlsCert), parse.GetValue(tlsKey), parse.GetValue(tlsPfx), parse.GetValue(tlsPfxPassword));
                await using var master = MasterServer.Start(new MasterOptions
                {
                    Address = endpoint.Address,
                    Port = endpoint.Port,
                    DataPath = Path.GetFullPath(parse.GetValue(data)!),
                    AgentToken = parse.GetValue(token),
                    Log = ConsoleLog.Line,
                    Certificate = certificate,
                    RequireLogin = parse.GetValue(requireLogin),
                    MetricsOpen = parse.GetValue(metricsOpen),
                    InitialAdminPassword = AdminPassword(parse.GetValue(adminPassword)),
                    ViewerSendTimeout = viewerSendTimeout,
                    AlertHoldOff = parse.GetValue(holdOff) is "0" or "0s" ? TimeSpan.Zero : CliParse.Duration("--alert-hold-off", parse.GetValue(holdOff)!),
                    AllowAlertCommands = parse.GetValue(allowAlertCommands),
                    Store = store,
                });
                // Beyond loopback (or with --agent-token) agents are refused without a token: say so, or the line copied fails.
                bool needsToken = parse.GetValue(token) is not null || !System.Net.IPAddress.IsLoopback(endpoint.Address);
                ConsoleLog.Line($"agents: sentinel agent --master {master.Url.ToString().TrimEnd('/')}" + (needsToken ? " --token AGENT-TOKEN" : ""));
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    ConsoleLog.Line("stopping");
                }
                return 0;
            }
            catch (Exception e) when (e is CliException or MasterStartException)
            {
                Console.Error.WriteLine("sentinel master: " + e.Message);
                return e is CliException ? 2 : 1;
            }
        });
        return command;
    }

    /// <summary>The store's retention and memory options; the ranges are the store's own (<see cref="StoreOptions.Problems"/>).</summary>
    internal static StoreOptions Store(string raw, string rollup, string audit, string alerts, string recent)
    {
        var recentTime = CliParse.DurationOrZero("--recent-history", recent);
        if (recentTime.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new CliException($"--recent-history: '{recent}' is not a whole number of seconds");
        }
        var options = new StoreOptions
        {
            RawRetention = CliParse.Duration("--raw-retention", raw),
            RollupRetention = CliParse.Duration("--rollup-retention", rollup),
            AuditRetention = CliParse.DurationOrZero("--audit-retention", audit),
            AlertRetention = CliParse.DurationOrZero("--alert-retention", alerts),
            RecentSeconds = (int)Math.Min(int.MaxValue, recentTime.TotalSeconds),
        };
        if (options.Problems().FirstOrDefault() is { } problem)
        {
            var option = problem.Property switch
            {
                nameof(StoreOptions.RawRetention) => "--raw-retention",
                nameof(StoreOptions.RollupRetention) => "--rollup-retention",
                nameof(StoreOptions.AuditRetention) => "--audit-retention",
                nameof(StoreOptions.AlertRetention) => "--alert-retention",
                nameof(StoreOptions.RecentSeconds) => "--recent-history",
                _ => problem.Property,
            };
            throw new CliException($"{option}: {problem.Message}");
        }
        return options;
    }

    private static string? AdminPassword(string? file)
    {
        if (file is null) return null;
        string? line;
        try
        {
            line = File.ReadLines(file).FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--admin-password-file: cannot read {file}: {e.Message}");
        }
        if (line is null || line.Trim().Length < 12)
            throw new CliException($"--admin-password-file: the first line of {file} must be a password of at least 12 characters");
        return line.Trim();
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate(string? cert, string? key, string? pfx, string? passwordFile)
    {
        if (pfx is not null && (cert is not null || key is not null))
            throw new CliException("--tls-pfx: give either --tls-pfx or --tls-cert with --tls-key, not both");
        if (passwordFile is not null && pfx is null)
            throw new CliException("--tls-pfx-password-file: it is the password of --tls-pfx, which is not given");
        if ((cert is null) != (key is null))
            throw new CliException(cert is null ? "--tls-key: needs --tls-cert (the certificate it belongs to)" : "--tls-cert: needs --tls-key (its private key)");
        try
        {
            if (pfx is not null)
            {
                string? password = null;
                if (passwordFile is not null)
                {
                    try
                    {
                        password = File.ReadLines(passwordFile).FirstOrDefault() ?? "";
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new CliException($"--tls-pfx-password-file: cannot read '{passwordFile}': {e.Message}");
                    }
                }
                return ServerCertificate.FromPfx(pfx, password);
            }
            return cert is null ? null : ServerCertificate.FromPem(cert, key!);
        }
        catch (CertificateLoadException e)
        {
            throw new CliException((pfx is not null ? "--tls-pfx: " : "--tls-cert/--tls-key: ") + e.Message);
        }
    }
}
