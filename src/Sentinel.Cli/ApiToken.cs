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

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
