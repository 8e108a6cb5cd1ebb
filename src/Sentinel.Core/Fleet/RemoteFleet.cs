using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sentinel.Json;

namespace Sentinel.Fleet;

/// <summary>A master's fleet, through its REST API.</summary>
public sealed class RemoteFleet : IFleet
{
    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    /// <param name="master">The master's URL, e.g. http://login01:8080.</param>
    /// <param name="http">A client to use (tests); otherwise one is created with a 30 s timeout.</param>
    public RemoteFleet(Uri master, HttpClient? http = null)
    {
        Master = new Uri(master.ToString().TrimEnd('/') + "/");
        _ownsClient = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public Uri Master { get; }

    public string Description => "master at " + Master.ToString().TrimEnd('/');

    public Task<MasterStatus> GetStatusAsync(CancellationToken cancellationToken = default)
        => GetAsync("api/status", SentinelJsonContext.Default.MasterStatus, cancellationToken);

    public async Task<IReadOnlyList<Machine>> GetMachinesAsync(MachineQuery query, CancellationToken cancellationToken = default)
    {
        var all = await GetAsync("api/machines", SentinelJsonContext.Default.ListMachine, cancellationToken).ConfigureAwait(false);
        return all.Where(query.Matches).ToList();
    }

    public Task<MetricSeries> GetMetricsAsync(string name, DateTimeOffset? since, DateTimeOffset? until, TimeSpan? step, CancellationToken cancellationToken = default)
    {
        var q = new List<string>();
        if (since is { } s) q.Add("since=" + Uri.EscapeDataString(s.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        if (until is { } u) q.Add("until=" + Uri.EscapeDataString(u.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        if (step is { } st) q.Add("step=" + st.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        var path = $"api/machines/{Uri.EscapeDataString(name)}/metrics" + (q.Count > 0 ? "?" + string.Join("&", q) : "");
        return GetAsync(path, SentinelJsonContext.Default.MetricSeries, cancellationToken);
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(Master, path), cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new FleetException("MasterUnreachable", $"Cannot reach the master at {Master}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FleetException("MasterUnreachable", $"The master at {Master} did not answer within {_http.Timeout.TotalSeconds} s", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var (code, message) = ErrorOf(body);
                var reason = response.StatusCode switch
                {
                    HttpStatusCode.NotFound when code == "machine-not-found" => "MachineNotFound",
                    HttpStatusCode.BadRequest => "BadRequest",
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "Unauthorized",
                    _ => "MasterError",
                };
                throw new FleetException(reason, message ?? $"The master answered {(int)response.StatusCode} {response.ReasonPhrase} for {path}");
            }
            try
            {
                return JsonSerializer.Deserialize(body, info) ?? throw new FleetException("MasterError", $"The master sent an empty answer for {path}");
            }
            catch (JsonException e)
            {
                throw new FleetException("MasterError", $"The answer from {Master} for {path} is not what a Sentinel master sends; is that URL a Sentinel master?", e);
            }
        }
    }

    private static (string? Code, string? Message) ErrorOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var e))
            {
                return (e.TryGetProperty("code", out var c) ? c.GetString() : null, e.TryGetProperty("message", out var m) ? m.GetString() : null);
            }
        }
        catch (JsonException)
        {
        }
        return (null, null);
    }

    public ValueTask DisposeAsync()
    {
        if (_ownsClient) _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
