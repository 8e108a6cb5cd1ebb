using System.Text.Json.Serialization;

namespace Sentinel.Master.Auth;

/// <summary>GET /api/auth: whether a login is needed, and who is calling.</summary>
public sealed class AuthStatus
{
    public bool LoginRequired { get; init; }
    public bool Authenticated { get; init; }
    public string? User { get; init; }
    public string? Role { get; init; }
    /// <summary>open, session, cookie, bearer or token.</summary>
    public string? Via { get; init; }
}

/// <summary>POST /api/login.</summary>
public sealed class LoginRequest
{
    public string? User { get; init; }
    public string? Password { get; init; }
}

/// <summary>A session: the token also goes in an HttpOnly cookie for the page; scripts send it as a bearer token.</summary>
public sealed class LoginResponse
{
    public required string Token { get; init; }
    public required string User { get; init; }
    public required string Role { get; init; }
    public DateTimeOffset Expires { get; init; }
}

/// <summary>POST /api/users.</summary>
public sealed class UserRequest
{
    public string? Name { get; init; }
    public string? Password { get; init; }
    public string? Role { get; init; }
}

/// <summary>POST /api/tokens.</summary>
public sealed class TokenRequest
{
    public string? Name { get; init; }
    /// <summary>api (default) or agent.</summary>
    public string? Kind { get; init; }
    /// <summary>For api tokens: viewer, operator or admin.</summary>
    public string? Role { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuthStatus))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(LoginResponse))]
[JsonSerializable(typeof(UserRequest))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenInfo))]
[JsonSerializable(typeof(List<UserInfo>))]
[JsonSerializable(typeof(List<TokenInfo>))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
