using System.CommandLine;

namespace Sentinel.Cli;

/// <summary>--token for commands that talk to a master's API (run, report): an API token, or a session token from POST /api/login.</summary>
internal static class ApiToken
{
    public const string Variable = "SENTINEL_TOKEN";

    public static readonly Option<string?> Option = new("--token")
    {
        Description = $"An API token (made by an admin: POST /api/tokens) for a master that needs a login; default: ${Variable}. Sent only over https:// or to loopback unless --allow-insecure.",
    };

    public static string? From(ParseResult parse) => From(parse.GetValue(Option));

    public static string? From(string? given) => string.IsNullOrEmpty(given) ? NullIfEmpty(Environment.GetEnvironmentVariable(Variable)) : given;

    /// <summary>The message for a refused request: the master's own "sign in first" speaks of HTTP; here the user needs --token.</summary>
    public static string Explain(Sentinel.Fleet.FleetException e, string? token) => e.Code switch
    {
        "unauthorized" when token is null =>
            $"the master needs a login: give an API token with --token TOKEN or in ${Variable} (an admin makes one: POST /api/tokens; see docs/security.md)",
        "unauthorized" =>
            $"the master did not accept the token (--token or ${Variable}): is it mistyped, revoked or expired? An admin makes a new one with POST /api/tokens (docs/security.md)",
        _ => e.Message,
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
