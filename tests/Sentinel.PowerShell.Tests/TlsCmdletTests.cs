using System.Management.Automation;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sentinel.PowerShell.Tests;

/// <summary>Start-SentinelMaster -Certificate, Start-SentinelAgent and Connect-SentinelMaster checking it, and the clear-text rule.</summary>
public class TlsCmdletTests
{
    [Fact]
    public async Task A_master_with_a_certificate_serves_agents_and_connections_that_trust_it_and_refuses_the_rest()
    {
        var dir = Directory.CreateTempSubdirectory("sentinel-ps-tls-").FullName;
        try
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caReq = new CertificateRequest("CN=PS Test CA", caKey, HashAlgorithmName.SHA256);
            caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            req.CertificateExtensions.Add(san.Build());
            using var leaf = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(9), RandomNumberGenerator.GetBytes(8));
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, "cert.pem"), leaf.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
            var pin = Convert.ToBase64String(SHA256.HashData(leaf.PublicKey.ExportSubjectPublicKeyInfo()));

            using var ps = new ModuleSession();
            ps.Invoke($"$cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile('{dir}/cert.pem', '{dir}/key.pem'); " +
                $"$m = Start-SentinelMaster -Port 0 -DataPath '{dir}/data' -Certificate $cert; " +
                $"$a = Start-SentinelAgent $m.Url -Name tls-ps -Interval 0.2 -CertificateAuthority '{dir}/ca.pem'");
            Assert.StartsWith("https://127.0.0.1:", ps.Invoke("$m.Url")[0].ToString());
            var watch = Stopwatch.StartNew();
            while (ps.Invoke("Get-SentinelMachine -Name tls-ps* -Status Online").Count == 0) // through the session's own, pinned, connection
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the agent did not come online over wss");
                await Task.Delay(100);
            }

            var (connected, none) = ps.InvokeWithErrors($"Connect-SentinelMaster -Url $m.Url -CertificatePin '{pin}'");
            Assert.Empty(none);
            Assert.Single(connected);
            var (_, refused) = ps.InvokeWithErrors("Connect-SentinelMaster -Url $m.Url");
            var e = Assert.Single(refused);
            Assert.StartsWith("Sentinel.MasterUnreachable", e.FullyQualifiedErrorId);
            Assert.Contains("certificate was refused", e.ToString());
            Assert.Equal(ErrorCategory.SecurityError, e.CategoryInfo.Category);
            Assert.Contains("-CertificateAuthority", e.ErrorDetails.RecommendedAction); // not "check that the master is running": it is

            // http:// to the TLS port: a connection error that says to use https://, not "check the parameter".
            var (_, plain) = ps.InvokeWithErrors("Connect-SentinelMaster -Url ($m.Url -replace '^https', 'http')");
            var p = Assert.Single(plain);
            Assert.StartsWith("Sentinel.HttpsRequired", p.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ConnectionError, p.CategoryInfo.Category);
            Assert.Contains("speaks HTTPS", p.ToString());
            Assert.StartsWith("Use https://", p.ErrorDetails.RecommendedAction);

            var (_, clear) = ps.InvokeWithErrors("Start-SentinelAgent http://192.0.2.1:1 -Token secret -Name never");
            var c = Assert.Single(clear);
            Assert.StartsWith("Sentinel.InsecureMaster", c.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.SecurityError, c.CategoryInfo.Category);
            Assert.Contains("-AllowInsecure", c.ToString());
            ps.Invoke("Stop-SentinelAgent; Stop-SentinelMaster");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
