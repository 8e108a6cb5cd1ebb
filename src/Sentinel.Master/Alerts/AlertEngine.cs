using Sentinel.Master.Storage;

namespace Sentinel.Master.Alerts;

/// <summary>Something went wrong with an alert request; <see cref="Status"/> and <see cref="Code"/> are what the API answers.</summary>
internal sealed class AlertRequestException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>
/// The alert rules and the alerts they raise. <see cref="Evaluate"/> is called from the master's tick with the machines
/// whose figures or status changed; time comes from the <see cref="TimeProvider"/> only, so tests move a clock instead of waiting.
/// A rule fires once its condition has held for its for-duration and resolves only once the value is back past the clear
/// threshold. For <see cref="HoldOff"/> after the start nothing fires, so agents reconnecting to a restarted master do
/// not all raise "offline" or stale alerts at once; conditions that still hold when it ends fire then.
/// </summary>
internal sealed class AlertEngine
{
    private readonly object _lock = new();
    private readonly object _ruleChange = new();
    private readonly TimeProvider _time;
    private readonly SampleStore _store;
    private readonly Action<Alert, AlertRule, string> _notify;
    private readonly bool _commandsAllowed;
    private readonly DateTimeOffset _holdOffEnds;
    private List<AlertRule> _rules;
    private readonly Dictionary<(string Rule, string Machine), Track> _tracks = [];
    private readonly List<Alert> _changes = [];
    private readonly Dictionary<string, MachineFacts> _lastFacts = new(StringComparer.Ordinal);
    private long _nextId;
    private bool _heldOff = true;
    private bool _fullPassDue = true;

    private sealed class Track
    {
        public DateTimeOffset? PendingSince;
        public double? LastValue;
        public Alert? Open;
    }

    public AlertEngine(TimeProvider time, TimeSpan holdOff, SampleStore store, bool commandsAllowed, Action<Alert, AlertRule, string> notify)
    {
        _time = time;
        _store = store;
        _notify = notify;
        _commandsAllowed = commandsAllowed;
        HoldOff = holdOff;
        _holdOffEnds = time.GetUtcNow() + holdOff;
        _rules = store.LoadAlertRules(AlertRules.Defaults);
        var (open, maxId) = store.LoadOpenAlerts();
        _nextId = maxId;
        foreach (var a in open)
        {
            _tracks[(a.RuleId, a.Machine)] = new Track { Open = a, LastValue = a.Value };
        }
    }

    public TimeSpan HoldOff { get; }

    /// <summary>Evaluation passes so far: lets a test know a pass ran after what it did, instead of sleeping.</summary>
    public long Passes => Interlocked.Read(ref _passes);
    private long _passes;

    /// <summary>True until the hold-off after the start has passed.</summary>
    public bool HoldingOff
    {
        get { lock (_lock) return _time.GetUtcNow() < _holdOffEnds; }
    }

    // ---------------------------------------------------------------------------------------------- rules

    public List<AlertRule> Rules()
    {
        lock (_lock) return _rules.ToList();
    }

    public AlertRule? Rule(string id)
    {
        lock (_lock) return _rules.FirstOrDefault(r => r.Id == id);
    }

    /// <summary>Adds a rule; its id must be new.</summary>
    public AlertRule AddRule(AlertRule input)
    {
        var rule = Validated(input);
        // Rule changes take turns; the disk write happens outside the evaluation lock, so a tick never waits on it.
        lock (_ruleChange)
        {
            lock (_lock)
            {
                if (_rules.Any(r => r.Id == rule.Id))
                    throw new AlertRequestException(409, "rule-exists", $"a rule with id '{rule.Id}' exists; change it with PUT /api/alerts/rules/{rule.Id} or choose another id");
            }
            _store.SaveAlertRule(rule);
            lock (_lock)
            {
                _rules = [.. _rules, rule];
                _fullPassDue = true;
            }
        }
        return rule;
    }

    /// <summary>Replaces rule <paramref name="id"/>. Its open alerts resolve; the next pass judges the machines afresh by the new rule.</summary>
    public AlertRule UpdateRule(string id, AlertRule input)
    {
        var rule = Validated(new AlertRule
        {
            Id = id, Name = input.Name, Metric = input.Metric, Comparison = input.Comparison, Threshold = input.Threshold, ClearThreshold = input.ClearThreshold,
            ForSeconds = input.ForSeconds, Machines = input.Machines, Tag = input.Tag, Severity = input.Severity, Enabled = input.Enabled,
            WebhookUrl = input.WebhookUrl, Command = input.Command,
        });
        if (input.Id is { Length: > 0 } given && given != id)
            throw new AlertRequestException(400, "bad-request", $"id: the body says '{given}' but the path says '{id}'; a rule's id cannot change");
        lock (_ruleChange)
        {
            lock (_lock)
            {
                if (!_rules.Any(r => r.Id == id)) throw new AlertRequestException(404, "rule-not-found", $"no alert rule '{id}'");
            }
            _store.SaveAlertRule(rule);
            lock (_lock)
            {
                _rules = _rules.Select(r => r.Id == id ? rule : r).ToList();
                ForgetRule(id);
                _fullPassDue = true;
            }
        }
        return rule;
    }

    public bool RemoveRule(string id)
    {
        lock (_ruleChange)
        {
            lock (_lock)
            {
                if (!_rules.Any(r => r.Id == id)) return false;
            }
            _store.DeleteAlertRule(id);
            lock (_lock)
            {
                _rules = _rules.Where(r => r.Id != id).ToList();
                ForgetRule(id);
            }
        }
        return true;
    }

    private AlertRule Validated(AlertRule input)
    {
        try
        {
            return AlertRules.Validate(input, _commandsAllowed);
        }
        catch (AlertRuleException e)
        {
            throw new AlertRequestException(400, "bad-rule", e.Message);
        }
    }

    /// <summary>Resolves the rule's open alerts (without actions: nothing about the machine changed) and drops its tracks.</summary>
    private void ForgetRule(string id)
    {
        var now = _time.GetUtcNow();
        foreach (var key in _tracks.Keys.Where(k => k.Rule == id).ToList())
        {
            if (_tracks[key].Open is { } a)
            {
                a.State = AlertState.Resolved;
                a.ResolvedAt = a.ChangedAt = now;
                Changed(a);
            }
            _tracks.Remove(key);
        }
    }

    /// <summary>
    /// Machines the master forgot (removed, or silent past the roll-ups' retention): their open alerts resolve, without
    /// actions (nothing about a machine changed), and stay in the history like any resolved alert; their tracks go.
    /// </summary>
    public void ForgetMachines(IReadOnlyCollection<string> names)
    {
        if (names.Count == 0) return;
        var gone = new HashSet<string>(names, StringComparer.Ordinal);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var key in _tracks.Keys.Where(k => gone.Contains(k.Machine)).ToList())
            {
                if (_tracks[key].Open is { } a)
                {
                    a.State = AlertState.Resolved;
                    a.ResolvedAt = a.ChangedAt = now;
                    Changed(a);
                }
                _tracks.Remove(key);
            }
            foreach (var name in gone) _lastFacts.Remove(name);
        }
    }

    // ---------------------------------------------------------------------------------------------- evaluation

    /// <summary>
    /// Judges <paramref name="machines"/> (those that changed) against every rule, then fires what has been pending long
    /// enough and ends silences that ran out. The first call after the hold-off, and the first after a rule change,
    /// judges every machine in <paramref name="all"/> instead.
    /// </summary>
    public void Evaluate(IReadOnlyList<MachineFacts> machines, Func<IReadOnlyList<MachineFacts>> all)
    {
        var now = _time.GetUtcNow();
        var notes = new List<(Alert, AlertRule, string)>();
        bool full;
        lock (_lock)
        {
            bool holding = now < _holdOffEnds;
            full = _fullPassDue || (_heldOff && !holding);
            _fullPassDue = false;
            _heldOff = holding;
        }
        var facts = full ? all() : machines;
        lock (_lock)
        {
            bool holding = now < _holdOffEnds;
            foreach (var m in facts)
            {
                _lastFacts[m.Name] = m;
                foreach (var rule in _rules)
                {
                    Judge(rule, m, now, holding, notes);
                }
            }
            // Pending conditions whose for-duration has passed without a new sample to judge them by (an offline machine sends none).
            foreach (var rule in _rules)
            {
                foreach (var (key, track) in _tracks)
                {
                    if (key.Rule == rule.Id && track.Open is null && track.PendingSince is { } since && !holding
                        && now - since >= TimeSpan.FromSeconds(rule.ForSeconds) && _lastFacts.TryGetValue(key.Machine, out var m))
                    {
                        Fire(rule, m, track, track.LastValue ?? 0, now, notes);
                    }
                }
            }
            foreach (var track in _tracks.Values)
            {
                if (track.Open is { SilencedUntil: { } until } a && until <= now && a.State == AlertState.Silenced)
                {
                    a.SilencedUntil = null;
                    a.SilencedBy = null;
                    a.State = a.AcknowledgedAt is null ? AlertState.Firing : AlertState.Acknowledged;
                    a.ChangedAt = now;
                    Changed(a);
                }
            }
        }
        foreach (var (a, r, what) in notes) _notify(a, r, what);
        Interlocked.Increment(ref _passes);
    }

    private void Judge(AlertRule rule, MachineFacts m, DateTimeOffset now, bool holding, List<(Alert, AlertRule, string)> notes)
    {
        var key = (rule.Id, m.Name);
        _tracks.TryGetValue(key, out var track);
        if (!rule.Enabled || !AlertRules.InScope(rule, m))
        {
            if (track?.Open is { } gone)
            {
                Resolve(rule, gone, gone.Value, now, notes);
            }
            _tracks.Remove(key);
            return;
        }
        var value = AlertRules.Value(rule.Metric, m);
        if (value is not { } v)
        {
            // Not measurable now (no sample, no GPU, machine not reporting): nothing pends on a stale figure; an open alert stays open.
            if (track is not null) track.PendingSince = null;
            return;
        }
        track ??= _tracks[key] = new Track();
        track.LastValue = v;
        if (track.Open is { } open)
        {
            open.Value = v;
            if (AlertRules.Clears(rule, v))
            {
                Resolve(rule, open, v, now, notes);
                track.Open = null;
                track.PendingSince = null;
            }
            return;
        }
        if (!AlertRules.Breaches(rule, v))
        {
            _tracks.Remove(key);
            return;
        }
        track.PendingSince ??= now;
        if (!holding && now - track.PendingSince.Value >= TimeSpan.FromSeconds(rule.ForSeconds))
        {
            Fire(rule, m, track, v, now, notes);
        }
    }

    private void Fire(AlertRule rule, MachineFacts m, Track track, double v, DateTimeOffset now, List<(Alert, AlertRule, string)> notes)
    {
        var a = new Alert
        {
            Id = ++_nextId, Machine = m.Name, RuleId = rule.Id, RuleName = rule.Name, Metric = rule.Metric, Comparison = rule.Comparison,
            Severity = rule.Severity, State = AlertState.Firing, Threshold = rule.Threshold, ClearThreshold = rule.ClearThreshold ?? rule.Threshold,
            FiredValue = v, Value = v, FiredAt = now, ChangedAt = now,
        };
        track.Open = a;
        track.PendingSince = null;
        Changed(a);
        notes.Add((a.Clone(), rule, "firing"));
    }

    private void Resolve(AlertRule rule, Alert a, double? v, DateTimeOffset now, List<(Alert, AlertRule, string)> notes)
    {
        bool silenced = a.State == AlertState.Silenced;
        a.Value = v;
        a.State = AlertState.Resolved;
        a.ResolvedAt = a.ChangedAt = now;
        Changed(a);
        if (!silenced) notes.Add((a.Clone(), rule, "resolved"));
    }

    private void Changed(Alert a)
    {
        _store.SaveAlert(a);
        _changes.RemoveAll(x => x.Id == a.Id);
        _changes.Add(a.Clone());
    }

    /// <summary>Alerts that changed since the last call, for the viewers.</summary>
    public List<Alert> TakeChanges()
    {
        lock (_lock)
        {
            var list = _changes.ToList();
            _changes.Clear();
            return list;
        }
    }

    // ---------------------------------------------------------------------------------------------- people

    /// <summary>Alerts open now (firing, acknowledged, silenced), oldest first.</summary>
    public List<Alert> Open()
    {
        lock (_lock) return _tracks.Values.Where(t => t.Open is not null).Select(t => t.Open!.Clone()).OrderBy(a => a.Id).ToList();
    }

    public (int Firing, int Open) Counts()
    {
        lock (_lock)
        {
            int open = 0, firing = 0;
            foreach (var t in _tracks.Values)
            {
                if (t.Open is not { } a) continue;
                open++;
                if (a.State == AlertState.Firing) firing++;
            }
            return (firing, open);
        }
    }

    public Alert Acknowledge(long id, string who)
    {
        lock (_lock)
        {
            var a = FindOpen(id);
            var now = _time.GetUtcNow();
            a.AcknowledgedBy = who;
            a.AcknowledgedAt = now;
            if (a.State == AlertState.Firing) a.State = AlertState.Acknowledged;
            a.ChangedAt = now;
            Changed(a);
            return a.Clone();
        }
    }

    /// <summary>Silences an open alert until <paramref name="until"/> (no actions meanwhile, not counted as firing); a time in the past ends a silence.</summary>
    public Alert Silence(long id, DateTimeOffset until, string who)
    {
        lock (_lock)
        {
            var a = FindOpen(id);
            var now = _time.GetUtcNow();
            if (until > now)
            {
                a.SilencedUntil = until;
                a.SilencedBy = who;
                a.State = AlertState.Silenced;
            }
            else
            {
                a.SilencedUntil = null;
                a.SilencedBy = null;
                a.State = a.AcknowledgedAt is null ? AlertState.Firing : AlertState.Acknowledged;
            }
            a.ChangedAt = now;
            Changed(a);
            return a.Clone();
        }
    }

    private Alert FindOpen(long id)
    {
        foreach (var t in _tracks.Values)
        {
            if (t.Open is { } a && a.Id == id) return a;
        }
        throw new AlertRequestException(404, "alert-not-found", $"no open alert {id} (it may have resolved; GET /api/alerts lists the open ones)");
    }
}
