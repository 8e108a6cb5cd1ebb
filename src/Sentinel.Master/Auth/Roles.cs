namespace Sentinel.Master.Auth;

/// <summary>What a caller may do. Each role includes the ones before it.</summary>
public enum Role
{
    /// <summary>Not signed in: the page's files, login, and whether login is needed.</summary>
    None = 0,
    /// <summary>Read everything: machines, metrics, jobs, results, the live stream.</summary>
    Viewer = 1,
    /// <summary>Also start and cancel benchmark jobs (not the Command benchmark).</summary>
    Operator = 2,
    /// <summary>Also the Command benchmark (a program on every machine), users and tokens.</summary>
    Admin = 3,
}

/// <summary>Who is calling: a user (by password or session), an API token, or anyone when the master runs open.</summary>
public sealed record Principal(string Name, Role Role, string Via)
{
    public static readonly Principal Anonymous = new("anonymous", Role.None, "none");

    /// <summary>Everyone, when the master runs open (bound to loopback without users).</summary>
    public static readonly Principal Open = new("local", Role.Admin, "open");
}

internal static class RoleNames
{
    public static string Of(Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out Role role)
    {
        role = text?.ToLowerInvariant() switch
        {
            "viewer" => Role.Viewer,
            "operator" => Role.Operator,
            "admin" => Role.Admin,
            _ => Role.None,
        };
        return role != Role.None;
    }
}
