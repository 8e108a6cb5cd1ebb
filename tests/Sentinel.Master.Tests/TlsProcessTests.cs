using System.Diagnostics;
using Sentinel.Fleet;
using Sentinel.Security;

namespace Sentinel.Master.Tests;

/// <summary>The built `sentinel` program with --tls-cert/--tls-key, --ca and the clear-text rule, as users run it.</summary>
public class TlsProcessTests
{
    private static TestPki Pki => TestPki.Instance;

    [Fact]
    public async Task A_master_with_tls_cert_and_key_serves_an_agent_given_the_ca()
    {
        using var dir = new TempDir();
        var cert = TestPki.WritePem(Pki.Leaf, Path.Combine(dir.Path, "cert.pem"), Path.Combine(dir.Path, "key.pem"));
        var ca = TestPki.WritePem(Pki.Ca, Path.Combine(dir.Path, "ca.pem"));
        int port = Testing.SentinelProgram.FreePort();
        var url = new Uri($"https://127.0.0.1:{port}/");
        using var master = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", Path.Combine(dir.Path, "data"), "--tls-cert", cert, "--tls-key", Path.Combine(dir.Path, "key.pem")]);
        using var agent = new SentinelProcess(["agent", "--master", url.ToString(), "--ca", ca, "--name", "tls-agent", "--interval", "200ms"]);
        using var refused = new SentinelProcess(["agent", "--master", url.ToString(), "--name", "untrusting", "--interval", "200ms"]);
        await using var fleet = new RemoteFleet(url, trust: new MasterTrust { CertificateAuthorityPath = ca });
        try
        {
            await Wait.Until(async () =>
            {
                try { return (await fleet.GetMachinesAsync(new MachineQuery())).Any(m => m.Name == "tls-agent" && m.Latest is not null); }
                catch (FleetException) { return false; }
            }, TimeSpan.FromSeconds(30), "the agent's samples are stored");
            await Wait.Until(() => refused.Output.Contains("certificate was refused", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the agent without --ca says why it cannot connect");
            Assert.Contains("live page at https://127.0.0.1:", master.Output);
            Assert.DoesNotContain((await fleet.GetMachinesAsync(new MachineQuery())), m => m.Name == "untrusting");
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- master ---\n{master.Output}\n--- agent ---\n{agent.Output}\n--- refused ---\n{refused.Output}");
        }
    }

    [Fact]
    public async Task A_master_with_a_pfx_and_its_password_file_serves_https()
    {
        using var dir = new TempDir();
        var pfx = Path.Combine(dir.Path, "master.pfx");
        File.WriteAllBytes(pfx, Pki.Leaf.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "s3cret"));
        File.WriteAllText(Path.Combine(dir.Path, "password"), "s3cret\n");
        File.WriteAllText(Path.Combine(dir.Path, "wrong"), "guess\n");
        int port = Testing.SentinelProgram.FreePort();
        using (var wrong = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", Path.Combine(dir.Path, "data"), "--tls-pfx", pfx, "--tls-pfx-password-file", Path.Combine(dir.Path, "wrong")]))
        {
            Assert.Equal(2, wrong.WaitExit(TimeSpan.FromSeconds(20)));
            Assert.Contains("--tls-pfx: cannot load the PFX file", wrong.Output);
        }
        using var master = new SentinelProcess(["master", "--listen", $"127.0.0.1:{port}", "--data", Path.Combine(dir.Path, "data"), "--tls-pfx", pfx, "--tls-pfx-password-file", Path.Combine(dir.Path, "password")]);
        await using var fleet = new RemoteFleet(new Uri($"https://localhost:{port}/"), trust: new MasterTrust { Pin = TestPki.SpkiSha256Base64(Pki.Leaf) });
        await Wait.Until(async () =>
        {
            try { await fleet.GetStatusAsync(); return true; }
            catch (FleetException) { return false; }
        }, TimeSpan.FromSeconds(20), "the master answers over https:\n" + master.Output);
    }

    [Fact]
    public void Bad_tls_files_and_clear_text_tokens_are_refused_with_a_clear_error()
    {
        using var dir = new TempDir();
        var cert = TestPki.WritePem(Pki.Leaf, Path.Combine(dir.Path, "cert.pem"), Path.Combine(dir.Path, "key.pem"));
        TestPki.WritePem(Pki.SelfSigned, Path.Combine(dir.Path, "other.pem"), Path.Combine(dir.Path, "other-key.pem"));
        string data = Path.Combine(dir.Path, "data");
        (string[] Args, string Error)[] cases =
        [
            (["master", "--listen", "127.0.0.1:0", "--data", data, "--tls-cert", cert, "--tls-key", Path.Combine(dir.Path, "other-key.pem")], "does not belong to the certificate"),
            (["master", "--listen", "127.0.0.1:0", "--data", data, "--tls-cert", Path.Combine(dir.Path, "missing.pem"), "--tls-key", Path.Combine(dir.Path, "key.pem")], "does not exist"),
            (["master", "--listen", "127.0.0.1:0", "--data", data, "--tls-cert", cert], "--tls-cert: needs --tls-key"),
            (["master", "--listen", "127.0.0.1:0", "--data", data, "--tls-cert", Path.Combine(dir.Path, "key.pem"), "--tls-key", Path.Combine(dir.Path, "key.pem")], "holds no PEM certificate"),
            (["agent", "--master", "http://192.0.2.1:1", "--token", "secret"], "refusing to send a token in clear text to 192.0.2.1"),
            (["agent", "--master", "https://127.0.0.1:1", "--ca", Path.Combine(dir.Path, "missing.pem")], "--ca: cannot read the CA file"),
            (["agent", "--master", "https://127.0.0.1:1", "--pin", "not-a-hash"], "--pin: the pin 'not-a-hash' is not a SHA-256"),
        ];
        foreach (var (args, error) in cases)
        {
            using var p = new SentinelProcess(args);
            Assert.Equal(2, p.WaitExit(TimeSpan.FromSeconds(20)));
            Assert.Contains(error, p.Output);
        }
        Assert.False(Directory.Exists(data)); // refused before anything was opened
    }
}
