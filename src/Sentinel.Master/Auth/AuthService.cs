using System.Collections.Concurrent;
using System.Net;
using Microsoft.Data.Sqlite;
using Sentinel.Master.Http;
using Sentinel.Master.Storage;

namespace Sentinel.Master.Auth;

/// <summary>A user as the API lists it (never the password).</summary>
public sealed class UserInfo
{
    public required string Name { get; init; }
    public required string Role { get; init; }
    public DateTimeOffset Created { get; init; }
}

/// <summary>A token as the API lists it: its id and what it is for, never the secret (shown once, at creation).</summary>
public sealed class TokenInfo
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>"api" (scripts: Authorization: Bearer) or "agent" (an agent's hello).</summary>
    public required string Kind { get; init; }
    /// <summary>For api tokens: viewer, operator or admin.</summary>
    public string? Role { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>The secret, only in the answer that created it.</summary>
    public string? Secret { get; init; }
}

/// <summary>
/// Who may do what on a master. Users (salted PBKDF2 passwords) and tokens (stored as SHA-256) live in the
/// master's database; sessions live in memory (a restart signs everyone out). Bound to loopback without
/// users, the master runs open; bound anywhere else, the page and the API need a login and agents a token.
/// </summary>
internal sealed class AuthService
{
    public const string SessionCookie = "sentinel_session";
    public const string CsrfHeader = "X-Sentinel-Request";
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly string? _optionToken;
    private readonly ConcurrentDictionary<string, (Principal Who, DateTimeOffset Expires)> _sessions = new(StringComparer.Ordinal);
    // Token hash (hex) → what it grants. Reloaded from the database on every change.
    private volatile Dictionary<string, (string Id, string Kind, Principal Who)> _tokens = new(StringComparer.Ordinal);
    private volatile bool _hasUsers;

    public Throttle Failures { get; }

    /// <summary>The page and the API need a login (anything but an open loopback master).</summary>
    public bool LoginRequired { get; private set; }

    /// <summary>Agents must present a token: --agent-token, or a stored agent token.</summary>
    public bool AgentTokenRequired => _optionToken is not null || _tokens.Values.Any(t => t.Kind == "agent");

    private AuthService(string databasePath, TimeProvider time, string? optionToken)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 }.ToString();
        _time = time;
        _optionToken = optionToken;
        Failures = new Throttle(time);
        Reload();
    }

    /// <summary>
    /// Opens the users and tokens of <paramref name="store"/>'s database and applies the start-up rule: a master
    /// bound beyond loopback gets an agent token and an admin user if it has none, each printed once to
    /// <paramref name="log"/>.
    /// </summary>
    public static AuthService Open(SampleStore store, MasterOptions options, TimeProvider time, Action<string> log)
    {
        var auth = new AuthService(store.DatabasePath, time, options.AgentToken);
        bool loopback = IPAddress.IsLoopback(options.Address);
        if (!loopback && !auth.AgentTokenRequired)
        {
            var token = auth.CreateToken("generated at first start", "agent", null);
            var scheme = options.Certificate is null ? "http" : "https";
            log($"agents need a token on {options.Address}; one was made and is shown only now: sentinel agent --master {scheme}://HOST:PORT --token {token.Secret}" +
                (options.Certificate is null ? " --allow-insecure (a token over http:// beyond loopback is clear text: serve TLS with --tls-cert, see docs/tls.md)" : ""));
        }
        bool loginRequired = !loopback || auth._hasUsers || options.RequireLogin;
        if (loginRequired && !auth._hasUsers)
        {
            var password = options.InitialAdminPassword ?? Secrets.NewPassword();
            auth.AddUser("admin", password, Role.Admin);
            log(options.InitialAdminPassword is null
                ? $"the page and the API need a login; user 'admin' was made with the password {password} (shown only now; change it with POST /api/users)"
                : "the page and the API need a login; user 'admin' was made with the given password");
        }
        auth.LoginRequired = loginRequired;
        return auth;
    }

    // ---------------------------------------------------------------------------------------------
    // Who is calling

    /// <summary>The caller of <paramref name="request"/>: a session (cookie or bearer), an API token, or anonymous.</summary>
    public Principal Authenticate(HttpRequest request)
    {
        if (!LoginRequired) return Principal.Open;
        if (request.Header("Authorization") is { } authorization && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var secret = authorization[7..].Trim();
            return Session(secret, "bearer") ?? ApiToken(secret) ?? Principal.Anonymous;
        }
        if (CookieValue(request.Header("Cookie"), SessionCookie) is { } cookie)
        {
            return Session(cookie, "cookie") ?? Principal.Anonymous;
        }
        return Principal.Anonymous;
    }

    /// <summary>True when <paramref name="token"/> lets an agent in (constant-time against --agent-token; stored tokens by hash).</summary>
    public bool AgentTokenValid(string? token)
    {
        if (token is null) return false;
        if (_optionToken is not null && Secrets.Matches(token, _optionToken)) return true;
        return _tokens.TryGetValue(Convert.ToHexString(Secrets.TokenHash(token)), out var t) && t.Kind == "agent";
    }

    private Principal? Session(string secret, string via)
    {
        var key = Convert.ToHexString(Secrets.TokenHash(secret));
        if (!_sessions.TryGetValue(key, out var s)) return null;
        if (s.Expires <= _time.GetUtcNow())
        {
            _sessions.TryRemove(key, out _);
            return null;
        }
        return s.Who with { Via = via };
    }

    private Principal? ApiToken(string secret)
        => _tokens.TryGetValue(Convert.ToHexString(Secrets.TokenHash(secret)), out var t) && t.Kind == "api" ? t.Who : null;

    internal static string? CookieValue(string? header, string name)
    {
        if (header is null) return null;
        foreach (var part in header.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Trim() == name) return part[(eq + 1)..].Trim();
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Sessions

    /// <summary>A new session for <paramref name="name"/> when the password is right; null otherwise.</summary>
    public (string Secret, Principal Who, DateTimeOffset Expires)? Login(string name, string password)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT role, salt, hash, iterations FROM users WHERE name = @n";
        cmd.Parameters.AddWithValue("@n", name);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            // The same work as a real check, so a missing user cannot be told from a wrong password by timing.
            Secrets.VerifyPassword(password, new byte[16], new byte[32], Secrets.Iterations);
            return null;
        }
        if (!RoleNames.TryParse(r.GetString(0), out var role) || !Secrets.VerifyPassword(password, (byte[])r[1], (byte[])r[2], r.GetInt32(3)))
        {
            return null;
        }
        var secret = Secrets.NewToken("sts_");
        var who = new Principal(name, role, "session");
        var expires = _time.GetUtcNow() + SessionLifetime;
        _sessions[Convert.ToHexString(Secrets.TokenHash(secret))] = (who, expires);
        return (secret, who, expires);
    }

    public void Logout(string? secret)
    {
        if (secret is not null) _sessions.TryRemove(Convert.ToHexString(Secrets.TokenHash(secret)), out _);
    }

    // ---------------------------------------------------------------------------------------------
    // Users and tokens

    public List<UserInfo> Users()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name, role, created FROM users ORDER BY name";
        using var r = cmd.ExecuteReader();
        var list = new List<UserInfo>();
        while (r.Read()) list.Add(new UserInfo { Name = r.GetString(0), Role = r.GetString(1), Created = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)) });
        return list;
    }

    /// <summary>Adds or replaces a user (a new password and role); their sessions end.</summary>
    public void AddUser(string name, string password, Role role)
    {
        var (salt, hash) = Secrets.HashPassword(password);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO users (name, role, salt, hash, iterations, created) VALUES (@n, @r, @s, @h, @i, @c)
            ON CONFLICT (name) DO UPDATE SET role = excluded.role, salt = excluded.salt, hash = excluded.hash, iterations = excluded.iterations
            """;
        cmd.Parameters.AddWithValue("@n", name);
        cmd.Parameters.AddWithValue("@r", RoleNames.Of(role));
        cmd.Parameters.AddWithValue("@s", salt);
        cmd.Parameters.AddWithValue("@h", hash);
        cmd.Parameters.AddWithValue("@i", Secrets.Iterations);
        cmd.Parameters.AddWithValue("@c", _time.GetUtcNow().ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
        EndSessionsOf(name);
        Reload();
    }

    public bool RemoveUser(string name)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM users WHERE name = @n";
        cmd.Parameters.AddWithValue("@n", name);
        bool removed = cmd.ExecuteNonQuery() > 0;
        EndSessionsOf(name);
        Reload();
        return removed;
    }

    public List<TokenInfo> Tokens()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, kind, role, created FROM tokens ORDER BY created";
        using var r = cmd.ExecuteReader();
        var list = new List<TokenInfo>();
        while (r.Read())
        {
            list.Add(new TokenInfo
            {
                Id = r.GetString(0), Name = r.GetString(1), Kind = r.GetString(2), Role = r.IsDBNull(3) ? null : r.GetString(3),
                Created = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)),
            });
        }
        return list;
    }

    /// <summary>Makes a token: "api" with a role (scripts), or "agent" (hellos). The secret is in the answer and nowhere else.</summary>
    public TokenInfo CreateToken(string name, string kind, Role? role)
    {
        var secret = Secrets.NewToken(kind == "agent" ? "sta_" : "stk_");
        var id = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var created = _time.GetUtcNow();
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO tokens (id, name, kind, role, hash, created) VALUES (@id, @n, @k, @r, @h, @c)";
        cmd.Parameters.AddWithValue("@id", id);
        cmd.Parameters.AddWithValue("@n", name);
        cmd.Parameters.AddWithValue("@k", kind);
        cmd.Parameters.AddWithValue("@r", role is { } r ? RoleNames.Of(r) : DBNull.Value);
        cmd.Parameters.AddWithValue("@h", Secrets.TokenHash(secret));
        cmd.Parameters.AddWithValue("@c", created.ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
        Reload();
        return new TokenInfo { Id = id, Name = name, Kind = kind, Role = role is { } rr ? RoleNames.Of(rr) : null, Created = created, Secret = secret };
    }

    public bool RevokeToken(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM tokens WHERE id = @id";
        cmd.Parameters.AddWithValue("@id", id);
        bool removed = cmd.ExecuteNonQuery() > 0;
        Reload();
        return removed;
    }

    private void EndSessionsOf(string name)
    {
        foreach (var (key, s) in _sessions)
        {
            if (s.Who.Name == name) _sessions.TryRemove(key, out _);
        }
    }

    private void Reload()
    {
        using var c = Open();
        var tokens = new Dictionary<string, (string, string, Principal)>(StringComparer.Ordinal);
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT id, name, kind, role, hash FROM tokens";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var kind = r.GetString(2);
                RoleNames.TryParse(r.IsDBNull(3) ? null : r.GetString(3), out var role);
                tokens[Convert.ToHexString((byte[])r[4])] = (r.GetString(0), kind, new Principal("token " + r.GetString(1), kind == "api" ? role : Role.None, "token"));
            }
        }
        _tokens = tokens;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT count(*) FROM users";
            _hasUsers = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }
}

/// <summary>
/// Failed logins and bad agent tokens per address: after 5 in a minute, each further answer from that address
/// waits a second more (at most 10 s), so guessing is slow while one mistake costs nothing.
/// </summary>
internal sealed class Throttle(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    public void Fail(IPAddress? address)
    {
        if (address is null) return;
        var q = _failures.GetOrAdd(address.ToString(), _ => new Queue<DateTimeOffset>());
        lock (q)
        {
            q.Enqueue(time.GetUtcNow());
            while (q.Count > 100) q.Dequeue();
        }
        if (_failures.Count > 10_000) _failures.Clear(); // bounded: a flood of addresses forgets, it does not grow
    }

    /// <summary>How long to wait before answering <paramref name="address"/>.</summary>
    public TimeSpan Delay(IPAddress? address)
    {
        if (address is null || !_failures.TryGetValue(address.ToString(), out var q)) return TimeSpan.Zero;
        var since = time.GetUtcNow() - TimeSpan.FromMinutes(1);
        int recent;
        lock (q)
        {
            while (q.Count > 0 && q.Peek() < since) q.Dequeue();
            recent = q.Count;
        }
        return recent < 5 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(10, recent - 4));
    }
}
