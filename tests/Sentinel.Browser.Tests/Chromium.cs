using Microsoft.Playwright;

namespace Sentinel.Browser.Tests;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven by Playwright, headless. Playwright's own
/// browser download is never used: this machine has no route to it. A missing browser fails the test with a
/// message saying how to install it, never a skip.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>tests/Sentinel.Browser.Tests/bin/.../artifacts: screenshots kept for a look after the run.</summary>
    public static string ArtifactsFolder
    {
        get
        {
            var dir = Path.Combine(AppContext.BaseDirectory, "artifacts");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: the browser tests need Debian's Chromium (apt-get install chromium; .ci/run installs it).");
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Chromium's background connections are refused on this closed network, many at a time; turn them off.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }

    /// <summary>A fresh page that records console errors, page errors and dialogs (an alert() means injected script ran).</summary>
    public async Task<WatchedPage> NewPageAsync(int width = 1400, int height = 1000, string colorScheme = "light")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = colorScheme == "dark" ? ColorScheme.Dark : ColorScheme.Light,
        });
        var page = await context.NewPageAsync();
        var watched = new WatchedPage(page);
        page.Console += (_, m) => { if (m.Type == "error") lock (watched.Errors) watched.Errors.Add("console: " + m.Text); };
        page.PageError += (_, e) => { lock (watched.Errors) watched.Errors.Add("page error: " + e); };
        page.Dialog += async (_, d) =>
        {
            lock (watched.Dialogs) watched.Dialogs.Add(d.Type + ": " + d.Message);
            await d.DismissAsync();
        };
        return watched;
    }
}

/// <summary>A page and what it said: console errors, uncaught exceptions, dialogs.</summary>
public sealed class WatchedPage(IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;
    public List<string> Errors { get; } = [];
    public List<string> Dialogs { get; } = [];

    /// <summary>Saves a full-page screenshot under <see cref="Chromium.ArtifactsFolder"/> and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(Chromium.ArtifactsFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync();
}
