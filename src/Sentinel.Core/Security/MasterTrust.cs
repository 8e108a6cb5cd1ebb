using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sentinel.Security;

/// <summary>
/// How a client (agent, RemoteFleet, the Network benchmark) decides whether to trust a master's TLS certificate,
/// and whether it may send a secret over clear text. By default the system's trust store and a matching host name;
/// <see cref="CertificateAuthorityPath"/> trusts one CA bundle instead; <see cref="Pin"/> accepts exactly one key or
/// certificate, whatever its chain and name.
/// </summary>
public sealed record MasterTrust
{
    /// <summary>The system trust store, host name checked, secrets never in clear text beyond loopback.</summary>
    public static MasterTrust Default { get; } = new();

    /// <summary>A PEM file of one or more CA certificates: the master's chain must end at one of them (and only them).
    /// The host name must still match.</summary>
    public string? CertificateAuthorityPath { get; init; }

    /// <summary>SHA-256 of the master's public key (SubjectPublicKeyInfo, as curl's --pinnedpubkey) or of its whole
    /// certificate (as <c>openssl x509 -fingerprint -sha256</c>), hex (colons allowed) or base64. When set, only that
    /// key or certificate is accepted and neither chain nor host name is checked.</summary>
    public string? Pin { get; init; }

    /// <summary>Allow a token to go over http:// (clear text) to a host that is not loopback.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>True when <paramref name="host"/> is 127.0.0.0/8, ::1 or "localhost".</summary>
    public static bool IsLoopback(string host)
    {
        host = host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var a) && IPAddress.IsLoopback(a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a);
    }

    /// <summary>Why a secret must not be sent to <paramref name="master"/>, or null when it may: clear text (http, ws)
    /// to a host that is not loopback, unless <see cref="AllowInsecure"/>.</summary>
    public string? ClearTextProblem(Uri master, bool hasSecret)
    {
        if (!hasSecret || AllowInsecure) return null;
        if (master.Scheme is not ("http" or "ws")) return null;
        if (IsLoopback(master.Host)) return null;
        return $"refusing to send a token in clear text to {master.Host} ({master.GetLeftPart(UriPartial.Authority)}): " +
            "use https:// (a master started with --tls-cert), or --allow-insecure (-AllowInsecure) on a network you trust";
    }

    /// <summary>Checks the settings: the CA file readable and holding certificates, the pin a SHA-256. Throws
    /// <see cref="ArgumentException"/> naming the problem.</summary>
    public MasterCertificateCheck CreateCheck()
    {
        X509Certificate2Collection? roots = null;
        if (CertificateAuthorityPath is { } path)
        {
            roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new ArgumentException($"cannot read the CA file '{path}': {e.Message}", e);
            }
            if (roots.Count == 0)
            {
                throw new ArgumentException($"the CA file '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            }
        }
        byte[]? pin = Pin is { } p ? ParsePin(p) : null;
        return new MasterCertificateCheck(roots, pin);
    }

    /// <summary>A SHA-256 as 64 hex digits (colons or spaces allowed) or 44 base64 characters.</summary>
    public static byte[] ParsePin(string text)
    {
        var t = text.Trim();
        if (t.StartsWith("sha256//", StringComparison.OrdinalIgnoreCase)) t = t[8..];
        else if (t.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) t = t[7..];
        var hex = t.Replace(":", "").Replace(" ", "");
        if (hex.Length == 64 && hex.All(Uri.IsHexDigit))
        {
            return Convert.FromHexString(hex);
        }
        var bytes = new byte[48];
        if (Convert.TryFromBase64String(t, bytes, out int n) && n == 32)
        {
            return bytes[..32];
        }
        throw new ArgumentException($"the pin '{text}' is not a SHA-256 (64 hex digits, or 44 base64 characters)");
    }
}

/// <summary>One client's certificate check, with the reason of its last refusal for the log.</summary>
public sealed class MasterCertificateCheck
{
    private readonly X509Certificate2Collection? _roots;
    private readonly byte[]? _pin;

    internal MasterCertificateCheck(X509Certificate2Collection? roots, byte[]? pin)
    {
        _roots = roots;
        _pin = pin;
    }

    /// <summary>Why the last certificate was refused (null after an accepted one).</summary>
    public string? LastRefusal { get; private set; }

    /// <summary>Forgets the last refusal (before a new connection).</summary>
    public void Reset() => LastRefusal = null;

    /// <summary>For <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> and
    /// <c>ClientWebSocketOptions.RemoteCertificateValidationCallback</c>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        LastRefusal = Refusal(certificate, errors);
        return LastRefusal is null;
    }

    private string? Refusal(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null) return "the master sent no certificate";
        var cert = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (_pin is { } pin)
        {
            var spki = SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo());
            var whole = SHA256.HashData(cert.RawData);
            if (CryptographicOperations.FixedTimeEquals(spki, pin) || CryptographicOperations.FixedTimeEquals(whole, pin)) return null;
            return $"its certificate ({cert.Subject}) does not match the pin: its public key's SHA-256 is {Convert.ToBase64String(spki)} " +
                $"and the certificate's is {Convert.ToHexString(whole)}";
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"its certificate ({cert.Subject}) is not for the host name in the master's URL";
        }
        if (_roots is null)
        {
            return errors == SslPolicyErrors.None ? null
                : $"its certificate ({cert.Subject}, issued by {cert.Issuer}) is not trusted by this system ({errors}); give the CA (--ca, -CertificateAuthority) or pin it (--pin, -CertificatePin)";
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (custom.Build(cert)) return null;
        var why = string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"its certificate ({cert.Subject}, issued by {cert.Issuer}) does not chain to the given CA: {why}";
    }
}
