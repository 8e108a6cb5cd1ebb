using System.Net;
using Microsoft.Playwright;
using Sentinel.Master;

namespace Sentinel.Browser.Tests;

/// <summary>A master that needs a login, in the browser: the page asks for one, refuses a wrong password, and works after a right one.</summary>
public sealed class LoginPageTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task The_page_asks_for_a_login_refuses_a_wrong_password_and_shows_the_fleet_after_a_right_one()
    {
        var data = Directory.CreateTempSubdirectory("sentinel-login-").FullName;
        try
        {
            await using var master = MasterServer.Start(new MasterOptions
            {
                Address = IPAddress.Loopback, Port = 0, DataPath = data, RequireLogin = true, InitialAdminPassword = "right-password-123",
            });
            await using var w = await chromium.NewPageAsync();
            await w.Page.GotoAsync(master.Url.ToString());
            var form = w.Page.Locator("#login");
            await form.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 15000 });
            // Nothing of the fleet is asked for before the login: the live stream has not been opened.
            Assert.Equal("connecting", (await w.Page.TextContentAsync("#conn"))!.Trim());

            await w.Page.FillAsync("#login-user", "admin");
            await w.Page.FillAsync("#login-password", "wrong");
            await w.Page.ClickAsync("#login-submit");
            await w.Page.Locator("#login-error").Filter(new LocatorFilterOptions { HasTextString = "wrong user name or password" })
                .WaitForAsync(new LocatorWaitForOptions { Timeout = 15000 });
            await w.ScreenshotAsync("login-refused");

            await w.Page.FillAsync("#login-password", "right-password-123");
            await w.Page.ClickAsync("#login-submit");
            await w.Page.Locator("#who").Filter(new LocatorFilterOptions { HasTextString = "admin (admin)" })
                .WaitForAsync(new LocatorWaitForOptions { Timeout = 20000 });
            Assert.False(await form.IsVisibleAsync());
            await w.Page.Locator("#conn").Filter(new LocatorFilterOptions { HasTextString = "live" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 20000 });
            // The session is an HttpOnly cookie: the page's script cannot read it.
            Assert.DoesNotContain("sentinel_session", await w.Page.EvaluateAsync<string>("document.cookie"));
            await w.ScreenshotAsync("login-done");

            await w.Page.ClickAsync("#logout");
            await form.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 15000 });
            Assert.DoesNotContain(w.Errors, e => !e.Contains("401")); // the refused login is logged by the browser as a 401
            Assert.Empty(w.Dialogs);
        }
        finally
        {
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }
}
