using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sentinel.Master.Http;

/// <summary>The master's TLS certificate could not be loaded; the message names the file and the problem.</summary>
public sealed class CertificateLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Loads a server certificate with its private key from PEM or PFX files.</summary>
public static class ServerCertificate
{
    /// <summary>A PEM certificate (its chain may follow it in the same file) and a PEM private key (PKCS#8, RSA or EC;
    /// not encrypted). The key may be in the certificate's file: pass the same path twice.</summary>
    public static X509Certificate2 FromPem(string certificatePath, string keyPath)
    {
        Readable(certificatePath, "certificate");
        Readable(keyPath, "key");
        X509Certificate2 pem;
        try
        {
            pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // A key that is not the certificate's is an ArgumentException; unreadable PEM a CryptographicException.
            throw new CertificateLoadException(Explain(certificatePath, keyPath, e), e);
        }
        return Usable(pem, certificatePath);
    }

    /// <summary>A PKCS#12 (.pfx, .p12) file holding the certificate and its key, with its password (null or empty for none).</summary>
    public static X509Certificate2 FromPfx(string path, string? password)
    {
        Readable(path, "PFX");
        try
        {
            // Loaded once from the file; the key lives in memory only (nothing written to a user key store).
#pragma warning disable SYSLIB0057 // X509CertificateLoader is .NET 9+; this assembly targets .NET 8 for PowerShell 7.4
            var cert = new X509Certificate2(path, password, X509KeyStorageFlags.EphemeralKeySet);
#pragma warning restore SYSLIB0057
            return Usable(cert, path);
        }
        catch (CryptographicException e)
        {
            throw new CertificateLoadException($"cannot load the PFX file '{path}': {e.Message} (a wrong password, or not a PKCS#12 file?)", e);
        }
    }

    private static void Readable(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new CertificateLoadException($"the TLS {what} file '{path}' does not exist");
        }
        try
        {
            using var _ = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException($"cannot read the TLS {what} file '{path}': {e.Message}", e);
        }
    }

    private static string Explain(string certificatePath, string keyPath, Exception e)
    {
        var text = File.ReadAllText(certificatePath);
        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            return $"'{certificatePath}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
        var key = File.ReadAllText(keyPath);
        if (key.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal) || key.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            return $"the key in '{keyPath}' is encrypted; give an unencrypted one (openssl pkey -in {keyPath} -out key.pem), readable only by the master's user";
        if (!key.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            return $"'{keyPath}' holds no PEM private key (-----BEGIN PRIVATE KEY-----)";
        return e is ArgumentException
            ? $"the key in '{keyPath}' does not belong to the certificate in '{certificatePath}'"
            : $"cannot load '{certificatePath}' with the key '{keyPath}': {e.Message}";
    }

    private static X509Certificate2 Usable(X509Certificate2 cert, string path)
    {
        if (!cert.HasPrivateKey)
        {
            cert.Dispose();
            throw new CertificateLoadException($"'{path}' holds a certificate without its private key");
        }
        var now = DateTime.Now;
        if (now > cert.NotAfter)
        {
            var subject = cert.Subject;
            var after = cert.NotAfter;
            cert.Dispose();
            throw new CertificateLoadException($"the certificate in '{path}' ({subject}) expired on {after:yyyy-MM-dd}");
        }
        // On Linux a PEM-loaded key works for TLS as it is; on Windows SChannel needs it exported and reimported.
        if (OperatingSystem.IsWindows())
        {
#pragma warning disable SYSLIB0057
            var reloaded = new X509Certificate2(cert.Export(X509ContentType.Pfx));
#pragma warning restore SYSLIB0057
            cert.Dispose();
            return reloaded;
        }
        return cert;
    }
}
