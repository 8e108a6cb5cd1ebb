using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Sentinel.Master;

namespace Sentinel.Browser.Tests;

/// <summary>The page's "Run command" section, for an admin (a master open on loopback), against real agents.</summary>
public sealed class CommandPageTests(Chromium chromium) : IClassFixture<Chromium>
{
    private const float Wait = 30_000;

    private static Task WaitForAsync(WatchedPage w, string js, object? arg = null, float timeout = Wait)
        => w.Page.WaitForFunctionAsync(js, arg, new PageWaitForFunctionOptions { Timeout = timeout, PollingInterval = 100 });

    private static Task SelectAsync(WatchedPage w, string machine)
        => w.Page.Locator("#machines-body tr").Filter(new LocatorFilterOptions { Has = w.Page.Locator($"td.name button:text-is('{machine}')") })
            .Locator("input[type=checkbox]").CheckAsync();

    [Fact]
    public async Task An_admin_runs_a_command_on_selected_machines_and_sees_each_ones_output_as_it_comes()
    {
        await using var fleet = await LiveFleet.StartAsync([]);
        fleet.AddAgent("gpu-a", TimeSpan.FromSeconds(1), ["sh -c *"]);
        fleet.AddAgent("cpu-c", TimeSpan.FromSeconds(1));
        await fleet.WaitOnlineAsync(2, TimeSpan.FromSeconds(30));
        await using var w = await chromium.NewPageAsync();
        await w.Page.GotoAsync(fleet.Url.ToString(), new PageGotoOptions { Timeout = Wait });
        await WaitForAsync(w, "() => document.querySelectorAll('#machines-body tr').length === 2");
        Assert.True(await w.Page.IsVisibleAsync("#sec-commands"), "the master runs open on loopback: the caller is an admin");
        await SelectAsync(w, "gpu-a");
        await SelectAsync(w, "cpu-c");
        Assert.Equal("(2)", await w.Page.TextContentAsync("#cmd-sel-n"));

        var gate = Path.Combine(Path.GetTempPath(), "sentinel-page-gate-" + Guid.NewGuid().ToString("N"));
        // Markup in the output must come out as text; the loop holds the command until the test has seen the first line.
        var line = $"sh -c 'echo \"<img src=x onerror=alert(1)>first\"; while [ ! -e {gate} ]; do sleep 0.2; done; echo second; echo oops >&2; exit 2'";
        await w.Page.FillAsync("#cmd-line", line);
        await w.Page.FillAsync("#cmd-timeout", "120");

        // The page asks first; dismissed (as the test browser dismisses every dialog), nothing runs.
        await w.Page.ClickAsync("#cmd-run");
        for (var until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until; await Task.Delay(50))
        {
            lock (w.Dialogs) if (w.Dialogs.Count > 0) break;
        }
        lock (w.Dialogs) Assert.Equal($"confirm: Run '{line}' on 2 machines (cpu-c, gpu-a)?", Assert.Single(w.Dialogs));
        Assert.Equal(0, await w.Page.Locator("#cmd-results .cmd-machine").CountAsync());
        using var http = new HttpClient();
        Assert.Equal(0, JsonDocument.Parse(await http.GetStringAsync(new Uri(fleet.Url, "api/audit"))).RootElement.GetArrayLength());

        await w.Page.EvaluateAsync("() => { window.confirm = (m) => { window.__asked = m; return true; }; }");
        await w.Page.ClickAsync("#cmd-run");
        try
        {
            const string a = "#cmd-results .cmd-machine[data-machine='gpu-a']";
            const string c = "#cmd-results .cmd-machine[data-machine='cpu-c']";
            await WaitForAsync(w, $"() => document.querySelector(\"{a} pre\")?.textContent === '<img src=x onerror=alert(1)>first\\n'");
            Assert.Equal("running", await w.Page.TextContentAsync($"{a} .state")); // the first line is shown while the command still runs
            await WaitForAsync(w, $"() => document.querySelector(\"{c} .state\")?.textContent === 'refused'");
            Assert.Contains("--allow-command", await w.Page.TextContentAsync($"{c} .cmd-head"));
            Assert.True(await w.Page.IsVisibleAsync("#cmd-stop"));
            // While nothing happens the page's read is a long-poll the master holds, not a read every half second.
            for (var until = DateTime.UtcNow.AddSeconds(30); fleet.Master.Context.Commands.Waiting == 0; await Task.Delay(50))
            {
                Assert.True(DateTime.UtcNow < until, "the page's read of the running command is never held by the master (no ?wait=)");
            }

            File.WriteAllText(gate, "");
            await WaitForAsync(w, $"() => document.querySelector(\"{a} .state\")?.textContent === 'completed'");
            // stdout and stderr are read apart, so where "oops" lands among stdout's lines is up to the pipes: each stream is checked on its own.
            Assert.Equal("<img src=x onerror=alert(1)>first\nsecond\n", await w.Page.EvaluateAsync<string>(
                $"() => Array.from(document.querySelector(\"{a} pre\").childNodes).filter(n => !(n.nodeType === 1 && n.classList.contains('stderr'))).map(n => n.textContent).join('')"));
            Assert.Equal("oops\n", await w.Page.TextContentAsync($"{a} pre span.stderr"));
            Assert.Equal(("<img src=x onerror=alert(1)>first\nsecond\noops\n").Length, (await w.Page.TextContentAsync($"{a} pre"))!.Length);
            Assert.Matches(@"^exit 2 · \d+\.\d\d s$", await w.Page.TextContentAsync($"{a} .cmd-head .muted"));
            Assert.Equal(0, await w.Page.Locator("#cmd-results img").CountAsync()); // text, never markup
            Assert.False(await w.Page.IsVisibleAsync("#cmd-stop"));
            Assert.False(await w.Page.IsDisabledAsync("#cmd-run"));
            await w.ScreenshotAsync("run-command");

            var audit = JsonDocument.Parse(await http.GetStringAsync(new Uri(fleet.Url, "api/audit"))).RootElement;
            var entry = Assert.Single(audit.EnumerateArray());
            Assert.Equal(line, entry.GetProperty("command").GetString());
            var outcomes = entry.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("machine").GetString()!, r => r.GetProperty("outcome").GetString());
            Assert.Equal("completed", outcomes["gpu-a"]);
            Assert.Equal("refused-by-agent", outcomes["cpu-c"]);
            Assert.Equal($"Run '{line}' on 2 machines (cpu-c, gpu-a)?", await w.Page.EvaluateAsync<string>("() => window.__asked"));
        }
        finally
        {
            File.Delete(gate);
        }
        lock (w.Errors) Assert.True(w.Errors.Count == 0, "page errors:\n" + string.Join("\n", w.Errors));
    }

    [Fact]
    public async Task An_operator_does_not_get_the_section()
    {
        var data = Directory.CreateTempSubdirectory("sentinel-cmd-page-").FullName;
        try
        {
            await using var master = MasterServer.Start(new MasterOptions
            {
                Address = IPAddress.Loopback, Port = 0, DataPath = data, RequireLogin = true, InitialAdminPassword = "admin-password-123",
            });
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Add("X-Sentinel-Request", "1"); // what the master asks of requests that change something
            async Task<string> Login(string user, string password)
            {
                var r = await http.PostAsync(new Uri(master.Url, "api/login"), new StringContent(JsonSerializer.Serialize(new { user, password }), Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
            }
            var admin = await Login("admin", "admin-password-123");
            using (var add = new HttpRequestMessage(HttpMethod.Post, new Uri(master.Url, "api/users"))
            {
                Content = new StringContent("""{"name":"op","password":"operator-password-1","role":"operator"}""", Encoding.UTF8, "application/json"),
            })
            {
                add.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", admin);
                Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(add)).StatusCode);
            }
            foreach (var (user, password, sees) in new[] { ("op", "operator-password-1", false), ("admin", "admin-password-123", true) })
            {
                await using var w = await chromium.NewPageAsync();
                await w.Page.GotoAsync(master.Url.ToString(), new PageGotoOptions { Timeout = Wait });
                await w.Page.FillAsync("#login-user", user);
                await w.Page.FillAsync("#login-password", password);
                await w.Page.ClickAsync("#login-submit");
                await w.Page.Locator("#who").Filter(new LocatorFilterOptions { HasTextString = user + " (" })
                    .WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
                await w.Page.Locator("#conn").Filter(new LocatorFilterOptions { HasTextString = "live" }).WaitForAsync(new LocatorWaitForOptions { Timeout = Wait });
                Assert.Equal(sees, await w.Page.IsVisibleAsync("#sec-commands"));
            }
        }
        finally
        {
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }
}
