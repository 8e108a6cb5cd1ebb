using System.Security.Cryptography;
using System.Text;

namespace Sentinel.Master.Auth;

/// <summary>Passwords as salted PBKDF2-SHA256; tokens as random 256-bit values stored as their SHA-256.</summary>
internal static class Secrets
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int Iterations = 600_000;

    public static (byte[] Salt, byte[] Hash) HashPassword(string password, int iterations = Iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return (salt, Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32));
    }

    public static bool VerifyPassword(string password, byte[] salt, byte[] hash, int iterations)
        => CryptographicOperations.FixedTimeEquals(
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, hash.Length), hash);

    /// <summary>A new secret: <paramref name="prefix"/> and 43 characters of base64url (256 random bits).</summary>
    public static string NewToken(string prefix) => prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A readable random password (20 characters, about 119 bits).</summary>
    public static string NewPassword() => Base64Url(RandomNumberGenerator.GetBytes(15));

    /// <summary>What is stored for a token: its SHA-256 (a token has 256 random bits, so a slow hash adds nothing).</summary>
    public static byte[] TokenHash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Compares a given secret with an expected one in constant time, whatever the lengths.</summary>
    public static bool Matches(string? given, string expected)
        => given is not null && CryptographicOperations.FixedTimeEquals(TokenHash(given), TokenHash(expected));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
