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

        // Plain text works too, as with every token parameter; a wrong token is refused as such.
        using var plain = new ModuleSession();
        Assert.Equal(_url, plain.Invoke($"Connect-SentinelMaster {_url} -Token '{secret}'")[0].Properties["Url"].Value);
        Assert.Empty(plain.InvokeWithErrors("Get-SentinelBenchmarkResult").Errors);
        using var wrong = new ModuleSession();
        Assert.NotEmpty(wrong.InvokeWithErrors($"Connect-SentinelMaster {_url} -Token 'stk_wrong'").Errors);
        var notText = wrong.InvokeWithErrors($"Connect-SentinelMaster {_url} -Token @(1, 2)").Errors;
        Assert.Contains("A token is text or a SecureString", Assert.Single(notText).ToString());
    }

    [Fact]
    public void Every_token_parameter_is_a_SecureString_that_takes_text_too()
    {
        using var ps = new ModuleSession();
        foreach (var (command, parameter) in new[] { ("Start-SentinelMaster", "AgentToken"), ("Start-SentinelAgent", "Token"), ("Connect-SentinelMaster", "Token") })
        {
            Assert.Equal("System.Security.SecureString", ps.Invoke($"(Get-Command {command}).Parameters['{parameter}'].ParameterType.FullName")[0].ToString());
        }
        var data = Directory.CreateTempSubdirectory("sentinel-ps-token-").FullName;
        try
        {
            // A master given its agent token as text; one agent with it as a SecureString, one with the wrong text.
            ps.Invoke($"$global:m = Start-SentinelMaster -Port 0 -DataPath '{data}' -AgentToken 'sta_agent-token-for-ps'");
            ps.Invoke("""
                Start-SentinelAgent -Master $m.Url -Name token-good -Interval 1s -Token ([System.Net.NetworkCredential]::new('', 'sta_agent-token-for-ps').SecurePassword)
                $global:bad = Start-SentinelAgent -Master $m.Url -Name token-bad -Interval 1s -Token 'sta_wrong'
                """);
            LocalBenchmarkTests.WaitFor(() => ps.InvokeWithErrors("Get-SentinelMachine -Name token-good -Status Online").Output.Count == 1, "the agent with the right token did not come online", seconds: 30);
            LocalBenchmarkTests.WaitFor(() => ps.Invoke("$bad.Log").Any(l => l.ToString()!.Contains("token", StringComparison.OrdinalIgnoreCase)), "the agent with the wrong token was not told so", seconds: 30);
            Assert.Empty(ps.InvokeWithErrors("Get-SentinelMachine -Name token-bad").Output);
        }
        finally
        {
            try { ps.Invoke("Stop-SentinelAgent; Stop-SentinelMaster"); } catch (Xunit.Sdk.XunitException) { }
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }
}
