namespace Sentinel.Browser.Tests;

public sealed class ChromiumSmokeTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task The_system_browser_renders_a_page_and_reports_injected_script()
    {
        await using var w = await chromium.NewPageAsync();
        await w.Page.SetContentAsync("<p id=x>hello</p><script>alert('ran')</script>");
        Assert.Equal("hello", await w.Page.InnerTextAsync("#x"));
        // The watcher sees dialogs: the XSS tests rely on it to tell "script ran" from "stayed text".
        Assert.Contains(w.Dialogs, d => d.Contains("ran"));
    }
}
