using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sentinel.Benchmarks;
using Sentinel.Json;
using Sentinel.Security;

namespace Sentinel.Fleet;

/// <summary>A master's fleet, through its REST API.</summary>
public sealed class RemoteFleet : IFleet
{
    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    private readonly MasterTrust _trust;
    private readonly MasterCertificateCheck? _certificates;

    /// <param name="master">The master's URL, e.g. http://login01:8080.</param>
    /// <param name="http">A client to use (tests); otherwise one is created with a 30 s timeout.</param>
    /// <param name="trust">How to check an https:// master's certificate (used when <paramref name="http"/> is null), and
    /// whether a token may go over http:// beyond loopback. Throws <see cref="ArgumentException"/> for an unreadable CA file or a bad pin.</param>
    public RemoteFleet(Uri master, HttpClient? http = null, MasterTrust? trust = null)
    {
        Master = new Uri(master.ToString().TrimEnd('/') + "/");
        _trust = trust ?? MasterTrust.Default;
        _ownsClient = http is null;
        if (http is null)
        {
            _certificates = _trust.CreateCheck();
            var handler = new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.GZip, SslOptions = { RemoteCertificateValidationCallback = _certificates.Validate } };
            http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        }
        _http = http;
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public Uri Master { get; }

    /// <summary>A session or API token for a master that needs a login (sent as Authorization: Bearer).</summary>
    public string? Token { get; set; }

    /// <summary>Signs in with a user name and password (POST /api/login); the session's token is then sent with every request.
    /// Throws <see cref="FleetException"/> (Unauthorized) for a wrong password, or before sending one in clear text beyond loopback.</summary>
    public async Task LoginAsync(string user, string password, CancellationToken cancellationToken = default)
    {
        if (_trust.ClearTextProblem(Master, hasSecret: true) is { } problem)
        {
            throw new FleetException("Unauthorized", problem.Replace("a token", "a password", StringComparison.Ordinal));
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("user", user);
            w.WriteString("password", password);
            w.WriteEndObject();
        }
        var answer = await SendAsync(HttpMethod.Post, "api/login", System.Text.Encoding.UTF8.GetString(buffer.ToArray()), SentinelJsonContext.Default.DictionaryStringJsonElement,
            cancellationToken).ConfigureAwait(false);
        Token = answer.TryGetValue("token", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString()
            : throw new FleetException("MasterError", "the master's answer to the login had no token");
    }

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

    public async IAsyncEnumerable<BenchmarkEvent> RunBenchmarkAsync(string benchmark, IReadOnlyDictionary<string, string> parameters, IReadOnlyList<string> machines,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new JobRequest { Benchmark = benchmark, Parameters = new Dictionary<string, string>(parameters), Machines = machines.ToList() };
        var body = JsonSerializer.Serialize(request, SentinelJsonContext.Default.JobRequest);
        var job = await SendAsync(HttpMethod.Post, "api/jobs", body, SentinelJsonContext.Default.BenchmarkJob, cancellationToken).ConfigureAwait(false);
        var told = new Dictionary<string, (double Progress, string? Stage)>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            foreach (var part in job.Parts)
            {
                if (finished.Contains(part.Machine)) continue;
                if (part.State is BenchmarkState.Completed or BenchmarkState.Failed or BenchmarkState.Cancelled)
                {
                    finished.Add(part.Machine);
                    yield return new BenchmarkEvent(part.Machine, job.Id, null, part.Result ?? new BenchmarkResult
                    {
                        Benchmark = job.Benchmark, Machine = part.Machine, JobId = job.Id, State = part.State, Error = part.Error,
                        StartedAt = part.StartedAt ?? job.CreatedAt, FinishedAt = part.FinishedAt ?? job.CreatedAt, Parameters = job.Parameters,
                    });
                }
                else if (!told.TryGetValue(part.Machine, out var last) || last.Progress != part.Progress || last.Stage != part.Stage)
                {
                    told[part.Machine] = (part.Progress, part.Stage);
                    yield return new BenchmarkEvent(part.Machine, job.Id, new BenchmarkProgress(part.Progress, part.Stage ?? part.State.ToString().ToLowerInvariant()), null);
                }
            }
            if (finished.Count == job.Parts.Count) yield break;
            job = await PollAsync(job.Id, job.Version, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the job again once it has changed past <paramref name="version"/> (a long-poll); on cancellation, asks the master
    /// to cancel it first.</summary>
    private async Task<BenchmarkJob> PollAsync(string id, long version, CancellationToken cancellationToken)
    {
        try
        {
            return await LongPollAsync($"api/jobs/{Uri.EscapeDataString(id)}?since={version.ToString(CultureInfo.InvariantCulture)}",
                SentinelJsonContext.Default.BenchmarkJob, j => j.Version > version || j.State is not (BenchmarkState.Queued or BenchmarkState.Running), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CancelJobAsync(id).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Asks the master to cancel a job (best effort, a few seconds at most: the caller is already leaving).</summary>
    public async Task CancelJobAsync(string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await SendAsync(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(id)}/cancel", "", SentinelJsonContext.Default.BenchmarkJob, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FleetException or OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Runs a command line on <paramref name="machines"/> through the master (POST /api/commands): yields each complete line
    /// of output as it arrives (long-polls: ?since=SEQ&amp;wait=, so a line comes as soon as the master has it), and each machine's
    /// result when it ends. Cancelling asks the master to stop it. Throws <see cref="FleetException"/> when the master refuses the request.
    /// </summary>
    public async IAsyncEnumerable<Commands.CommandEvent> RunCommandAsync(IReadOnlyList<string> machines, string command, TimeSpan? timeout,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new Commands.CommandRequest { Machines = machines.ToList(), Command = command, TimeoutSeconds = timeout?.TotalSeconds };
        var run = await SendAsync(HttpMethod.Post, "api/commands", JsonSerializer.Serialize(request, SentinelJsonContext.Default.CommandRequest),
            SentinelJsonContext.Default.CommandRun, cancellationToken).ConfigureAwait(false);
        var partial = new Dictionary<(string, string), System.Text.StringBuilder>();
        var whole = new Dictionary<(string, string), System.Text.StringBuilder>();
        System.Text.StringBuilder Buffer(Dictionary<(string, string), System.Text.StringBuilder> d, string machine, string stream)
            => d.TryGetValue((machine, stream), out var b) ? b : d[(machine, stream)] = new System.Text.StringBuilder();
        var ended = new HashSet<string>(StringComparer.Ordinal);
        long since = 0;
        while (true)
        {
            foreach (var (machine, chunk) in run.Parts.SelectMany(p => p.Output.Select(c => (p.Machine, c))).OrderBy(x => x.c.Seq))
            {
                if (chunk.Seq <= since) continue;
                Buffer(whole, machine, chunk.Stream).Append(chunk.Text);
                var line = Buffer(partial, machine, chunk.Stream);
                var text = chunk.Text;
                int start = 0, nl;
                while ((nl = text.IndexOf('\n', start)) >= 0)
                {
                    line.Append(text, start, nl - start);
                    yield return new Commands.CommandEvent(machine, chunk.Stream, line.ToString().TrimEnd('\r'), null);
                    line.Clear();
                    start = nl + 1;
                }
                line.Append(text, start, text.Length - start);
            }
            since = Math.Max(since, run.Seq);
            foreach (var part in run.Parts.Where(p => p.State != Commands.CommandState.Running && !ended.Contains(p.Machine)))
            {
                ended.Add(part.Machine);
                foreach (var stream in new[] { "stdout", "stderr" })
                {
                    if (partial.TryGetValue((part.Machine, stream), out var rest) && rest.Length > 0)
                    {
                        yield return new Commands.CommandEvent(part.Machine, stream, rest.ToString(), null);
                        rest.Clear();
                    }
                }
                yield return new Commands.CommandEvent(part.Machine, null, null, new Commands.CommandResult
                {
                    Machine = part.Machine, Command = run.Command, Id = run.Id, State = part.State, ExitCode = part.ExitCode,
                    Duration = part.DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null, TimedOut = part.TimedOut, Truncated = part.Truncated,
                    Refused = part.Refused, Error = part.Error,
                    Output = whole.TryGetValue((part.Machine, "stdout"), out var o) ? o.ToString() : "",
                    ErrorOutput = whole.TryGetValue((part.Machine, "stderr"), out var e) ? e.ToString() : "",
                });
            }
            if (ended.Count == run.Parts.Count) yield break;
            try
            {
                var seen = since;
                run = await LongPollAsync($"api/commands/{Uri.EscapeDataString(run.Id)}?since={since.ToString(CultureInfo.InvariantCulture)}",
                    SentinelJsonContext.Default.CommandRun, r => r.Seq > seen || r.Done, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await SendAsync(HttpMethod.Post, $"api/commands/{Uri.EscapeDataString(run.Id)}/cancel", "", SentinelJsonContext.Default.CommandRun, stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is FleetException or OperationCanceledException)
                {
                }
                throw;
            }
        }
    }

    /// <summary>The master's audit log (GET /api/audit), newest first.</summary>
    public async Task<IReadOnlyList<Commands.AuditEntry>> GetAuditLogAsync(Commands.AuditQuery query, CancellationToken cancellationToken = default)
    {
        var q = new List<string> { "limit=" + query.Limit.ToString(CultureInfo.InvariantCulture) };
        if (query.Since is { } s) q.Add("since=" + Uri.EscapeDataString(s.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        if (query.User is { } u) q.Add("user=" + Uri.EscapeDataString(u));
        if (query.Machine is { } m) q.Add("machine=" + Uri.EscapeDataString(m));
        return await GetAsync("api/audit?" + string.Join("&", q), SentinelJsonContext.Default.ListAuditEntry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The least time between two reads of a running job or command when the master answers at once with nothing new
    /// (a master that predates long-polls ignores ?wait=): it is then polled at this pace rather than in a tight loop.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the master may hold a read of a running job or command (?wait=) before answering with nothing new.
    /// Kept under the HTTP client's timeout; zero turns long-polls off (reads every <see cref="PollInterval"/>).</summary>
    public TimeSpan LongPollWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// GET <paramref name="path"/> (which has its ?since=) with &amp;wait=: the master answers when there is something new, or when the
    /// wait is up. An answer with nothing new (<paramref name="isNew"/> false) that came sooner than <see cref="PollInterval"/> waits out
    /// the rest of it before returning, so an older master that ignores wait is polled, not hammered.
    /// </summary>
    private async Task<T> LongPollAsync<T>(string path, JsonTypeInfo<T> info, Func<T, bool> isNew, CancellationToken cancellationToken)
    {
        // Leave the client's timeout a margin over the wait (the answer still has to travel); an infinite timeout leaves it as is.
        var limit = _http.Timeout == Timeout.InfiniteTimeSpan ? LongPollWait : _http.Timeout - TimeSpan.FromSeconds(5);
        var wait = LongPollWait < limit ? LongPollWait : limit;
        var query = wait >= TimeSpan.FromSeconds(1) ? "&wait=" + Math.Floor(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture) : "";
        long asked = System.Diagnostics.Stopwatch.GetTimestamp();
        var answer = await GetAsync(path + query, info, cancellationToken).ConfigureAwait(false);
        var rest = PollInterval - System.Diagnostics.Stopwatch.GetElapsedTime(asked);
        if (!isNew(answer) && rest > TimeSpan.Zero) await Task.Delay(rest, cancellationToken).ConfigureAwait(false);
        return answer;
    }

    public async Task<IReadOnlyList<BenchmarkResult>> GetBenchmarkResultsAsync(ResultQuery query, CancellationToken cancellationToken = default)
    {
        var q = new List<string> { "limit=" + query.Last.ToString(CultureInfo.InvariantCulture) };
        if (query.Benchmark is { } b) q.Add("benchmark=" + Uri.EscapeDataString(b));
        if (query.JobId is { } j) q.Add("job=" + Uri.EscapeDataString(j));
        if (query.Since is { } s) q.Add("since=" + Uri.EscapeDataString(s.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        if (query.Machines is { Count: > 0 } m) q.Add("machine=" + Uri.EscapeDataString(string.Join(",", m)));
        if (query.IncludeMetrics) q.Add("metrics=true");
        return await GetAsync("api/results?" + string.Join("&", q), SentinelJsonContext.Default.ListBenchmarkResult, cancellationToken).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------------------------------- alerts (docs/alerts.md)

    /// <summary>Alerts: the open ones, newest first, then (unless <paramref name="openOnly"/>) those resolved in the last day.</summary>
    public async Task<IReadOnlyList<Alert>> GetAlertsAsync(bool openOnly, string? machine = null, CancellationToken cancellationToken = default)
    {
        var q = new List<string> { "state=" + (openOnly ? "open" : "all"), "limit=1000" };
        if (machine is not null) q.Add("machine=" + Uri.EscapeDataString(machine));
        return await GetAsync("api/alerts?" + string.Join("&", q), SentinelJsonContext.Default.ListAlert, cancellationToken).ConfigureAwait(false);
    }

    public Task<Alert> GetAlertAsync(long id, CancellationToken cancellationToken = default)
        => GetAsync("api/alerts/" + id.ToString(System.Globalization.CultureInfo.InvariantCulture), SentinelJsonContext.Default.Alert, cancellationToken);

    public Task<Alert> AcknowledgeAlertAsync(long id, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"api/alerts/{id.ToString(System.Globalization.CultureInfo.InvariantCulture)}/acknowledge", "", SentinelJsonContext.Default.Alert, cancellationToken);

    /// <summary>Silences an open alert until <paramref name="until"/>; a time not in the future lifts its silence.</summary>
    public Task<Alert> SilenceAlertAsync(long id, DateTimeOffset until, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, $"api/alerts/{id.ToString(System.Globalization.CultureInfo.InvariantCulture)}/silence",
            JsonSerializer.Serialize(new AlertSilenceRequest { Until = until }, SentinelJsonContext.Default.AlertSilenceRequest), SentinelJsonContext.Default.Alert, cancellationToken);

    public async Task<IReadOnlyList<AlertRule>> GetAlertRulesAsync(CancellationToken cancellationToken = default)
        => await GetAsync("api/alerts/rules", SentinelJsonContext.Default.ListAlertRule, cancellationToken).ConfigureAwait(false);

    public Task<AlertRule> GetAlertRuleAsync(string id, CancellationToken cancellationToken = default)
        => GetAsync("api/alerts/rules/" + Uri.EscapeDataString(id), SentinelJsonContext.Default.AlertRule, cancellationToken);

    public Task<AlertRule> AddAlertRuleAsync(AlertRule rule, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "api/alerts/rules", JsonSerializer.Serialize(rule, SentinelJsonContext.Default.AlertRule), SentinelJsonContext.Default.AlertRule, cancellationToken);

    public Task<AlertRule> UpdateAlertRuleAsync(AlertRule rule, CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Put, "api/alerts/rules/" + Uri.EscapeDataString(rule.Id), JsonSerializer.Serialize(rule, SentinelJsonContext.Default.AlertRule), SentinelJsonContext.Default.AlertRule, cancellationToken);

    /// <summary>
    /// Forgets an offline machine on the master (DELETE /api/machines/{name}; admin): its samples, roll-ups and connection
    /// history. Benchmark results and the audit log stay. Throws <see cref="FleetException"/>: MachineOnline while its agent
    /// is connected, MachineNotFound for a name the master does not know.
    /// </summary>
    public Task RemoveMachineAsync(string name, CancellationToken cancellationToken = default)
        => SendAsync<object>(HttpMethod.Delete, "api/machines/" + Uri.EscapeDataString(name), null, null, cancellationToken);

    public Task RemoveAlertRuleAsync(string id, CancellationToken cancellationToken = default)
        => SendAsync<object>(HttpMethod.Delete, "api/alerts/rules/" + Uri.EscapeDataString(id), null, null, cancellationToken);

    /// <summary>
    /// Every change of an alert after <paramref name="baseline"/> (fired, acknowledged, silenced, resolved), each as it is after the
    /// change. Polls the master every <paramref name="interval"/>; a master that cannot be reached is tried again at the next poll.
    /// Without a baseline, the first answer is the baseline; a caller that must not miss a change made right after it
    /// starts watching reads one first (<see cref="GetAlertsAsync"/> with openOnly false) and passes it.
    /// </summary>
    public async IAsyncEnumerable<Alert> WatchAlertsAsync(TimeSpan interval, IReadOnlyList<Alert>? baseline = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = (baseline ?? []).ToDictionary(a => a.Id, a => a.ChangedAt);
        bool first = baseline is null;
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<Alert>? alerts = null;
            try
            {
                alerts = await GetAlertsAsync(openOnly: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (FleetException)
            {
            }
            foreach (var a in alerts ?? [])
            {
                if (seen.TryGetValue(a.Id, out var at) && at == a.ChangedAt) continue;
                seen[a.Id] = a.ChangedAt;
                if (!first) yield return a; // what was there when the watch began is not a change
            }
            if (alerts is not null) first = false;
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, path, null, info, cancellationToken);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string? json, JsonTypeInfo<T>? info, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(Master, path));
            if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            if (Token is { } token)
            {
                if (_trust.ClearTextProblem(Master, hasSecret: true) is { } problem)
                {
                    throw new FleetException("Unauthorized", problem);
                }
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            // A master refuses changes without it from anything but a bearer token: browsers cannot send it across sites.
            if (method != HttpMethod.Get) request.Headers.Add("X-Sentinel-Request", "1");
            // Whatever set the header (Token, a caller's client), a secret must not cross a network in clear text.
            bool secret = (request.Headers.Authorization ?? _http.DefaultRequestHeaders.Authorization) is not null;
            if (_trust.ClearTextProblem(Master, secret) is { } clear)
            {
                throw new FleetException("InsecureMaster", char.ToUpperInvariant(clear[0]) + clear[1..]);
            }
            _certificates?.Reset();
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            var refused = _certificates?.LastRefusal;
            var why = refused is not null ? "its certificate was refused: " + refused : e.Message;
            if (FleetTrace.Listening) FleetTrace.Write($"{method} {new Uri(Master, path)}: no answer ({why})");
            throw new FleetException("MasterUnreachable", $"Cannot reach the master at {Master}: {why}", e, refused is not null ? "certificate-refused" : null);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FleetException("MasterUnreachable", $"The master at {Master} did not answer within {_http.Timeout.TotalSeconds} s", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (FleetTrace.Listening)
            {
                FleetTrace.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{method} {new Uri(Master, path)}: {(int)response.StatusCode} {response.ReasonPhrase}, {Units.Bytes(System.Text.Encoding.UTF8.GetByteCount(body))} in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms"));
            }
            if (!response.IsSuccessStatusCode)
            {
                var (code, message) = ErrorOf(body);
                var text = code is null ? TextOf(body) : null;
                var reason = response.StatusCode switch
                {
                    // Not the master's JSON but a TLS front's plain-text refusal (the master's own, or a proxy's page).
                    HttpStatusCode.BadRequest when text is not null && text.Contains("HTTPS", StringComparison.OrdinalIgnoreCase) => "HttpsRequired",
                    HttpStatusCode.NotFound when code == "machine-not-found" => "MachineNotFound",
                    HttpStatusCode.NotFound when code == "job-not-found" => "JobNotFound",
                    HttpStatusCode.NotFound when code == "command-not-found" => "CommandNotFound",
                    HttpStatusCode.NotFound when code == "alert-not-found" => "AlertNotFound",
                    HttpStatusCode.NotFound when code == "rule-not-found" => "AlertRuleNotFound",
                    HttpStatusCode.Conflict when code == "rule-exists" => "AlertRuleExists",
                    HttpStatusCode.Conflict when code == "machine-online" => "MachineOnline",
                    HttpStatusCode.BadRequest => "BadRequest",
                    HttpStatusCode.Conflict when code == "no-machines" => "NoMachines",
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "Unauthorized",
                    _ => "MasterError",
                };
                throw new FleetException(reason, message ?? $"The master answered {(int)response.StatusCode} {response.ReasonPhrase} for {path}" +
                    (text is not null ? $": {text}" : ""), code: code);
            }
            if (info is null) return default!; // an answer without a body (204)
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

    /// <summary>
    /// What a refusal that is not the master's JSON says, when it is short: the master's own plain-text refusals
    /// ("this master speaks HTTPS: use https://") or a proxy's HTML page title ("The plain HTTP request was sent to HTTPS port").
    /// </summary>
    internal static string? TextOf(string body)
    {
        var text = body;
        int title = body.IndexOf("<title>", StringComparison.OrdinalIgnoreCase);
        if (title >= 0)
        {
            int end = body.IndexOf("</title>", title, StringComparison.OrdinalIgnoreCase);
            text = end > title ? body[(title + 7)..end] : "";
        }
        text = string.Join(' ', text.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return text.Length is > 0 and <= 300 && !text.Contains('<', StringComparison.Ordinal) && !text.StartsWith('{') ? text : null;
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
