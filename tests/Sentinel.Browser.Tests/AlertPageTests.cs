using System.Net.Http.Json;
using System.Text;
using Microsoft.Playwright;
using Sentinel.Json;
using Sentinel.Master;
using Xunit.Abstractions;

namespace Sentinel.Browser.Tests;

/// <summary>The live page's alerts panel against a real master and agents: an alert appears as it fires and is acknowledged from the page.</summary>
public sealed class AlertPageTests(Chromium chromium, ITestOutputHelper output) : IClassFixture<Chromium>
{
    private const float Wait = 30_000;

    [Fact]
    public async Task An_alert_appears_on_the_page_as_it_fires_and_is_acknowledged_from_it()
    {
        await using var fleet = await LiveFleet.StartAsync(["alpha", "bravo"], options: o => o with { AlertHoldOff = TimeSpan.Zero });
        await using var w = await chromium.NewPageAsync();
        await w.Page.GotoAsync(fleet.Url.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = Wait });
        await w.Page.Locator("#conn").Filter(new LocatorFilterOptions { HasTextString = "live" }).WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
        Assert.Equal(0, await w.Page.Locator("#alerts-body tr.firing").CountAsync());
        Assert.Equal("0", (await w.Page.TextContentAsync("#stat-alerts .v"))!.Trim());

        // A rule the simulated memory (20 to 40% used) is always past, on alpha only: it fires on alpha's next sample.
        using var http = new HttpClient();
        var rule = new HttpRequestMessage(HttpMethod.Post, new Uri(fleet.Url, "api/alerts/rules"))
        {
            Content = new StringContent("""{"id":"mem-test","name":"Memory above 5%","metric":"memory","threshold":5,"machines":"alpha","severity":"critical"}""", Encoding.UTF8, "application/json"),
            Headers = { { "X-Sentinel-Request", "1" } },
        };
        Assert.True((await http.SendAsync(rule)).IsSuccessStatusCode);

        var row = w.Page.Locator("#alerts-body tr[data-rule='mem-test'][data-machine='alpha']");
        await w.Page.Locator("#alerts-body tr.firing[data-rule='mem-test']").WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
        Assert.Equal("firing", (await row.Locator(".astate").TextContentAsync())!.Trim());
        Assert.Equal("Memory above 5%", (await row.Locator("td").Nth(3).TextContentAsync())!.Trim());
        Assert.EndsWith("%", (await row.Locator("td.num").TextContentAsync())!.Trim());
        Assert.Equal(0, await w.Page.Locator("#alerts-body tr[data-machine='bravo']").CountAsync());
        await w.Page.WaitForFunctionAsync("() => document.querySelector('#stat-alerts .v').textContent === '1'", null, new PageWaitForFunctionOptions { Timeout = Wait });
        output.WriteLine("screenshot: " + await w.ScreenshotAsync("alert-firing"));

        await row.Locator("button.ack").ClickAsync();
        await w.Page.Locator("#alerts-body tr.acknowledged[data-rule='mem-test']").WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
        Assert.Contains("local", await row.Locator("td").Nth(6).TextContentAsync());
        await w.Page.WaitForFunctionAsync("() => document.querySelector('#stat-alerts .v').textContent === '0'", null, new PageWaitForFunctionOptions { Timeout = Wait });
        var stored = await http.GetFromJsonAsync(new Uri(fleet.Url, "api/alerts?state=open"), SentinelJsonContext.Default.ListAlert);
        var alert = Assert.Single(stored!, a => a.RuleId == "mem-test");
        Assert.Equal((AlertState.Acknowledged, "local"), (alert.State, alert.AcknowledgedBy));

        await row.Locator("button.silence").ClickAsync();
        await w.Page.Locator("#alerts-body tr.silenced[data-rule='mem-test']").WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
        output.WriteLine("screenshot: " + await w.ScreenshotAsync("alert-silenced"));
        lock (w.Errors) Assert.True(w.Errors.Count == 0, "page errors:\n" + string.Join("\n", w.Errors));
        Assert.Empty(w.Dialogs);
    }

    [Fact]
    public async Task A_viewer_sees_the_alerts_but_gets_no_buttons_to_acknowledge_or_silence_them()
    {
        // LiveFleet waits for its agents through the API without a login, so this master and agent are made here.
        var data = Directory.CreateTempSubdirectory("sentinel-alert-login-").FullName;
        var fleet = MasterServer.Start(new MasterOptions
        {
            Address = System.Net.IPAddress.Loopback, Port = 0, DataPath = data, AlertHoldOff = TimeSpan.Zero, RequireLogin = true, InitialAdminPassword = "admin-password-123",
        });
        var agent = new Sentinel.Agent.SentinelAgent(new Sentinel.Agent.AgentOptions
        {
            Master = fleet.Url, Name = "alpha", HostId = "host-alpha", Interval = TimeSpan.FromSeconds(1),
            ReconnectBase = TimeSpan.FromMilliseconds(200), ReconnectCap = TimeSpan.FromSeconds(2),
        }, new SimSource("alpha"));
        agent.Start();
        try
        {
            await ViewerSeesNoButtons(fleet);
        }
        finally
        {
            await agent.DisposeAsync();
            await fleet.DisposeAsync();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    private async Task ViewerSeesNoButtons(MasterServer fleet)
    {
        using var http = new HttpClient();
        async Task<HttpResponseMessage> Send(HttpMethod method, string path, string json, string? token = null)
        {
            var request = new HttpRequestMessage(method, new Uri(fleet.Url, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            if (token is null) request.Headers.Add("X-Sentinel-Request", "1");
            else request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return await http.SendAsync(request);
        }
        var login = await Send(HttpMethod.Post, "api/login", """{"user":"admin","password":"admin-password-123"}""");
        var token = System.Text.Json.JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        Assert.True((await Send(HttpMethod.Post, "api/users", """{"name":"watcher","password":"watcher-password-1","role":"viewer"}""", token)).IsSuccessStatusCode);
        Assert.True((await Send(HttpMethod.Post, "api/alerts/rules", """{"id":"mem-test","name":"Memory above 5%","metric":"memory","threshold":5}""", token)).IsSuccessStatusCode);

        await using var w = await chromium.NewPageAsync();
        await w.Page.GotoAsync(fleet.Url.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = Wait });
        await w.Page.FillAsync("#login-user", "watcher");
        await w.Page.FillAsync("#login-password", "watcher-password-1");
        await w.Page.ClickAsync("#login-submit");
        await w.Page.Locator("#who").Filter(new LocatorFilterOptions { HasTextString = "watcher (viewer)" }).WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
        var row = w.Page.Locator("#alerts-body tr.firing[data-rule='mem-test'][data-machine='alpha']");
        await row.WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
        Assert.Equal(0, await row.Locator("button").CountAsync());
        output.WriteLine("screenshot: " + await w.ScreenshotAsync("alert-viewer"));
        // The master is what refuses: a viewer's acknowledge is a 403 whatever the page shows.
        var viewerLogin = await Send(HttpMethod.Post, "api/login", """{"user":"watcher","password":"watcher-password-1"}""");
        var viewerToken = System.Text.Json.JsonDocument.Parse(await viewerLogin.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        var id = await row.GetAttributeAsync("data-id");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, $"api/alerts/{id}/acknowledge", "", viewerToken)).StatusCode);
    }
}
