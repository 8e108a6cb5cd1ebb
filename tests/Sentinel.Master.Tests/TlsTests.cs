using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sentinel.Agent;
using Sentinel.Benchmarks;
using Sentinel.Fleet;
using Sentinel.Master.Http;
using Sentinel.Security;

namespace Sentinel.Master.Tests;

/// <summary>A test CA, a leaf it signed for localhost/127.0.0.1, and certificates that must be refused.</summary>
internal sealed class TestPki
{
    public X509Certificate2 Ca { get; }
    public X509Certificate2 Leaf { get; }
    /// <summary>Another CA, which signed nothing the master serves.</summary>
    public X509Certificate2 OtherCa { get; }
    /// <summary>Signed by <see cref="Ca"/>, but for other.example only.</summary>
    public X509Certificate2 WrongName { get; }
    /// <summary>Self-signed for localhost/127.0.0.1.</summary>
    public X509Certificate2 SelfSigned { get; }

    public static TestPki Instance { get; } = new();

    private TestPki()
    {
        Ca = MakeCa("CN=Sentinel Test CA");
        OtherCa = MakeCa("CN=Some Other CA");
        Leaf = MakeLeaf("CN=localhost", Ca, ["localhost"], [IPAddress.Loopback]);
        WrongName = MakeLeaf("CN=other.example", Ca, ["other.example"], []);
        SelfSigned = MakeLeaf("CN=localhost self-signed", null, ["localhost"], [IPAddress.Loopback]);
    }

    private static X509Certificate2 MakeCa(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 MakeLeaf(string subject, X509Certificate2? issuer, string[] names, IPAddress[] addresses)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names) san.AddDnsName(n);
        foreach (var a in addresses) san.AddIpAddress(a);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        if (issuer is null) return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var cert = req.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));
        return cert.CopyWithPrivateKey(key);
    }

    /// <summary>Writes <paramref name="cert"/> (and its key, when <paramref name="keyPath"/> is given) as PEM.</summary>
    public static string WritePem(X509Certificate2 cert, string path, string? keyPath = null)
    {
        File.WriteAllText(path, cert.ExportCertificatePem() + "\n");
        if (keyPath is not null) File.WriteAllText(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
        return path;
    }

    public static string SpkiSha256Base64(X509Certificate2 cert) => Convert.ToBase64String(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
    public static string CertSha256Hex(X509Certificate2 cert) => string.Join(":", SHA256.HashData(cert.RawData).Select(b => b.ToString("X2")));
}

/// <summary>TLS end to end: a master serving HTTPS/WSS, agents and RemoteFleet checking it, and the clear-text rule.</summary>
public class TlsTests
{
    private static TestPki Pki => TestPki.Instance;

    private static MasterServer StartMaster(string data, X509Certificate2 certificate, ConcurrentQueue<string>? log = null) => MasterServer.Start(new MasterOptions
    {
        Port = 0, DataPath = data, Certificate = certificate, Log = log is null ? null : log.Enqueue,
    });

    private static (SentinelAgent Agent, ConcurrentQueue<string> Log) Agent(Uri master, string name, string? ca = null, string? pin = null, TimeSpan? interval = null)
    {
        var log = new ConcurrentQueue<string>();
        var agent = new SentinelAgent(new AgentOptions
        {
            Master = master, Name = name, HostId = "host-" + name, Interval = interval ?? TimeSpan.FromMilliseconds(200),
            CertificateAuthorityPath = ca, CertificatePin = pin, Log = log.Enqueue,
            ReconnectBase = TimeSpan.FromMilliseconds(100), ReconnectCap = TimeSpan.FromMilliseconds(300),
        }, new FakeSource(name));
        return (agent, log);
    }

    [Fact]
    public async Task Agents_over_wss_with_the_ca_or_a_matching_pin_connect_and_their_samples_are_stored()
    {
        using var dir = new TempDir();
        var ca = TestPki.WritePem(Pki.Ca, Path.Combine(dir.Path, "ca.pem"));
        await using var master = StartMaster(Path.Combine(dir.Path, "data"), Pki.Leaf);
        Assert.Equal("https", master.Url.Scheme);
        var viaCa = Agent(master.Url, "via-ca", ca: ca);
        var viaName = Agent(new Uri($"https://localhost:{master.Url.Port}/"), "via-name", ca: ca);
        var viaSpki = Agent(master.Url, "via-spki", pin: TestPki.SpkiSha256Base64(Pki.Leaf));
        var viaCert = Agent(master.Url, "via-cert", pin: TestPki.CertSha256Hex(Pki.Leaf));
        SentinelAgent[] agents = [viaCa.Agent, viaName.Agent, viaSpki.Agent, viaCert.Agent];
        try
        {
            foreach (var a in agents) a.Start();
            await Wait.Until(() => master.GetMachines().Count(m => m.Latest is not null) == 4 && agents.All(a => a.Status.AckedSeq >= 2),
                TimeSpan.FromSeconds(20), "all four agents' samples are stored");
            Assert.True(master.GetStatus().SamplesStored >= 8);
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_network_benchmark_reaches_a_tls_master_with_its_agents_trust()
    {
        using var dir = new TempDir();
        var ca = TestPki.WritePem(Pki.Ca, Path.Combine(dir.Path, "ca.pem"));
        await using var master = StartMaster(Path.Combine(dir.Path, "data"), Pki.Leaf);
        // 1 s: a 200 ms agent is offline after 0.6 s of silence, which a loaded box can give it while the benchmark runs.
        var (agent, _) = Agent(master.Url, "net-tls", ca: ca, interval: TimeSpan.FromSeconds(1));
        await using (agent)
        {
            agent.Start();
            await Wait.Until(() => agent.Status.Connected, TimeSpan.FromSeconds(15), "the agent is connected");
            await using var fleet = new RemoteFleet(master.Url, trust: new MasterTrust { CertificateAuthorityPath = ca });
            BenchmarkResult? result = null;
            await foreach (var e in fleet.RunBenchmarkAsync("network", new Dictionary<string, string> { ["seconds"] = "0.5", ["pings"] = "5" }, ["net-tls"]))
            {
                result ??= e.Result;
            }
            Assert.NotNull(result);
            Assert.True(result.State == BenchmarkState.Completed, $"{result.State}: {result.Error}");
            Assert.True(result.Values["uploadMbps"] > 0);
        }
    }

    [Theory]
    [InlineData("wrong-ca")]
    [InlineData("wrong-pin")]
    [InlineData("wrong-name")]
    [InlineData("self-signed")]
    [InlineData("system-store")]
    public async Task An_agent_refuses_a_master_it_cannot_trust_says_why_and_sends_nothing(string kind)
    {
        using var dir = new TempDir();
        var ca = TestPki.WritePem(Pki.Ca, Path.Combine(dir.Path, "ca.pem"));
        var otherCa = TestPki.WritePem(Pki.OtherCa, Path.Combine(dir.Path, "other-ca.pem"));
        var (served, agentCa, pin, reason) = kind switch
        {
            "wrong-ca" => (Pki.Leaf, otherCa, (string?)null, "does not chain to the given CA"),
            "wrong-pin" => (Pki.Leaf, null, TestPki.SpkiSha256Base64(Pki.SelfSigned), "does not match the pin"),
            "wrong-name" => (Pki.WrongName, ca, null, "is not for the host name"),
            "self-signed" => (Pki.SelfSigned, ca, null, "does not chain to the given CA"),
            _ => (Pki.Leaf, null, null, "is not trusted by this system"),
        };
        await using var master = StartMaster(Path.Combine(dir.Path, "data"), served);
        var (agent, log) = Agent(master.Url, "refused-" + kind, ca: agentCa, pin: pin);
        await using (agent)
        {
            agent.Start();
            await Wait.Until(() => agent.Status.LastError is not null, TimeSpan.FromSeconds(15), "the agent reports its failure");
            Assert.Contains("the master's certificate was refused: ", agent.Status.LastError);
            Assert.Contains(reason, agent.Status.LastError);
            Assert.Contains(log, l => l.Contains(reason, StringComparison.Ordinal));
            await Task.Delay(500); // a few more reconnects, all refused
            Assert.False(agent.Status.Connected);
            Assert.Equal(0, agent.Status.Connects);
        }
        Assert.Empty(master.GetMachines());
        Assert.Equal(0, master.GetStatus().SamplesStored);
    }

    [Theory]
    [InlineData("http://192.0.2.1:1/")]
    [InlineData("http://login01.example:8080/")]
    [InlineData("http://[2001:db8::1]:8080/")]
    public async Task A_token_is_never_sent_in_clear_text_beyond_loopback_unless_allowed(string url)
    {
        // The constructor refuses: nothing has been started, so nothing was dialled.
        var e = Assert.Throws<ArgumentException>(() => new SentinelAgent(new AgentOptions { Master = new Uri(url), Token = "secret" }, new FakeSource()));
        Assert.Contains("refusing to send a token in clear text", e.Message);
        Assert.Contains("use https://", e.Message);
        Assert.Contains("--allow-insecure", e.Message);

        // Allowed when asked, or without a token.
        await new SentinelAgent(new AgentOptions { Master = new Uri(url), Token = "secret", AllowInsecure = true }, new FakeSource()).DisposeAsync();
        Assert.Null(MasterTrust.Default.ClearTextProblem(new Uri(url), hasSecret: false));
        Assert.Null(new MasterTrust { AllowInsecure = true }.ClearTextProblem(new Uri(url), hasSecret: true));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/")]
    [InlineData("http://127.3.4.5:8080/")]
    [InlineData("http://localhost:8080/")]
    [InlineData("http://[::1]:8080/")]
    [InlineData("https://login01.example:8443/")]
    public void Loopback_or_https_may_carry_a_token(string url)
        => Assert.Null(MasterTrust.Default.ClearTextProblem(new Uri(url), hasSecret: true));

    [Fact]
    public async Task RemoteFleet_refuses_to_send_a_token_in_clear_text_without_connecting()
    {
        var counting = new CountingHandler();
        var client = new HttpClient(counting) { DefaultRequestHeaders = { Authorization = new("Bearer", "secret") } };
        await using var fleet = new RemoteFleet(new Uri("http://192.0.2.1:1"), client);
        var e = await Assert.ThrowsAsync<FleetException>(() => fleet.GetStatusAsync());
        Assert.Equal("InsecureMaster", e.Reason);
        Assert.Contains("--allow-insecure", e.Message);
        Assert.Equal(0, counting.Calls);
    }

    private sealed class CountingHandler : HttpMessageHandler
    {
        public int Calls;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            throw new HttpRequestException("the test's handler was called");
        }
    }

    [Fact]
    public async Task The_rest_api_over_https_through_RemoteFleet_trusts_the_ca_and_refuses_without_it()
    {
        using var dir = new TempDir();
        var ca = TestPki.WritePem(Pki.Ca, Path.Combine(dir.Path, "ca.pem"));
        await using var master = StartMaster(Path.Combine(dir.Path, "data"), Pki.Leaf);
        await using (var fleet = new RemoteFleet(master.Url, trust: new MasterTrust { CertificateAuthorityPath = ca }))
        {
            var status = await fleet.GetStatusAsync();
            Assert.Equal(master.GetStatus().Version, status.Version);
        }
        await using (var pinned = new RemoteFleet(master.Url, trust: new MasterTrust { Pin = TestPki.CertSha256Hex(Pki.Leaf) }))
        {
            await pinned.GetStatusAsync();
        }
        await using (var untrusting = new RemoteFleet(master.Url))
        {
            var e = await Assert.ThrowsAsync<FleetException>(() => untrusting.GetStatusAsync());
            Assert.Equal("MasterUnreachable", e.Reason);
            Assert.Contains("its certificate was refused: ", e.Message);
            Assert.Contains("not trusted by this system", e.Message);
            Assert.Contains("-CertificateAuthority", e.Message); // the PowerShell user is told the parameter, not only the CLI's --ca
        }
        // http:// to the TLS port: the master's own plain-text answer says what to do (not only "400 Bad Request").
        await using (var plain = new RemoteFleet(new Uri($"http://127.0.0.1:{master.Url.Port}/")))
        {
            var e = await Assert.ThrowsAsync<FleetException>(() => plain.GetStatusAsync());
            Assert.Contains("this master speaks HTTPS: use https://", e.Message);
            Assert.Equal("HttpsRequired", e.Reason);
        }
        Assert.Throws<ArgumentException>(() => new RemoteFleet(master.Url, trust: new MasterTrust { CertificateAuthorityPath = Path.Combine(dir.Path, "missing.pem") }));
        Assert.Throws<ArgumentException>(() => new RemoteFleet(master.Url, trust: new MasterTrust { Pin = "abc" }));
    }

    [Fact]
    public async Task Garbage_plain_http_and_silent_clients_on_the_tls_port_do_not_hurt_the_master()
    {
        var log = new ConcurrentQueue<string>();
        await using var server = HttpServer.Start(new IPEndPoint(IPAddress.Loopback, 0),
            (c, ct) => c.RespondAsync(200, "text/plain", "ok"u8.ToArray(), null, ct),
            new HttpServerOptions { Certificate = Pki.Leaf, HeadTimeout = TimeSpan.FromMilliseconds(500) }, log.Enqueue);

        // Plain HTTP to the TLS port: told to use https.
        var plain = await Raw(server.LocalEndPoint, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 400", plain);
        Assert.Contains("use https://", plain);

        // A record that looks like TLS and is not, random bytes, and a half handshake: each closed (at most with a TLS alert).
        Assert.DoesNotContain("HTTP", await Raw(server.LocalEndPoint, [0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
        Assert.DoesNotContain("HTTP", await Raw(server.LocalEndPoint, RandomNumberGenerator.GetBytes(300).Select(b => (byte)(b | 0x80)).ToArray()));
        var watch = Stopwatch.StartNew();
        Assert.Equal("", await Raw(server.LocalEndPoint, [0x16, 0x03, 0x01])); // then silence: cut off at the head timeout
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.3, 4);

        // Still serving, and the failures were logged in one line, not one per connection.
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = new MasterTrust { Pin = TestPki.SpkiSha256Base64(Pki.Leaf) }.CreateCheck().Validate } });
        Assert.Equal("ok", await http.GetStringAsync($"https://127.0.0.1:{server.LocalEndPoint.Port}/"));
        Assert.Single(log, l => l.Contains("TLS handshake", StringComparison.Ordinal));
    }

    private static async Task<string> Raw(IPEndPoint endpoint, byte[] bytes)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(endpoint);
        await s.SendAsync(bytes);
        var all = new MemoryStream();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(5000);
        try
        {
            int n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) all.Write(buffer, 0, n);
        }
        catch (SocketException)
        {
        }
        return Encoding.ASCII.GetString(all.ToArray());
    }
}
