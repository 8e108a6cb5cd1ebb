using System.Diagnostics;
using System.Net;

namespace Sentinel.PowerShell.Tests;

/// <summary>Connect-SentinelMaster against a real `sentinel master --require-login`: with a credential, with an API token, and without.</summary>
public sealed class AuthCmdletTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("sentinel-ps-auth-").FullName;
    private readonly Process _master;
    private readonly string _url;

    public AuthCmdletTests()
    {
        var port = Sentinel.FreePort();
        _url = $"http://127.0.0.1:{port}";
        var passwordFile = Path.Combine(_data, "admin.txt");
        File.WriteAllText(passwordFile, "admin-password-for-ps\n");
        _master = Process.Start(new ProcessStartInfo(Sentinel.Program,
            $"master --listen 127.0.0.1:{port} --data {Path.Combine(_data, "db")} --require-login --admin-password-file {passwordFile}")
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var http = new HttpClient();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (http.GetAsync(_url + "/api/auth").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException) { }
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the master did not start");
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        try { _master.Kill(); _master.WaitForExit(5000); } catch (InvalidOperationException) { }
        _master.Dispose();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }

    [Fact]
    public void Without_a_login_the_master_says_to_sign_in_and_with_one_the_cmdlets_work()
    {
        using var ps = new ModuleSession();
        var (_, errors) = ps.InvokeWithErrors($"Connect-SentinelMaster {_url}");
        var error = Assert.Single(errors);
        Assert.Contains("sign in", error.ToString());

        (_, errors) = ps.InvokeWithErrors($"Connect-SentinelMaster {_url} -Credential ([pscredential]::new('admin', [System.Net.NetworkCredential]::new('', 'wrong').SecurePassword))");
        Assert.Contains("wrong user name or password", Assert.Single(errors).ToString());

        var connected = ps.Invoke($"Connect-SentinelMaster {_url} -Credential ([pscredential]::new('admin', [System.Net.NetworkCredential]::new('', 'admin-password-for-ps').SecurePassword))");
        Assert.Equal(_url, connected[0].Properties["Url"].Value);
        // The session's cmdlets now go through the login: an empty fleet, no error.
        (_, errors) = ps.InvokeWithErrors("Get-SentinelMachine");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task An_api_token_connects_a_script()
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-Sentinel-Request", "1"); // as the master asks of every request that changes something
        var login = await http.PostAsync(_url + "/api/login", new StringContent("""{"user":"admin","password":"admin-password-for-ps"}""", System.Text.Encoding.UTF8, "application/json"));
        var session = System.Text.Json.JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        var make = new HttpRequestMessage(HttpMethod.Post, _url + "/api/tokens") { Content = new StringContent("""{"name":"nightly","kind":"api","role":"viewer"}""", System.Text.Encoding.UTF8, "application/json") };
        make.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session);
        var made = await http.SendAsync(make);
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var secret = System.Text.Json.JsonDocument.Parse(await made.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString();

        using var ps = new ModuleSession();
        var connected = ps.Invoke($"Connect-SentinelMaster {_url} -Token ([System.Net.NetworkCredential]::new('', '{secret}').SecurePassword)");
        Assert.Equal(_url, connected[0].Properties["Url"].Value);
        var (_, errors) = ps.InvokeWithErrors("Get-SentinelBenchmarkResult");
        Assert.Empty(errors);
    }
}
