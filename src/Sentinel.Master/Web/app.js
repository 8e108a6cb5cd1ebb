// Sentinel live page. Plain ES2020, no build step. Served by the master with a strict CSP: no inline script,
// no eval. Every string that came from a machine goes into the DOM through textContent (el() below), and into
// plotly (which renders names, labels and annotations as pseudo-HTML) through esc().
'use strict';
(() => {
  // ---------------------------------------------------------------- constants
  const WINDOW_MS = 10 * 60 * 1000;      // live charts: the last 10 minutes
  const RING = 720;                      // points kept per machine (10 min at 1 s, plus history)
  const MAX_LINES = 24;                  // per-machine lines per chart
  const MAX_SELECTED_LINES = 40;         // when rows are selected, up to this many
  const LEGEND_LINES = 12;               // charts with this many lines or fewer have a legend
  const PAGE_SIZE = 50;
  const CHART_MS = 1000;                 // charts redraw at most once a second
  const POLL_MS = 3000;                  // polling fallback
  const STATUS_MS = 5000;
  const WS_FAILS_BEFORE_POLLING = 3;
  const METRICS = ['cpu', 'mem', 'gpu', 'net'];
  const RANGE_KEY = 'sentinel.range';
  const THEME_KEY = 'sentinel.theme';

  // ---------------------------------------------------------------- small helpers
  const $ = (id) => document.getElementById(id);

  /** createElement with text children only: strings become text nodes, never markup. */
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k === 'style') Object.assign(e.style, v);
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) {
      if (c == null || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function setText(node, text) {
    const t = text == null ? '' : String(text);
    if (node.textContent !== t) node.textContent = t;
  }

  /** For plotly: it renders trace names, tick labels, hover text and annotations as pseudo-HTML. Numeric
   *  entities for quotes (plotly decodes &#NN; but not &quot;), and % so hover templates never expand it. */
  function esc(s) {
    return String(s ?? '').replace(/[&<>"'%]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '%': '&#37;' })[c]);
  }

  /** FNV-1a, 32-bit: a machine's colour comes from its name, so it is the same on every chart and reload. */
  function fnv1a(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }
  const colourCache = new Map();
  function colour(name) {
    const key = theme + '\u0000' + name;
    let c = colourCache.get(key);
    if (!c) {
      const h = fnv1a(name);
      const hue = h % 360;
      const light = theme === 'dark' ? 58 + ((h >>> 9) % 3) * 6 : 36 + ((h >>> 9) % 3) * 6;
      c = `hsl(${hue}, ${theme === 'dark' ? 72 : 68}%, ${light}%)`;
      colourCache.set(key, c);
    }
    return c;
  }

  const fmt1 = (v) => (v == null || Number.isNaN(v) ? '–' : v.toFixed(1));
  function fmtRate(v) {
    if (v == null || Number.isNaN(v)) return '–';
    // Decimal, as network rates are read (and as the charts' axes print them).
    const u = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];
    let i = 0;
    while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + u[i];
  }
  function fmtBytes(v) {
    if (v == null || Number.isNaN(v)) return '–';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + u[i];
  }
  function fmtNum(v, digits = 2) {
    if (v == null || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1000) return v.toFixed(0);
    if (a >= 100) return v.toFixed(1);
    return v.toFixed(digits);
  }
  function fmtAgo(ms) {
    if (ms == null || Number.isNaN(ms)) return '–';
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function fmtDuration(ms) {
    if (ms == null || Number.isNaN(ms) || ms < 0) return '–';
    const s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
  }
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  function fmtTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '–';
    return Date.now() - d.getTime() < 20 * 3600 * 1000 ? timeFmt.format(d) : dateTimeFmt.format(d);
  }
  const short = (s) => (s.length > 28 ? s.slice(0, 27) + '…' : s);
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const ts = (iso) => (iso ? Date.parse(iso) : NaN);

  async function api(path, options) {
    let r;
    try {
      // Requests that change something carry X-Sentinel-Request: the master refuses them without it (another site cannot send it).
      const opts = Object.assign({ cache: 'no-store', credentials: 'same-origin' }, options);
      opts.headers = Object.assign({ Accept: 'application/json', 'X-Sentinel-Request': '1' }, (options && options.headers) || {});
      r = await fetch(path, opts);
    } catch (e) {
      throw new Error('the master did not answer (' + (e && e.message ? e.message : e) + ')');
    }
    const text = await r.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    if (!r.ok) {
      const msg = body && body.error && body.error.message ? body.error.message : (text || r.statusText || ('HTTP ' + r.status));
      const err = new Error(msg);
      err.status = r.status;
      throw err;
    }
    return body;
  }

  // ---------------------------------------------------------------- state
  let theme = 'light';
  const machines = new Map();     // name -> Machine (with latest)
  const series = new Map();       // name -> Ring of headline figures
  const jobs = new Map();         // id -> BenchmarkJob
  const alerts = new Map();       // id -> Alert (open ones, and recently resolved)
  let alertsKnown = false;        // a snapshot or /api/alerts said what is open
  let benchmarks = [];            // /api/benchmarks
  let status = null;              // /api/status
  const selected = new Set();
  const view = { search: '', status: '', tag: '', sort: 'name', dir: 1, page: 0 };
  let currentJobId = null;
  let myRole = null;              // from /api/auth (an open master answers 'admin'): operators act on alerts, admins run commands
  let detailName = null;
  let detailRange = Number(localStorage.getItem(RANGE_KEY)) || 3600;
  let inventoryDirty = true;
  let chartsDirty = true;
  let filtered = [];              // machines matching the filter, in table order
  const page = { firstRenderMs: null, snapshots: 0, updates: 0, polls: 0, chartDraws: 0 };
  window.sentinelPage = page;     // read by tests and handy in the console

  // ---------------------------------------------------------------- per-machine rolling series
  /** A ring of (t, cpu, mem, gpu, net) with a fixed capacity: memory stays bounded however long the page is open. */
  class Ring {
    constructor(cap) {
      this.cap = cap;
      this.t = new Float64Array(cap);
      this.v = { cpu: new Float32Array(cap), mem: new Float32Array(cap), gpu: new Float32Array(cap), net: new Float32Array(cap) };
      this.start = 0;
      this.len = 0;
    }
    lastT() { return this.len ? this.t[(this.start + this.len - 1) % this.cap] : -Infinity; }
    firstT() { return this.len ? this.t[this.start] : Infinity; }
    push(t, cpu, mem, gpu, net) {
      if (!(t > this.lastT())) return false;
      let i;
      if (this.len < this.cap) { i = (this.start + this.len) % this.cap; this.len++; }
      else { i = this.start; this.start = (this.start + 1) % this.cap; }
      this.t[i] = t;
      this.v.cpu[i] = cpu ?? NaN;
      this.v.mem[i] = mem ?? NaN;
      this.v.gpu[i] = gpu ?? NaN;
      this.v.net[i] = net ?? NaN;
      return true;
    }
    /** Puts older points (sorted) in front of what is there. */
    prepend(points) {
      const first = this.firstT();
      const keep = [];
      for (let k = 0; k < this.len; k++) {
        const i = (this.start + k) % this.cap;
        keep.push([this.t[i], this.v.cpu[i], this.v.mem[i], this.v.gpu[i], this.v.net[i]]);
      }
      this.start = 0;
      this.len = 0;
      for (const p of points) if (p[0] < first) this.push(p[0], p[1], p[2], p[3], p[4]);
      for (const p of keep) this.push(p[0], p[1], p[2], p[3], p[4]);
    }
    /** x (ms) and y for one metric since a time, with a null where the machine was silent for long (a gap, not a line). */
    arrays(metric, since, gapMs) {
      const x = [], y = [];
      const v = this.v[metric];
      let prev = -Infinity;
      for (let k = 0; k < this.len; k++) {
        const i = (this.start + k) % this.cap;
        const t = this.t[i];
        if (t < since) continue;
        if (t - prev > gapMs && prev !== -Infinity) { x.push(prev + 1); y.push(null); }
        const val = v[i];
        x.push(t);
        y.push(Number.isNaN(val) ? null : val);
        prev = t;
      }
      return { x, y };
    }
  }

  function ringOf(name) {
    let r = series.get(name);
    if (!r) { r = new Ring(RING); series.set(name, r); }
    return r;
  }

  function netOf(s) {
    const rx = num(s.networkReceiveBytesPerSecond), tx = num(s.networkTransmitBytesPerSecond);
    return rx == null && tx == null ? null : (rx ?? 0) + (tx ?? 0);
  }

  function pushSample(name, s) {
    if (!s || !s.timestamp) return;
    const t = ts(s.timestamp);
    if (Number.isNaN(t)) return;
    const cpu = num(s.cpuPercent), mem = num(s.memoryUsedPercent), gpu = num(s.gpuUtilizationPercent), net = netOf(s);
    if (ringOf(name).push(t, cpu, mem, gpu, net)) {
      agg.add(t, cpu, mem, gpu, net);
      chartsDirty = true;
    }
  }

  // ---------------------------------------------------------------- fleet aggregates (every machine)
  /** Per time bucket: sum, count, min and max of each figure over every machine's samples in it. */
  const agg = {
    stepMs: 2000,
    buckets: new Map(),   // bucket index -> Float64Array(4 metrics x [sum, n, min, max])
    add(t, cpu, mem, gpu, net) {
      const k = Math.floor(t / this.stepMs);
      let b = this.buckets.get(k);
      if (!b) {
        b = new Float64Array(16);
        for (let m = 0; m < 4; m++) { b[m * 4 + 2] = Infinity; b[m * 4 + 3] = -Infinity; }
        this.buckets.set(k, b);
      }
      const vals = [cpu, mem, gpu, net];
      for (let m = 0; m < 4; m++) {
        const v = vals[m];
        if (v == null || Number.isNaN(v)) continue;
        b[m * 4] += v;
        b[m * 4 + 1] += 1;
        if (v < b[m * 4 + 2]) b[m * 4 + 2] = v;
        if (v > b[m * 4 + 3]) b[m * 4 + 3] = v;
      }
    },
    prune(now) {
      const oldest = Math.floor((now - WINDOW_MS) / this.stepMs) - 1;
      for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
    },
    series(metric, since, now) {
      const m = METRICS.indexOf(metric);
      // The newest bucket is still filling (only the machines that already reported): leave it out until a
      // second after it ends, or its average and maximum dip at the right edge.
      const newest = Math.floor((now - 1000) / this.stepMs) - 1;
      const keys = [...this.buckets.keys()].filter((k) => k <= newest).sort((a, b) => a - b);
      const x = [], avg = [], max = [], min = [], n = [];
      let prev = null;
      for (const k of keys) {
        const t = k * this.stepMs;
        if (t < since) continue;
        const b = this.buckets.get(k);
        const count = b[m * 4 + 1];
        if (prev != null && k - prev > 5) { x.push(t - 1); avg.push(null); max.push(null); min.push(null); n.push(0); }
        prev = k;
        x.push(t);
        n.push(count);
        if (count === 0) { avg.push(null); max.push(null); min.push(null); continue; }
        avg.push(b[m * 4] / count);
        max.push(b[m * 4 + 3]);
        min.push(b[m * 4 + 2]);
      }
      return { x, avg, max, min, n };
    },
  };

  // ---------------------------------------------------------------- applying what the master sends
  function upsertMachine(m) {
    const old = machines.get(m.name);
    if (old && !m.latest && old.latest) m.latest = old.latest;
    if (old && !m.connection && old.connection) m.connection = old.connection;
    machines.set(m.name, m);
    if (m.latest) pushSample(m.name, m.latest);
  }

  /** A machine the master no longer knows (removed, or forgotten after the roll-ups' retention): its row, line and selection go. */
  function forgetMachine(name) {
    machines.delete(name);
    series.delete(name);
    selected.delete(name);
    inventoryDirty = true;
    chartsDirty = true;
  }

  function applySnapshot(data) {
    page.snapshots++;
    const names = new Set();
    for (const m of data.machines || []) { names.add(m.name); upsertMachine(m); }
    for (const name of [...machines.keys()]) if (!names.has(name)) forgetMachine(name);
    for (const j of data.jobs || []) jobs.set(j.id, j);
    if (Array.isArray(data.alerts)) {
      // The snapshot lists what is open now: any other open one we held has changed meanwhile; drop it (resolved ones stay as history).
      const open = new Set(data.alerts.map((a) => a.id));
      for (const [id, a] of alerts) if (a.state !== 'resolved' && !open.has(id)) alerts.delete(id);
      for (const a of data.alerts) alerts.set(a.id, a);
      alertsKnown = true;
    }
    inventoryDirty = true;
    schedule('all');
  }

  function applyUpdate(data) {
    page.updates++;
    // Removals first: a name removed and back in one update is a new machine.
    for (const name of data.removed || []) forgetMachine(name);
    for (const u of data.machines || []) {
      let m = machines.get(u.name);
      if (u.machine) {
        upsertMachine(u.machine);
        m = machines.get(u.name);
        inventoryDirty = true;
      } else if (!m) {
        m = { name: u.name, status: u.status, tags: {}, inventory: {} };
        machines.set(u.name, m);
        inventoryDirty = true;
      }
      if (m.status !== u.status) inventoryDirty = true; // topology and header counts
      m.status = u.status;
      if (u.lastSeen) m.lastSeen = u.lastSeen;
      if (u.connection) { m.connection = u.connection; inventoryDirty = true; }
      if (u.sample) { m.latest = u.sample; pushSample(u.name, u.sample); }
    }
    for (const j of data.jobs || []) jobs.set(j.id, j);
    if ((data.jobs || []).length) { chartsDirty = true; schedule('jobs'); }
    for (const a of data.alerts || []) alerts.set(a.id, a);
    if ((data.alerts || []).length) schedule('alerts');
    schedule('machines');
  }

  // ---------------------------------------------------------------- connection: WebSocket, backoff, polling
  const conn = { ws: null, state: 'connecting', failures: 0, retryTimer: null, pollTimer: null, polling: false, pollFailures: 0 };

  function setConn(state, detail) {
    conn.state = state;
    const b = $('conn');
    b.className = 'badge ' + state;
    setText(b, state);
    b.title = detail || {
      connecting: 'Connecting to the master over WebSocket',
      live: 'Live: updates arrive over WebSocket as they happen',
      polling: 'The WebSocket failed; reading the master every ' + POLL_MS / 1000 + ' s instead (and retrying the WebSocket)',
      offline: 'The master does not answer',
    }[state];
    document.documentElement.dataset.conn = state;
  }

  function connect() {
    clearTimeout(conn.retryTimer);
    if (!conn.polling) setConn('connecting');
    let ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    } catch (e) {
      wsFailed();
      return;
    }
    conn.ws = ws;
    let gotSnapshot = false;
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (!msg || msg.v !== 1 || !msg.data) return;
      if (msg.type === 'snapshot') {
        gotSnapshot = true;
        conn.failures = 0;
        stopPolling();
        setConn('live');
        applySnapshot(msg.data);
      } else if (msg.type === 'update') {
        applyUpdate(msg.data);
      }
    };
    ws.onclose = () => {
      if (conn.ws === ws) conn.ws = null;
      // A connection that never delivered a snapshot counts as a failure; one that was live starts over.
      if (gotSnapshot) conn.failures = 1; else conn.failures++;
      wsFailed();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  function wsFailed() {
    if (conn.failures >= WS_FAILS_BEFORE_POLLING) startPolling();
    else setConn('connecting', 'Reconnecting to the master');
    // Capped exponential backoff with jitter; the WebSocket is retried for as long as the page is open.
    const base = Math.min(30000, 500 * 2 ** Math.min(conn.failures, 8));
    const delay = base / 2 + Math.random() * base / 2;
    conn.retryTimer = setTimeout(connect, delay);
  }

  function startPolling() {
    if (conn.polling) return;
    conn.polling = true;
    setConn('polling');
    poll();
  }

  function stopPolling() {
    conn.polling = false;
    clearTimeout(conn.pollTimer);
  }

  async function poll() {
    if (!conn.polling) return;
    try {
      const [ms, js, as] = await Promise.all([api('/api/machines'), api('/api/jobs?limit=50'), api('/api/alerts?state=open')]);
      if (!conn.polling) return;
      page.polls++;
      conn.pollFailures = 0;
      setConn('polling');
      applySnapshot({ machines: ms, jobs: js, alerts: as });
    } catch (e) {
      conn.pollFailures++;
      if (conn.polling) setConn('offline', 'The master does not answer: ' + e.message);
    }
    if (conn.polling) conn.pollTimer = setTimeout(poll, POLL_MS);
  }

  // ---------------------------------------------------------------- batched rendering
  const dirty = new Set();
  let frameRequested = false;
  function schedule(part) {
    dirty.add(part);
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      const parts = new Set(dirty);
      dirty.clear();
      const all = parts.has('all');
      if (all || parts.has('machines')) { renderHeader(); renderTable(); renderDetailLive(); }
      if (all || parts.has('jobs')) { renderJobs(); renderCurrentJob(); renderHeader(); }
      if (all || parts.has('alerts')) { renderAlerts(); renderHeader(); }
      if (inventoryDirty) renderInventoryViews();
      if (page.firstRenderMs == null && machines.size > 0) {
        drawCharts(true);
        page.firstRenderMs = Math.round(performance.now());
        document.documentElement.dataset.ready = '1';
      }
    });
  }

  /** Tags, hardware and topology change rarely but are costly at 1,000 machines (RTTs alone change ~100 times a
   *  second there): drawn at once the first time, then at most every 2 s. */
  let inventoryDrawnAt = -Infinity, inventoryTimer = null, inventoryDrawnSize = 0;
  function renderInventoryViews() {
    const wait = inventoryDrawnSize === 0 ? 0 : inventoryDrawnAt + 2000 - performance.now();
    if (wait > 0) {
      if (!inventoryTimer) inventoryTimer = setTimeout(() => { inventoryTimer = null; renderInventoryViews(); }, wait);
      return;
    }
    inventoryDirty = false;
    inventoryDrawnAt = performance.now();
    inventoryDrawnSize = machines.size;
    renderTagOptions();
    renderHardware();
    renderTopology();
  }

  // ---------------------------------------------------------------- header
  function renderHeader() {
    let online = 0, offline = 0;
    for (const m of machines.values()) (m.status === 'online' ? online++ : offline++);
    const set = (id, v, some) => {
      const s = $(id);
      setText(s.querySelector('.v'), v);
      s.classList.toggle('some', !!some);
    };
    set('stat-online', online);
    set('stat-offline', offline, offline > 0);
    let running = 0, done = 0;
    for (const j of jobs.values()) (j.state === 'Queued' || j.state === 'Running') ? running++ : done++;
    if (status) {
      if (typeof status.jobsRunning === 'number') running = Math.max(running, status.jobsRunning);
      const finished = status.jobsCompleted ?? status.jobsFinished;
      if (typeof finished === 'number') done = Math.max(done, finished);
    }
    set('stat-running', running, running > 0);
    set('stat-done', done);
    const alertStat = $('stat-alerts');
    // The live list is newer than the last status poll once a snapshot said what is open.
    const firing = alertsKnown ? [...alerts.values()].filter((a) => a.state === 'firing').length
      : status && typeof status.alertsFiring === 'number' ? status.alertsFiring : null;
    if (firing !== null) {
      setText(alertStat.querySelector('.v'), firing);
      alertStat.title = 'Alerts firing (not acknowledged or silenced)';
      alertStat.classList.toggle('some', firing > 0);
    } else {
      setText(alertStat.querySelector('.v'), '—');
      alertStat.title = 'No alert rules yet';
    }
    if (status && status.version) setText($('version'), 'master ' + status.version);
  }

  async function refreshStatus() {
    try {
      status = await api('/api/status');
      renderHeader();
    } catch { /* the badge says what the connection does */ }
    setTimeout(refreshStatus, STATUS_MS);
  }

  // ---------------------------------------------------------------- machine table
  const sorters = {
    name: (m) => m.name,
    status: (m) => (m.status === 'online' ? 0 : 1),
    cpu: (m) => num(m.latest?.cpuPercent) ?? -1,
    mem: (m) => num(m.latest?.memoryUsedPercent) ?? -1,
    gpu: (m) => num(m.latest?.gpuUtilizationPercent) ?? -1,
    rx: (m) => num(m.latest?.networkReceiveBytesPerSecond) ?? -1,
    tx: (m) => num(m.latest?.networkTransmitBytesPerSecond) ?? -1,
    disk: (m) => num(m.latest?.diskUsedPercentMax) ?? -1,
    seen: (m) => ts(m.lastSeen) || 0,
  };

  function tagList(m) {
    return Object.entries(m.tags || {}).map(([k, v]) => k + '=' + v);
  }

  function matches(m) {
    if (view.status && m.status !== view.status) return false;
    if (view.tag && !tagList(m).includes(view.tag)) return false;
    if (view.search) {
      const q = view.search;
      if (m.name.toLowerCase().includes(q)) return true;
      if (tagList(m).some((t) => t.toLowerCase().includes(q))) return true;
      const inv = m.inventory || {};
      if ((inv.cpuModel || '').toLowerCase().includes(q)) return true;
      if ((inv.hostName || '').toLowerCase().includes(q)) return true;
      return false;
    }
    return true;
  }

  function computeFiltered() {
    const key = sorters[view.sort] || sorters.name;
    const list = [];
    for (const m of machines.values()) if (matches(m)) list.push(m);
    const dir = view.dir;
    list.sort((a, b) => {
      const ka = key(a), kb = key(b);
      if (ka < kb) return -dir;
      if (ka > kb) return dir;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    filtered = list;
    return list;
  }

  /** Rows are built once and reused; a render only changes the text that changed. */
  const rowPool = [];
  function makeRow() {
    const cb = el('input', { type: 'checkbox', 'aria-label': 'Select' });
    const swatch = el('span', { class: 'swatch' });
    const nameBtn = el('button', { type: 'button', class: 'link' });
    const statusPill = el('span', { class: 'pill' });
    const meter = () => { const i = el('i'); const w = el('span', { class: 'meter' }, i); return { w, i }; };
    const cpuM = meter(), memM = meter(), gpuM = meter();
    const cells = {
      sel: el('td', { class: 'sel' }, cb),
      name: el('td', { class: 'name' }, swatch, nameBtn),
      status: el('td', null, statusPill),
      cpu: el('td', { class: 'num' }, el('span'), cpuM.w),
      mem: el('td', { class: 'num' }, el('span'), memM.w),
      gpu: el('td', { class: 'num' }, el('span'), gpuM.w),
      rx: el('td', { class: 'num' }),
      tx: el('td', { class: 'num' }),
      disk: el('td', { class: 'num' }),
      seen: el('td'),
      tags: el('td', { class: 'tags' }),
    };
    const tr = el('tr', null, ...Object.values(cells));
    const row = { tr, cb, swatch, nameBtn, statusPill, cells, meters: { cpu: cpuM, mem: memM, gpu: gpuM }, name: null, tagsText: null };
    cb.addEventListener('change', () => {
      if (row.name == null) return;
      if (cb.checked) selected.add(row.name); else selected.delete(row.name);
      tr.classList.toggle('selected', cb.checked);
      onSelectionChanged();
    });
    nameBtn.addEventListener('click', () => openDetail(row.name));
    return row;
  }

  function setMeter(meter, v) {
    const p = v == null ? 0 : Math.max(0, Math.min(100, v));
    const w = p.toFixed(0) + '%';
    if (meter.i.style.width !== w) meter.i.style.width = w;
    meter.w.classList.toggle('hot', p >= 90);
    meter.w.classList.toggle('warm', p >= 70 && p < 90);
    meter.w.hidden = v == null;
  }

  function renderTable() {
    const list = computeFiltered();
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    if (view.page >= pages) view.page = pages - 1;
    const from = view.page * PAGE_SIZE;
    const rows = list.slice(from, from + PAGE_SIZE);
    const body = $('machines-body');
    while (rowPool.length < rows.length) rowPool.push(makeRow());
    const now = Date.now();
    rows.forEach((m, i) => {
      const row = rowPool[i];
      if (row.tr.parentNode !== body || body.children[i] !== row.tr) body.insertBefore(row.tr, body.children[i] || null);
      if (row.name !== m.name) {
        row.name = m.name;
        setText(row.nameBtn, m.name);
        row.nameBtn.title = m.name;
        row.tr.dataset.name = m.name;
      }
      row.swatch.style.background = colour(m.name);
      const isSel = selected.has(m.name);
      row.cb.checked = isSel;
      row.tr.classList.toggle('selected', isSel);
      setText(row.statusPill, m.status);
      row.statusPill.className = 'pill ' + m.status;
      const s = m.latest || {};
      const cpu = num(s.cpuPercent), mem = num(s.memoryUsedPercent), gpu = num(s.gpuUtilizationPercent);
      setText(row.cells.cpu.firstChild, fmt1(cpu));
      setMeter(row.meters.cpu, cpu);
      setText(row.cells.mem.firstChild, fmt1(mem));
      setMeter(row.meters.mem, mem);
      setText(row.cells.gpu.firstChild, gpu == null ? '–' : fmt1(gpu));
      setMeter(row.meters.gpu, gpu);
      setText(row.cells.rx, fmtRate(num(s.networkReceiveBytesPerSecond)));
      setText(row.cells.tx, fmtRate(num(s.networkTransmitBytesPerSecond)));
      setText(row.cells.disk, fmt1(num(s.diskUsedPercentMax)));
      setText(row.cells.seen, m.lastSeen ? fmtAgo(now - ts(m.lastSeen)) : '–');
      row.cells.seen.title = m.lastSeen ? new Date(m.lastSeen).toString() : '';
      const tags = tagList(m);
      const tagsText = tags.join('\u0000');
      if (row.tagsText !== tagsText) {
        row.tagsText = tagsText;
        row.cells.tags.replaceChildren(...tags.map((t) => el('span', { class: 'tag' }, t)));
        row.cells.tags.title = tags.join(', ');
      }
    });
    for (let i = rows.length; i < rowPool.length; i++) {
      if (rowPool[i].tr.parentNode) rowPool[i].tr.remove();
      rowPool[i].name = null;
    }
    $('machines-empty').hidden = machines.size > 0;
    setText($('pg-info'), list.length === 0 ? (machines.size ? 'no machine matches the filter' : '')
      : `${from + 1}–${from + rows.length} of ${list.length}` + (pages > 1 ? ` · page ${view.page + 1} of ${pages}` : ''));
    $('pg-prev').disabled = view.page === 0;
    $('pg-next').disabled = view.page >= pages - 1;
    setText($('f-count'), list.length === machines.size ? `${machines.size} machines` : `${list.length} of ${machines.size} machines`);
    const allSel = list.length > 0 && list.every((m) => selected.has(m.name));
    $('sel-all').checked = allSel;
    $('sel-all').indeterminate = !allSel && list.some((m) => selected.has(m.name));
    for (const th of document.querySelectorAll('#machines th[data-sort]')) {
      th.classList.toggle('sorted-asc', th.dataset.sort === view.sort && view.dir === 1);
      th.classList.toggle('sorted-desc', th.dataset.sort === view.sort && view.dir === -1);
    }
    renderSelectionInfo();
    const lines = linesShown();
    const sig = lines.join('\u0000');
    if (sig !== lastLinesSig) { lastLinesSig = sig; chartsDirty = true; }
  }

  let tagOptionsSig = '';
  function renderTagOptions() {
    const counts = new Map();
    for (const m of machines.values()) for (const t of tagList(m)) counts.set(t, (counts.get(t) || 0) + 1);
    const tags = [...counts.keys()].sort().slice(0, 2000);
    const sig = tags.map((t) => t + '#' + counts.get(t)).join('\u0000');
    if (sig === tagOptionsSig) return;
    tagOptionsSig = sig;
    const sel = $('f-tag');
    const keep = sel.value;
    sel.replaceChildren(el('option', { value: '' }, 'any tag'), ...tags.map((t) => el('option', { value: t }, `${t} (${counts.get(t)})`)));
    sel.value = tags.includes(keep) ? keep : '';
    if (sel.value !== keep) { view.tag = sel.value; schedule('machines'); }
  }

  function renderSelectionInfo() {
    setText($('sel-info'), selected.size ? `${selected.size} selected` : '');
    setText($('cmd-sel-n'), `(${selected.size})`);
    $('sel-clear').hidden = selected.size === 0;
    let online = 0;
    for (const m of machines.values()) if (m.status === 'online') online++;
    setText($('target-all-n'), `(${online})`);
    setText($('target-sel-n'), `(${selected.size})`);
  }

  function onSelectionChanged() {
    renderSelectionInfo();
    chartsDirty = true;
    schedule('machines');
  }

  // ---------------------------------------------------------------- live charts
  let lastLinesSig = '';

  /** The machines that get a line: the selected ones (up to 40), or else the first 24 of the table's order. */
  function linesShown() {
    if (selected.size) return [...selected].filter((n) => machines.has(n)).sort().slice(0, MAX_SELECTED_LINES);
    return filtered.slice(0, MAX_LINES).map((m) => m.name);
  }

  function plotlyReady() { return typeof window.Plotly === 'object' && window.Plotly && typeof window.Plotly.react === 'function'; }

  function themeLayout(extra) {
    const dark = theme === 'dark';
    const fg = dark ? '#c9d3df' : '#2a3340';
    const grid = dark ? '#263140' : '#e6eaf0';
    const base = {
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif', size: 11, color: fg },
      margin: { l: 48, r: 10, t: 26, b: 30 },
      xaxis: { type: 'date', gridcolor: grid, linecolor: grid, zeroline: false, tickfont: { size: 10 } },
      yaxis: { gridcolor: grid, linecolor: grid, zeroline: false, tickfont: { size: 10 }, rangemode: 'tozero' },
      showlegend: false,
      hovermode: 'closest',
      hoverlabel: { font: { size: 11 }, namelength: 40 },
      uirevision: 'keep',
    };
    return deepMerge(base, extra || {});
  }
  function deepMerge(a, b) {
    for (const [k, v] of Object.entries(b)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object' && !Array.isArray(a[k])) deepMerge(a[k], v);
      else a[k] = v;
    }
    return a;
  }
  const plotConfig = { displaylogo: false, responsive: true, displayModeBar: 'hover', modeBarButtonsToRemove: ['lasso2d', 'select2d', 'toImage'] };

  const chartDefs = {
    cpu: { id: 'chart-cpu', agg: 'agg-cpu', title: 'CPU busy %', aggTitle: 'Fleet CPU busy %', unit: '%', range: [0, 100] },
    mem: { id: 'chart-mem', agg: 'agg-mem', title: 'Memory used %', aggTitle: 'Fleet memory used %', unit: '%', range: [0, 100] },
    gpu: { id: 'chart-gpu', agg: 'agg-gpu', title: 'GPU utilisation %', aggTitle: 'Fleet GPU utilisation %', unit: '%', range: [0, 100] },
    net: { id: 'chart-net', agg: 'agg-net', title: 'Network in + out per machine', aggTitle: 'Fleet network in + out', unit: 'B/s', range: null },
  };

  function titleOf(text) { return { text, x: 0.01, xanchor: 'left', y: 0.98, yanchor: 'top', font: { size: 12 } }; }

  /** Benchmark runs as shaded spans on the charts: per job, from the first start to the last end of its parts
   *  on the machines that have a line, in the machine's colour when one of them ran it (overlapping spans of
   *  many machines would stack into an opaque block). */
  function runShapes(shown, since, until) {
    const shapes = [];
    const annotations = [];
    const set = new Set(shown);
    const now = Date.now();
    for (const j of jobs.values()) {
      let first = Infinity, last = -Infinity;
      const ran = [];
      for (const p of j.parts || []) {
        if (!set.has(p.machine) || !p.startedAt) continue;
        const a = ts(p.startedAt), b = p.finishedAt ? ts(p.finishedAt) : now;
        if (b < since) continue;
        first = Math.min(first, a);
        last = Math.max(last, b);
        ran.push(p.machine);
      }
      if (first !== Infinity) {
        shapes.push({ type: 'rect', xref: 'x', yref: 'paper', x0: first, x1: Math.max(last, first + 500), y0: 0, y1: 1,
          fillcolor: ran.length === 1 ? colour(ran[0]) : (theme === 'dark' ? '#8fa6c8' : '#6c7f9c'), opacity: 0.14, line: { width: 0 }, layer: 'below',
          name: 'run ' + j.id });
        const x = Math.max(first, since);
        // Labels of runs in the right half read leftwards, so they stay inside the plot.
        annotations.push({ x, xref: 'x', y: 1, yref: 'paper', yanchor: 'top', xanchor: x > (since + until) / 2 ? 'right' : 'left', showarrow: false,
          bgcolor: theme === 'dark' ? 'rgba(23,30,40,0.8)' : 'rgba(255,255,255,0.8)',
          text: '▸ ' + esc(j.benchmark) + (ran.length === 1 ? ' · ' + esc(short(ran[0])) : ' · ' + ran.length + ' machines'), font: { size: 10, color: theme === 'dark' ? '#9fb3cf' : '#51607a' } });
      }
    }
    return { shapes, annotations };
  }

  function drawCharts(force) {
    if (!plotlyReady()) {
      for (const d of Object.values(chartDefs)) {
        for (const id of [d.id, d.agg]) if (!$(id).querySelector('.no-plotly')) $(id).replaceChildren(el('div', { class: 'no-plotly' }, 'plotly.js did not load from the master (/plotly.min.js): charts are unavailable.'));
      }
      return;
    }
    if (!force && !chartsDirty) return;
    chartsDirty = false;
    page.chartDraws++;
    const now = Date.now();
    const since = now - WINDOW_MS;
    agg.prune(now);
    const shown = linesShown();
    // The window is 10 minutes, but a page that has only a minute of data shows that minute, not a flat line at the edge.
    let first = Infinity;
    for (const name of shown) { const r = series.get(name); if (r && r.len) first = Math.min(first, Math.max(r.firstT(), since)); }
    for (const k of agg.buckets.keys()) first = Math.min(first, Math.max(k * agg.stepMs, since));
    const x0 = Math.max(since, Math.min(first, now - 60000));
    const marks = runShapes(shown, x0, now);
    const hidden = Math.max(0, filtered.length - shown.length);
    setText($('lines-info'), selected.size
      ? `lines: ${shown.length} selected machine${shown.length === 1 ? '' : 's'}` + (selected.size > shown.length ? ` (the first ${shown.length} of ${selected.size})` : '')
      : `lines: ${shown.length} of ${filtered.length} machines matching the filter` + (hidden ? `, in table order (${hidden} not drawn: filter, sort or select rows to choose)` : ''));
    for (const [metric, d] of Object.entries(chartDefs)) {
      const traces = [];
      let any = false;
      for (const name of shown) {
        const r = series.get(name);
        if (!r) continue;
        const m = machines.get(name);
        const gap = Math.max(5000, 3500 * (num(m?.latest?.intervalSeconds) || 1));
        const { x, y } = r.arrays(metric, since, gap);
        if (y.some((v) => v != null)) any = true;
        traces.push({
          type: 'scatter', mode: 'lines', name: esc(short(name)), x, y,
          line: { color: colour(name), width: 1.4 },
          hovertemplate: esc(name) + '<br>' + (metric === 'net' ? '%{y:.3s}B/s' : '%{y:.1f}%') + '<extra></extra>',
          connectgaps: false,
        });
      }
      const legend = shown.length <= LEGEND_LINES;
      const layout = themeLayout({
        title: titleOf(d.title),
        showlegend: legend,
        legend: { orientation: 'v', x: 1.01, xanchor: 'left', y: 1, yanchor: 'top', font: { size: 10 }, bgcolor: 'rgba(0,0,0,0)', itemclick: 'toggle' },
        margin: { r: legend ? 8 : 10 },
        yaxis: d.range ? { range: d.range, autorange: false, ticksuffix: '' } : { tickformat: '.2s', ticksuffix: 'B/s', autorange: true },
        xaxis: { range: [x0, now], autorange: false },
        shapes: marks.shapes,
        annotations: marks.annotations.concat(any ? [] : [{ text: metric === 'gpu' ? 'no GPU reported by the machines shown' : 'waiting for samples…', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false, font: { size: 12 } }]),
      });
      Plotly.react(d.id, traces, layout, plotConfig);
      drawAggregate(metric, d, since, x0, now);
    }
    let n = 0;
    for (const m of machines.values()) if (m.latest) n++;
    setText($('agg-info'), `all ${n} reporting machines: average, maximum and the min–max band, ${agg.stepMs / 1000} s buckets`);
  }

  function drawAggregate(metric, d, since, x0, now) {
    const s = agg.series(metric, since, now);
    const dark = theme === 'dark';
    const band = dark ? 'rgba(91,147,240,0.18)' : 'rgba(36,99,209,0.12)';
    const avgC = dark ? '#5b93f0' : '#2463d1';
    const maxC = dark ? '#ff8a5c' : '#d9531e';
    const fmtH = metric === 'net' ? '%{y:.3s}B/s' : '%{y:.1f}%';
    const traces = [
      { type: 'scatter', mode: 'lines', name: 'min', x: s.x, y: s.min, line: { width: 0 }, hovertemplate: fmtH, showlegend: false, connectgaps: false },
      { type: 'scatter', mode: 'lines', name: 'min–max', x: s.x, y: s.max, fill: 'tonexty', fillcolor: band, line: { width: 0 }, hoverinfo: 'skip', showlegend: false, connectgaps: false },
      { type: 'scatter', mode: 'lines', name: 'max', x: s.x, y: s.max, line: { color: maxC, width: 1.3, dash: 'dot' }, hovertemplate: fmtH, connectgaps: false },
      { type: 'scatter', mode: 'lines', name: 'average', x: s.x, y: s.avg, line: { color: avgC, width: 2 }, hovertemplate: fmtH, connectgaps: false },
    ];
    const layout = themeLayout({
      title: titleOf(d.aggTitle),
      margin: { l: 42, r: 8, t: 24, b: 26 },
      showlegend: true,
      legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.02, yanchor: 'bottom', font: { size: 10 }, bgcolor: 'rgba(0,0,0,0)' },
      yaxis: d.range ? { range: d.range, autorange: false } : { tickformat: '.2s', ticksuffix: 'B/s', autorange: true },
      xaxis: { range: [x0, now], autorange: false, nticks: 5 },
      annotations: s.x.length ? [] : [{ text: 'collecting the first buckets…', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false }],
    });
    Plotly.react(d.agg, traces, layout, plotConfig);
  }

  async function loadFleetHistory() {
    let h;
    try {
      h = await api('/api/fleet/history');
    } catch {
      return; // an older master: the charts fill from live samples
    }
    if (!h || !Array.isArray(h.machines)) return;
    const step = (h.stepSeconds || 2) * 1000;
    const start = ts(h.start);
    if (Number.isNaN(start)) return;
    agg.stepMs = step;
    // History replaces the aggregate buckets it covers (live samples that came first would be counted twice).
    const last = Math.max(0, ...h.machines.map((m) => (m.cpuPercent || []).length)) - 1;
    const lastKey = Math.floor((start + last * step) / step);
    for (const k of [...agg.buckets.keys()]) if (k <= lastKey) agg.buckets.delete(k);
    for (const hm of h.machines) {
      const cpu = hm.cpuPercent || [], mem = hm.memoryUsedPercent || [], gpu = hm.gpuUtilizationPercent || [];
      const rx = hm.networkReceiveBytesPerSecond || [], tx = hm.networkTransmitBytesPerSecond || [];
      const pts = [];
      for (let i = 0; i < cpu.length; i++) {
        const net = rx[i] == null && tx[i] == null ? null : (rx[i] ?? 0) + (tx[i] ?? 0);
        if (cpu[i] == null && mem[i] == null && gpu[i] == null && net == null) continue;
        const t = start + i * step;
        pts.push([t, cpu[i], mem[i], gpu[i], net]);
        agg.add(t, cpu[i], mem[i], gpu[i], net);
      }
      ringOf(hm.name).prepend(pts);
    }
    chartsDirty = true;
  }

  // ---------------------------------------------------------------- benchmarks: control panel, jobs, results
  const FALLBACK_BENCHMARKS = ['MemoryBandwidth', 'MemoryLatency', 'Cpu', 'Disk', 'Network', 'Command']
    .map((name) => ({ name, description: '', parameters: [], headline: null, outlierTolerance: 0.2 }));

  async function loadBenchmarks() {
    try {
      benchmarks = await api('/api/benchmarks');
    } catch (e) {
      benchmarks = FALLBACK_BENCHMARKS;
      setText($('run-error'), 'benchmark list unavailable: ' + e.message);
    }
    const sel = $('bench-select');
    sel.replaceChildren(...benchmarks.map((b) => el('option', { value: b.name }, b.name + (b.cliName ? ` (${b.cliName})` : ''))));
    renderParams();
  }

  function benchInfo(name) {
    return benchmarks.find((b) => b.name === name) || FALLBACK_BENCHMARKS.find((b) => b.name === name) || null;
  }

  function renderParams() {
    const b = benchInfo($('bench-select').value);
    setText($('bench-desc'), b ? (b.description || '') + (b.headline ? ` Compared by ${b.headline.value} (${b.headline.unit}, ${b.headline.higherIsBetter ? 'higher' : 'lower'} is better).` : '') : '');
    const box = $('bench-params');
    const nodes = [];
    for (const p of b?.parameters || []) {
      const id = 'param-' + p.name;
      nodes.push(el('label', { for: id, title: p.description || '' }, p.name));
      nodes.push(el('input', { id, type: 'text', placeholder: p.default || '', title: p.description || '', dataset: { param: p.name } }));
    }
    box.replaceChildren(...nodes);
  }

  async function runJob(ev) {
    ev.preventDefault();
    const errBox = $('run-error');
    setText(errBox, '');
    const benchmark = $('bench-select').value;
    if (!benchmark) { setText(errBox, 'pick a benchmark'); return; }
    const target = document.querySelector('input[name="target"]:checked').value;
    const names = target === 'selected' ? [...selected].filter((n) => machines.has(n)).sort() : [];
    if (target === 'selected' && names.length === 0) { setText(errBox, 'no machine is selected: tick rows in the table, or choose All online'); return; }
    const parameters = {};
    for (const input of $('bench-params').querySelectorAll('input[data-param]')) {
      const v = input.value.trim();
      if (v) parameters[input.dataset.param] = v;
    }
    const button = $('run-button');
    button.disabled = true;
    try {
      const job = await api('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ benchmark, machines: names, parameters }) });
      jobs.set(job.id, job);
      currentJobId = job.id;
      chartsDirty = true;
      schedule('jobs');
    } catch (e) {
      setText(errBox, e.message);
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- remote commands (admins)
  const COMMAND_WAIT_S = 25;      // each read is a long-poll: the master answers when there is something new, or after this
  const COMMAND_POLL_MS = 500;    // the least time between reads answered at once with nothing new (a master before long-polls)
  let commandRun = null;          // { id, seq, boxes: Map machine -> { state, info, out } }

  /** Runs the command line on the machines selected in the table, after a confirmation, and shows each one's output as it comes. */
  async function runCommand(ev) {
    ev.preventDefault();
    const errBox = $('cmd-error');
    setText(errBox, '');
    const command = $('cmd-line').value;
    const names = [...selected].filter((n) => machines.has(n)).sort();
    if (!command.trim()) { setText(errBox, 'type a command line'); return; }
    if (names.length === 0) { setText(errBox, 'no machine is selected: tick rows in the table'); return; }
    const timeoutSeconds = Number($('cmd-timeout').value) || 60;
    if (!window.confirm(`Run '${command}' on ${names.length} machine${names.length === 1 ? '' : 's'} (${names.join(', ')})?`)) return;
    $('cmd-run').disabled = true;
    try {
      const run = await api('/api/commands', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ machines: names, command, timeoutSeconds }) });
      showCommand(run);
      pollCommand(run.id);
    } catch (e) {
      setText(errBox, e.message);
      $('cmd-run').disabled = false;
    }
  }

  function showCommand(run) {
    const boxes = new Map();
    const nodes = run.parts.map((p) => {
      const state = el('span', { class: 'state' });
      const info = el('span', { class: 'muted small' });
      const out = el('pre', { class: 'cmd-out' });
      boxes.set(p.machine, { state, info, out });
      return el('div', { class: 'cmd-machine', dataset: { machine: p.machine } }, el('div', { class: 'cmd-head' }, el('b', null, p.machine), state, info), out);
    });
    $('cmd-results').replaceChildren(...nodes);
    commandRun = { id: run.id, seq: 0, boxes };
    applyCommand(run);
  }

  /** Appends the output after what was shown (text nodes only) and sets each machine's state, exit code and duration. */
  function applyCommand(run) {
    const c = commandRun;
    if (!c || c.id !== run.id) return;
    for (const p of run.parts) {
      const box = c.boxes.get(p.machine);
      if (!box) continue;
      for (const chunk of p.output || []) {
        if (chunk.seq > c.seq) box.out.append(el('span', { class: chunk.stream }, chunk.text));
      }
      box.state.className = 'state ' + p.state;
      setText(box.state, p.state === 'timedOut' ? 'timed out' : p.state);
      const bits = [];
      if (p.exitCode != null) bits.push('exit ' + p.exitCode);
      if (p.durationSeconds != null && p.state !== 'refused') bits.push(fmtNum(p.durationSeconds, 2) + ' s');
      if (p.truncated) bits.push('output cut at 1 MiB per stream');
      if (p.refused) bits.push('refused: ' + p.refused);
      if (p.error) bits.push(p.error);
      setText(box.info, bits.join(' · '));
    }
    c.seq = Math.max(c.seq, run.seq || 0);
    $('cmd-stop').hidden = run.done;
    $('cmd-run').disabled = !run.done;
  }

  async function pollCommand(id) {
    while (commandRun && commandRun.id === id) {
      const seen = commandRun.seq;
      const asked = Date.now();
      let run;
      try {
        run = await api('/api/commands/' + encodeURIComponent(id) + '?since=' + seen + '&wait=' + COMMAND_WAIT_S);
      } catch (e) {
        setText($('cmd-error'), e.message);
        $('cmd-run').disabled = false;
        return;
      }
      applyCommand(run);
      if (run.done) return;
      const rest = COMMAND_POLL_MS - (Date.now() - asked);
      if ((run.seq || 0) <= seen && rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  }

  async function stopCommand() {
    if (!commandRun) return;
    try { await api('/api/commands/' + encodeURIComponent(commandRun.id) + '/cancel', { method: 'POST' }); } catch (e) { setText($('cmd-error'), e.message); }
  }

  function sortedJobs() {
    return [...jobs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  function jobDuration(j) {
    const a = ts(j.createdAt);
    const b = j.finishedAt ? ts(j.finishedAt) : Date.now();
    return b - a;
  }

  function renderJobs() {
    const list = sortedJobs().slice(0, 100);
    const body = $('jobs-body');
    const rows = list.map((j) => {
      const parts = j.parts || [];
      const names = parts.map((p) => p.machine);
      const ended = j.state !== 'Queued' && j.state !== 'Running';
      const cancel = ended ? '' : el('button', { type: 'button', class: 'ghost danger small', onclick: (e) => { e.stopPropagation(); cancelJob(j.id); } }, 'Cancel');
      const done = parts.filter((p) => p.state === 'Completed').length;
      const tr = el('tr', { class: j.id === currentJobId ? 'current' : '', dataset: { id: j.id } },
        el('td', null, el('span', { class: 'state ' + j.state }, j.state)),
        el('td', null, j.benchmark),
        el('td', { title: names.join(', ') }, `${names.length} (${done} done)` + (names.length <= 3 ? ': ' + names.join(', ') : '')),
        el('td', null, fmtTime(j.createdAt)),
        el('td', { class: 'num' }, fmtDuration(jobDuration(j))),
        el('td', { class: 'muted' }, j.id),
        el('td', null, cancel));
      tr.addEventListener('click', () => { currentJobId = j.id; schedule('jobs'); });
      return tr;
    });
    body.replaceChildren(...rows);
    $('jobs-empty').hidden = list.length > 0;
    if (!currentJobId && list.length) currentJobId = list[0].id;
  }

  // ---------------------------------------------------------------- alerts
  const alertOrder = { firing: 0, acknowledged: 1, silenced: 2, resolved: 3 };
  function fmtAlertValue(a, v) {
    if (typeof v !== 'number') return '–';
    if (a.metric === 'offline') return v >= 1 ? 'offline' : 'online';
    if (a.metric === 'gpuTemperature') return fmtNum(v, 1) + ' °C';
    if (a.metric === 'load') return fmtNum(v, 2);
    return fmtNum(v, 1) + '%';
  }

  function renderAlerts() {
    const list = [...alerts.values()].sort((a, b) => (alertOrder[a.state] - alertOrder[b.state]) || (b.id - a.id));
    const open = list.filter((a) => a.state !== 'resolved');
    const shown = open.concat(list.filter((a) => a.state === 'resolved').slice(0, 20));
    const canAct = myRole === 'operator' || myRole === 'admin';
    const rows = shown.map((a) => {
      const actions = el('td', { class: 'actions' });
      if (canAct && a.state !== 'resolved') {
        if (a.state === 'firing') actions.append(el('button', { type: 'button', class: 'ghost small ack', onclick: () => alertAction(a.id, 'acknowledge') }, 'Acknowledge'));
        if (a.state === 'silenced') actions.append(el('button', { type: 'button', class: 'ghost small unsilence', onclick: () => alertAction(a.id, 'silence', { seconds: 0 }) }, 'Unsilence'));
        else actions.append(el('button', { type: 'button', class: 'ghost small silence', onclick: () => alertAction(a.id, 'silence', { seconds: 3600 }) }, 'Silence 1 h'));
      }
      const by = a.state === 'silenced' && a.silencedBy ? a.silencedBy + ' until ' + fmtTime(a.silencedUntil)
        : a.acknowledgedBy ? a.acknowledgedBy + ' ' + fmtTime(a.acknowledgedAt) : '';
      const since = a.state === 'resolved' ? 'resolved ' + fmtTime(a.resolvedAt) : fmtTime(a.firedAt);
      return el('tr', { class: a.state, dataset: { id: String(a.id), machine: a.machine, rule: a.ruleId } },
        el('td', null, el('span', { class: 'astate ' + a.state }, a.state)),
        el('td', null, el('span', { class: 'sev ' + a.severity }, a.severity)),
        el('td', { class: 'machine' }, a.machine),
        el('td', { title: a.ruleId }, a.ruleName),
        el('td', { class: 'num', title: 'fired at ' + fmtAlertValue(a, a.firedValue) }, fmtAlertValue(a, a.value)),
        el('td', null, since),
        el('td', { class: 'muted' }, by),
        actions);
    });
    $('alerts-body').replaceChildren(...rows);
    $('alerts-empty').hidden = shown.length > 0;
    const firing = open.filter((a) => a.state === 'firing').length;
    setText($('alerts-summary'), open.length ? `${open.length} open, ${firing} firing` : '');
  }

  async function alertAction(id, what, body) {
    setText($('alerts-error'), '');
    try {
      const a = await api('/api/alerts/' + encodeURIComponent(id) + '/' + what, body
        ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : { method: 'POST' });
      alerts.set(a.id, a);
      schedule('alerts');
    } catch (e) {
      setText($('alerts-error'), e.message);
    }
  }

  async function cancelJob(id) {
    try {
      const j = await api('/api/jobs/' + encodeURIComponent(id) + '/cancel', { method: 'POST' });
      jobs.set(j.id, j);
      schedule('jobs');
    } catch (e) {
      setText($('run-error'), e.message);
    }
  }

  /** Fleet median and the machines worse than it by more than the tolerance (the reports' rule; needs 3 results). */
  function outliers(values, higherIsBetter, tolerance) {
    const flagged = new Set();
    const vals = [...values.values()].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    if (vals.length === 0) return { median: NaN, flagged };
    const mid = Math.floor(vals.length / 2);
    const median = vals.length % 2 ? vals[mid] : (vals[mid - 1] + vals[mid]) / 2;
    if (vals.length < 3 || !(median > 0)) return { median, flagged };
    for (const [k, v] of values) {
      if (higherIsBetter ? v < median * (1 - tolerance) : v > median / (1 - tolerance)) flagged.add(k);
    }
    return { median, flagged };
  }

  const progressPool = new Map();
  function renderCurrentJob() {
    const j = currentJobId ? jobs.get(currentJobId) : null;
    const cancel = $('job-cancel');
    if (!j) {
      setText($('job-title'), 'No job selected');
      setText($('job-state'), '');
      setText($('job-meta'), 'Run a benchmark, or click a job in the list.');
      cancel.hidden = true;
      $('job-progress').replaceChildren();
      if (plotlyReady()) Plotly.purge('result-chart');
      $('result-chart').hidden = true;
      setText($('job-flags'), '');
      return;
    }
    setText($('job-title'), j.benchmark);
    $('result-chart').hidden = false;
    const st = $('job-state');
    setText(st, j.state);
    st.className = 'state ' + j.state;
    cancel.hidden = !(j.state === 'Queued' || j.state === 'Running');
    cancel.dataset.id = j.id;
    const parts = j.parts || [];
    const params = Object.entries(j.parameters || {}).map(([k, v]) => k + '=' + v).join(' ');
    setText($('job-meta'), `${j.id} · ${parts.length} machine${parts.length === 1 ? '' : 's'} · created ${fmtTime(j.createdAt)} · ${fmtDuration(jobDuration(j))}` + (params ? ' · ' + params : ''));

    // progress, one bar per machine (nodes reused by machine name)
    const box = $('job-progress');
    const nodes = [];
    for (const p of parts) {
      let n = progressPool.get(p.machine);
      if (!n) {
        const bar = el('i');
        n = { root: el('div', { class: 'prog' }, el('span', { class: 'n' }), el('span', { class: 's' }), el('div', { class: 'bar' }, bar)), bar };
        progressPool.set(p.machine, n);
      }
      n.root.className = 'prog ' + p.state;
      setText(n.root.children[0], p.machine);
      n.root.children[0].title = p.machine;
      const stage = p.state === 'Running' ? (p.stage || 'running') : p.state.toLowerCase();
      setText(n.root.children[1], p.state === 'Running' ? Math.round((p.progress || 0) * 100) + '%' : stage);
      n.root.title = p.machine + ': ' + stage + (p.error ? ' — ' + p.error : '');
      n.bar.style.width = Math.round((p.progress || 0) * 100) + '%';
      nodes.push(n.root);
    }
    if (progressPool.size > 2000) progressPool.clear();
    box.replaceChildren(...nodes);
    drawResults(j);
  }

  function labelBg() { return theme === 'dark' ? 'rgba(23,30,40,0.85)' : 'rgba(255,255,255,0.85)'; }

  function drawResults(j) {
    const info = benchInfo(j.benchmark);
    const flagsBox = $('job-flags');
    const parts = (j.parts || []).filter((p) => p.result);
    const failed = (j.parts || []).filter((p) => p.state === 'Failed');
    const h = info && info.headline;
    if (!plotlyReady()) return;
    if (!h) {
      Plotly.purge('result-chart');
      $('result-chart').replaceChildren(el('div', { class: 'no-plotly' }, parts.length
        ? `${j.benchmark} has no headline figure; ${parts.length} result${parts.length === 1 ? '' : 's'} — see each machine's detail view.`
        : 'Results appear here as machines finish.'));
      setText(flagsBox, failed.length ? `Failed: ${failed.map((p) => p.machine + (p.error ? ' (' + p.error + ')' : '')).join('; ')}` : '');
      return;
    }
    const values = new Map();
    for (const p of parts) {
      const v = num(p.result.values && p.result.values[h.value]);
      if (v != null && p.result.state === 'Completed') values.set(p.machine, v);
    }
    const names = [...values.keys()].sort();
    const { median, flagged } = outliers(values, h.higherIsBetter, info.outlierTolerance ?? 0.2);
    const bad = theme === 'dark' ? '#ff6b70' : '#d0343a';
    const trace = {
      type: 'bar',
      x: names.map(esc),
      y: names.map((n) => values.get(n)),
      marker: { color: names.map((n) => (flagged.has(n) ? bad : colour(n))), line: { color: names.map((n) => (flagged.has(n) ? bad : 'rgba(0,0,0,0)')), width: 2 } },
      text: names.map((n) => fmtNum(values.get(n)) + (flagged.has(n) ? ' ⚑ outlier' : '')),
      textposition: names.length > 40 ? 'none' : 'outside',
      cliponaxis: false,
      hovertemplate: '%{x}<br>%{y:.3f} ' + esc(h.unit) + '<extra></extra>',
    };
    const shapes = [], annotations = [];
    if (Number.isFinite(median)) {
      shapes.push({ type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: median, y1: median, line: { color: theme === 'dark' ? '#c9d3df' : '#2a3340', width: 1.5, dash: 'dash' } });
      annotations.push({ xref: 'paper', x: 1, xanchor: 'right', yref: 'y', y: median, yanchor: 'bottom', showarrow: false, bgcolor: labelBg(),
        text: 'median ' + fmtNum(median) + ' ' + esc(h.unit), font: { size: 11 } });
      if (values.size >= 3) {
        const tol = info.outlierTolerance ?? 0.2;
        const limit = h.higherIsBetter ? median * (1 - tol) : median / (1 - tol);
        shapes.push({ type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: limit, y1: limit, line: { color: bad, width: 1, dash: 'dot' } });
        annotations.push({ xref: 'paper', x: 0, xanchor: 'left', yref: 'y', y: limit, yanchor: 'top', showarrow: false, bgcolor: labelBg(),
          text: 'outlier limit (' + Math.round(tol * 100) + '% ' + (h.higherIsBetter ? 'below' : 'above') + ' median)', font: { size: 10, color: bad } });
      }
    }
    if (!names.length) annotations.push({ text: 'Results appear here as machines finish.', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false, font: { size: 12 } });
    const layout = themeLayout({
      title: titleOf(esc(j.benchmark) + ' · ' + esc(h.value) + ' (' + esc(h.unit) + ', ' + (h.higherIsBetter ? 'higher' : 'lower') + ' is better)'),
      xaxis: { type: 'category', automargin: true, tickangle: names.length > 8 ? -35 : 0 },
      yaxis: { title: { text: esc(h.unit) }, rangemode: 'tozero', autorange: true },
      margin: { l: 56, r: 12, t: 30, b: 40 },
      shapes, annotations, bargap: 0.25, uirevision: j.id,
    });
    if ($('result-chart').querySelector('.no-plotly')) $('result-chart').replaceChildren();
    Plotly.react('result-chart', [trace], layout, plotConfig);
    const flaggedNames = names.filter((n) => flagged.has(n));
    const nodes = [];
    if (flaggedNames.length) {
      nodes.push(el('span', { class: 'flag' }, `⚑ ${flaggedNames.length} well ${h.higherIsBetter ? 'below' : 'above'} the fleet median: `),
        flaggedNames.map((n) => `${n} (${fmtNum(values.get(n))} ${h.unit}, ${Math.round((values.get(n) / median - 1) * 100)}%)`).join(', '));
    } else if (values.size >= 3) {
      nodes.push(`No outliers: every machine is within ${Math.round((info.outlierTolerance ?? 0.2) * 100)}% of the median.`);
    } else if (values.size > 0) {
      nodes.push('Outliers are flagged from three results on.');
    }
    if (failed.length) nodes.push(el('span', { class: 'error' }, ` Failed: ${failed.map((p) => p.machine + (p.error ? ' (' + p.error + ')' : '')).join('; ')}`));
    flagsBox.replaceChildren(...nodes);
  }

  // ---------------------------------------------------------------- hardware overview
  function countTable(id, counts, unitLabel) {
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const max = rows.length ? rows[0][1] : 1;
    const shown = rows.slice(0, 30);
    const trs = shown.map(([label, n]) => el('tr', null,
      el('td', { class: 'label' }, label),
      el('td', { class: 'num' }, String(n)),
      el('td', { class: 'bar' }, el('i', { style: { width: Math.max(2, (n / max) * 100) + '%' } }))));
    if (rows.length > shown.length) trs.push(el('tr', null, el('td', { class: 'muted', colspan: '3' }, `… and ${rows.length - shown.length} more`)));
    if (!rows.length) trs.push(el('tr', null, el('td', { class: 'muted', colspan: '3' }, 'none reported')));
    $(id).replaceChildren(el('thead', null, el('tr', null, el('th', null, unitLabel), el('th', { class: 'num' }, 'count'), el('th'))), el('tbody', null, ...trs));
  }

  function renderHardware() {
    const cpu = new Map(), cores = new Map(), mem = new Map(), gpu = new Map();
    let gpus = 0;
    const inc = (map, k) => map.set(k, (map.get(k) || 0) + 1);
    for (const m of machines.values()) {
      const inv = m.inventory || {};
      inc(cpu, inv.cpuModel || 'unknown');
      inc(cores, inv.cores ? `${inv.cores} cores` + (inv.threads && inv.threads !== inv.cores ? ` / ${inv.threads} threads` : '') + (inv.sockets > 1 ? ` (${inv.sockets} sockets)` : '') : 'unknown');
      inc(mem, inv.memoryTotalBytes ? Math.round(inv.memoryTotalBytes / 2 ** 30) + ' GiB' : 'unknown');
      for (const g of inv.gpus || []) { inc(gpu, g.name || 'unknown'); gpus++; }
    }
    countTable('hw-cpu', cpu, 'model');
    countTable('hw-cores', cores, 'cores');
    countTable('hw-mem', mem, 'memory');
    countTable('hw-gpu', gpu, 'model');
    setText($('hw-info'), `${machines.size} machines, ${gpus} GPUs`);
  }

  // ---------------------------------------------------------------- topology
  function authorityOf(url) {
    try { return new URL(url).host; } catch { return url || ''; }
  }

  function renderTopology() {
    const groups = new Map();
    const masterHosts = new Set([location.host]);
    for (const m of machines.values()) if (m.source) masterHosts.add(authorityOf(m.source));
    for (const m of machines.values()) {
      const c = m.connection;
      const auth = c && c.dialled ? authorityOf(c.dialled) : '';
      const key = !c ? '?' : !auth || masterHosts.has(auth) ? 'direct' : auth;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(m);
    }
    const root = $('topology');
    const open = new Set([...root.querySelectorAll('details[open]')].map((d) => d.dataset.key));
    const first = root.children.length === 0;
    const nodes = [el('div', { class: 'topo-master' }, el('span', { class: 'node' }, 'master'), el('span', null, location.host), el('span', { class: 'muted' }, status?.version ? 'v' + status.version : ''))];
    const keys = [...groups.keys()].sort((a, b) => (a === 'direct' ? -1 : b === 'direct' ? 1 : a < b ? -1 : 1));
    let up = 0;
    for (const key of keys) {
      const list = groups.get(key).sort((a, b) => (a.name < b.name ? -1 : 1));
      const connected = list.filter((m) => m.connection ? m.connection.connected : m.status === 'online').length;
      up += connected;
      const rtts = list.map((m) => num(m.connection?.rttMilliseconds)).filter((v) => v != null).sort((a, b) => a - b);
      const med = rtts.length ? rtts[Math.floor(rtts.length / 2)] : null;
      const label = key === 'direct' ? 'direct' : key === '?' ? 'connection unknown' : 'via relay ' + key;
      const machinesBox = el('div', { class: 'topo-machines' }, ...list.map((m) => {
        const c = m.connection;
        const isUp = c ? c.connected : m.status === 'online';
        const rtt = num(c?.rttMilliseconds);
        const since = c?.since ? (isUp ? 'connected ' : 'disconnected ') + fmtAgo(Date.now() - ts(c.since)) : '';
        const btn = el('button', { type: 'button', class: 'link n', title: [m.name, c?.remote ? 'from ' + c.remote : '', c?.dialled ? 'dialled ' + c.dialled : '', since, m.agentVersion ? 'agent ' + m.agentVersion : ''].filter(Boolean).join('\n') }, m.name);
        btn.addEventListener('click', () => openDetail(m.name));
        return el('div', { class: 'topo-m' }, el('span', { class: 'dot' + (isUp ? ' up' : '') }), btn, el('span', { class: 'r' }, rtt != null ? fmtNum(rtt, 1) + ' ms' : isUp ? '…' : 'down'));
      }));
      const d = el('details', { class: 'topo-group', dataset: { key } },
        el('summary', null, label, el('span', { class: 'sum' }, `${connected}/${list.length} connected` + (med != null ? ` · median RTT ${fmtNum(med, 1)} ms` : ''))),
        machinesBox);
      if (open.has(key) || (first && list.length <= 60) || (first && groups.size === 1)) d.open = true;
      nodes.push(d);
    }
    root.replaceChildren(...nodes);
    setText($('topo-info'), `${up} of ${machines.size} agents connected, ${keys.filter((k) => k !== 'direct' && k !== '?').length} relays`);
  }

  // ---------------------------------------------------------------- detail view
  let detailTimer = null;
  let detailSeq = 0;

  function openDetail(name) {
    if (name == null) return;
    const hash = '#machine=' + encodeURIComponent(name);
    if (location.hash !== hash) location.hash = hash; else showDetail(name);
  }

  function closeDetail() {
    if (location.hash.startsWith('#machine=')) history.pushState(null, '', location.pathname + location.search);
    hideDetail();
  }

  function hideDetail() {
    detailName = null;
    $('detail').hidden = true;
    clearInterval(detailTimer);
    if (plotlyReady()) for (const id of ['d-cpu', 'd-mem', 'd-net', 'd-gpu']) Plotly.purge(id);
  }

  function onHash() {
    const h = location.hash;
    if (h.startsWith('#machine=')) {
      let name;
      try { name = decodeURIComponent(h.slice('#machine='.length)); } catch { name = null; }
      if (name != null) { showDetail(name); return; }
    }
    hideDetail();
  }

  function showDetail(name) {
    detailName = name;
    $('detail').hidden = false;
    $('detail').scrollTop = 0;
    renderDetailStatic();
    renderDetailLive();
    loadDetailHistory();
    loadDetailResults();
    loadDetailConnections();
    clearInterval(detailTimer);
    detailTimer = setInterval(() => { if (detailName) { loadDetailHistory(); loadDetailConnections(); } }, 30000);
  }

  function kvRows(pairs) {
    return pairs.filter(([, v]) => v != null && v !== '').map(([k, v]) => el('tr', null, el('th', null, k), el('td', null, String(v))));
  }

  let detailStaticOf = null;
  function renderDetailStatic() {
    const name = detailName;
    const m = machines.get(name);
    detailStaticOf = m || null;
    $('d-swatch').style.background = colour(name);
    setText($('d-name'), name);
    if (!m) {
      setText($('d-status'), 'unknown');
      $('d-status').className = 'pill offline';
      setText($('d-summary'), 'The master holds no machine of this name (yet).');
      $('d-tags').replaceChildren();
      $('d-inventory').replaceChildren();
      return;
    }
    const inv = m.inventory || {};
    $('d-tags').replaceChildren(...tagList(m).map((t) => el('span', { class: 'tag' }, t)));
    const caches = (inv.caches || []).map((c) => `L${c.level} ${c.type} ${fmtBytes(c.sizeBytes)}` + (c.instances > 1 ? ` ×${c.instances}` : '')).join(', ');
    const gpus = (inv.gpus || []).map((g) => g.name + (g.memoryTotalBytes ? ` (${fmtBytes(g.memoryTotalBytes)})` : '')).join(', ');
    $('d-inventory').replaceChildren(el('tbody', null, ...kvRows([
      ['Host name', inv.hostName], ['Operating system', inv.operatingSystem], ['Kernel', inv.kernelVersion], ['Architecture', inv.architecture],
      ['CPU model', inv.cpuModel], ['Sockets / cores / threads', inv.cores ? `${inv.sockets ?? '–'} / ${inv.cores} / ${inv.threads ?? '–'}` : null],
      ['NUMA nodes', inv.numaNodes], ['Caches', caches], ['Last-level cache', inv.lastLevelCacheBytes ? fmtBytes(inv.lastLevelCacheBytes) : null],
      ['Memory', inv.memoryTotalBytes ? fmtBytes(inv.memoryTotalBytes) : null], ['GPUs', gpus || 'none'],
      ['Addresses', (inv.addresses || []).join(', ')], ['Agent version', m.agentVersion], ['Source', m.source],
    ])));
  }

  function renderDetailLive() {
    if (!detailName || $('detail').hidden) return;
    const m = machines.get(detailName);
    // The machine arrived after the link was opened, or said hello again with a new inventory.
    if ((m || null) !== detailStaticOf) renderDetailStatic();
    if (!m) return;
    const st = $('d-status');
    setText(st, m.status);
    st.className = 'pill ' + m.status;
    const inv = m.inventory || {};
    const c = m.connection;
    const s = m.latest || {};
    setText($('d-summary'), [
      inv.cpuModel, inv.cores ? inv.cores + ' cores' : '', inv.memoryTotalBytes ? fmtBytes(inv.memoryTotalBytes) : '',
      inv.operatingSystem, m.lastSeen ? 'last seen ' + fmtAgo(Date.now() - ts(m.lastSeen)) : '',
      c ? (c.connected ? 'connected' : 'disconnected') + (c.remote ? ' from ' + c.remote : '') + (num(c.rttMilliseconds) != null ? ', RTT ' + fmtNum(c.rttMilliseconds, 1) + ' ms' : '') : '',
      num(s.uptimeSeconds) != null ? 'up ' + fmtDuration(s.uptimeSeconds * 1000) : '',
      num(s.cpu?.loadAverage1) != null ? 'load ' + s.cpu.loadAverage1.toFixed(2) : '',
    ].filter(Boolean).join(' · '));
    const cores = s.cpu?.cores || [];
    $('d-cores').replaceChildren(...(cores.length ? cores.map((k) => {
      const p = Math.max(0, Math.min(100, num(k.cpuPercent) ?? 0));
      return el('div', { class: 'core', title: `core ${k.core}: user ${fmt1(num(k.userPercent))}%, system ${fmt1(num(k.systemPercent))}%, iowait ${fmt1(num(k.iowaitPercent))}%, steal ${fmt1(num(k.stealPercent))}%` },
        el('span', { class: 'muted' }, 'cpu' + k.core), el('div', { class: 'b' }, el('i', { style: { width: p.toFixed(0) + '%' } })), el('span', { class: 'p' }, p.toFixed(0) + '%'));
    }) : [el('span', { class: 'muted' }, 'no sample yet')]));
    const fs = s.fileSystems || [];
    $('d-fs').replaceChildren(
      el('thead', null, el('tr', null, ...['Mount', 'Device', 'Type', 'Size', 'Used', 'Avail', 'Used %'].map((h, i) => el('th', { class: i >= 3 ? 'num' : null }, h)))),
      el('tbody', null, ...(fs.length ? fs.map((f) => el('tr', null, el('td', null, f.mountPoint), el('td', null, f.device), el('td', null, f.type),
        el('td', { class: 'num' }, fmtBytes(f.totalBytes)), el('td', { class: 'num' }, fmtBytes(f.usedBytes)), el('td', { class: 'num' }, fmtBytes(f.availableBytes)),
        el('td', { class: 'num' + (f.usedPercent >= 90 ? ' flag' : '') }, fmt1(num(f.usedPercent))))) : [el('tr', null, el('td', { class: 'muted', colspan: '7' }, 'none reported'))])));
    const gpus = s.gpus || [];
    $('d-gpus').replaceChildren(
      el('thead', null, el('tr', null, ...['#', 'Name', 'Util %', 'Memory', 'Temp °C', 'Power W'].map((h, i) => el('th', { class: i >= 2 ? 'num' : null }, h)))),
      el('tbody', null, ...(gpus.length ? gpus.map((g) => el('tr', null, el('td', null, String(g.index ?? '')), el('td', null, g.name),
        el('td', { class: 'num' }, fmt1(num(g.utilizationPercent))),
        el('td', { class: 'num' }, g.memoryTotalBytes ? `${fmtBytes(g.memoryUsedBytes)} / ${fmtBytes(g.memoryTotalBytes)}` : '–'),
        el('td', { class: 'num' }, fmt1(num(g.temperatureCelsius))), el('td', { class: 'num' }, fmt1(num(g.powerDrawWatts))))) : [el('tr', null, el('td', { class: 'muted', colspan: '6' }, 'no GPUs'))])));
  }

  let detailResults = [];
  async function loadDetailHistory() {
    const name = detailName;
    if (!name) return;
    const seq = ++detailSeq;
    for (const b of document.querySelectorAll('#d-ranges button')) b.classList.toggle('on', Number(b.dataset.range) === detailRange);
    const until = new Date();
    const since = new Date(until.getTime() - detailRange * 1000);
    setText($('d-hist-info'), 'loading…');
    let series;
    try {
      series = await api(`/api/machines/${encodeURIComponent(name)}/metrics?since=${encodeURIComponent(since.toISOString())}&until=${encodeURIComponent(until.toISOString())}`);
    } catch (e) {
      if (seq === detailSeq) setText($('d-hist-info'), e.message);
      return;
    }
    if (seq !== detailSeq || name !== detailName || !plotlyReady()) return;
    const pts = series.points || [];
    setText($('d-hist-info'), `${pts.length} points, ${series.stepSeconds} s steps`);
    const x = pts.map((p) => ts(p.t));
    const stepMs = (series.stepSeconds || 1) * 1000;
    // a gap (no point for a step) is a gap in the line
    const withGaps = (ys) => {
      const gx = [], gy = [];
      for (let i = 0; i < x.length; i++) {
        if (i > 0 && x[i] - x[i - 1] > stepMs * 2.5) { gx.push(x[i - 1] + stepMs); gy.push(null); }
        gx.push(x[i]);
        gy.push(ys[i] ?? null);
      }
      return { x: gx, y: gy };
    };
    const c = colour(name);
    const mode = pts.length < 40 ? 'lines+markers' : 'lines';
    const line = (ys, label, extra) => Object.assign({ type: 'scatter', mode, marker: { size: 4, color: c }, name: label, line: { color: c, width: 1.6 }, connectgaps: false }, withGaps(ys), extra || {});
    const marks = detailMarks(since.getTime());
    const common = (title, y) => themeLayout({ title: titleOf(title), xaxis: { range: [since.getTime(), until.getTime()], autorange: false }, yaxis: y, shapes: marks.shapes, annotations: marks.annotations, showlegend: true,
      legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.02, yanchor: 'bottom', font: { size: 10 }, bgcolor: 'rgba(0,0,0,0)' } });
    const pct = { range: [0, 100], autorange: false };
    const net = { tickformat: '.2s', ticksuffix: 'B/s', autorange: true };
    Plotly.react('d-cpu', [
      line(pts.map((p) => p.cpuPercent), 'mean'),
      line(pts.map((p) => p.cpuPercentMax), 'max', { line: { color: c, width: 1, dash: 'dot' } }),
    ].map((t) => Object.assign(t, { hovertemplate: '%{y:.1f}%' })), common('CPU busy %', pct), plotConfig);
    Plotly.react('d-mem', [line(pts.map((p) => p.memoryUsedPercent), 'used', { hovertemplate: '%{y:.1f}%' })], common('Memory used %', pct), plotConfig);
    Plotly.react('d-net', [
      line(pts.map((p) => p.networkReceiveBytesPerSecond), 'in', { hovertemplate: '%{y:.3s}B/s' }),
      line(pts.map((p) => p.networkTransmitBytesPerSecond), 'out', { line: { color: c, width: 1.2, dash: 'dash' }, hovertemplate: '%{y:.3s}B/s' }),
    ], common('Network', net), plotConfig);
    const hasGpu = pts.some((p) => p.gpuUtilizationPercent != null);
    const gpuLayout = common('GPU utilisation %', pct);
    if (!hasGpu) gpuLayout.annotations = gpuLayout.annotations.concat([{ text: 'no GPU figures in this range', xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false }]);
    Plotly.react('d-gpu', [line(pts.map((p) => p.gpuUtilizationPercent), 'utilisation', { hovertemplate: '%{y:.1f}%' })], gpuLayout, plotConfig);
  }

  function detailMarks(since) {
    const shapes = [], annotations = [];
    for (const r of detailResults) {
      const a = ts(r.startedAt), b = ts(r.finishedAt) || a;
      if (!(b >= since)) continue;
      shapes.push({ type: 'rect', xref: 'x', yref: 'paper', x0: a, x1: Math.max(b, a + 1000), y0: 0, y1: 1, fillcolor: colour(detailName), opacity: 0.16, line: { width: 0 }, layer: 'below' });
      annotations.push({ x: Math.max(a, since), xref: 'x', y: 1, yref: 'paper', yanchor: 'top', xanchor: 'left', showarrow: false, text: esc(r.benchmark), font: { size: 9 } });
    }
    return { shapes, annotations };
  }

  async function loadDetailResults() {
    const name = detailName;
    const box = $('d-results');
    let results;
    try {
      results = await api('/api/results?limit=50&machine=' + encodeURIComponent(name));
    } catch (e) {
      box.replaceChildren(el('tbody', null, el('tr', null, el('td', { class: 'error' }, e.message))));
      return;
    }
    if (name !== detailName) return;
    // A machine name with a comma would split in the filter; keep only this machine's.
    detailResults = results.filter((r) => r.machine === name);
    const head = el('thead', null, el('tr', null, ...['Finished', 'Benchmark', 'State', 'Headline', 'Other figures', 'Duration', 'Job'].map((h) => el('th', null, h))));
    const rows = detailResults.map((r) => {
      const info = benchInfo(r.benchmark);
      const h = info && info.headline;
      const v = h ? num(r.values?.[h.value]) : null;
      const others = Object.entries(r.values || {}).filter(([k]) => !h || k !== h.value).slice(0, 4).map(([k, x]) => `${k} ${fmtNum(x)}`).join(', ');
      return el('tr', { title: (r.warnings || []).join('\n') || (r.error || '') },
        el('td', null, fmtTime(r.finishedAt)), el('td', null, r.benchmark), el('td', null, el('span', { class: 'state ' + r.state }, r.state)),
        el('td', { class: 'num' }, v != null ? `${fmtNum(v)} ${h.unit}` : '–'), el('td', { class: 'muted' }, r.error || others),
        el('td', { class: 'num' }, fmtDuration((num(r.durationSeconds) ?? NaN) * 1000)), el('td', { class: 'muted' }, r.jobId || ''));
    });
    if (!rows.length) rows.push(el('tr', null, el('td', { class: 'muted', colspan: '7' }, 'no benchmark results for this machine')));
    box.replaceChildren(head, el('tbody', null, ...rows));
    if (detailResults.length) loadDetailHistory(); // marks the runs on the history charts
  }

  async function loadDetailConnections() {
    const name = detailName;
    const box = $('d-conn');
    let h;
    try {
      h = await api(`/api/machines/${encodeURIComponent(name)}/connections`);
    } catch (e) {
      if (name !== detailName) return;
      setText($('d-conn-summary'), e.status === 404 && machines.has(name) ? 'This master keeps no connection history.' : e.message);
      box.replaceChildren();
      return;
    }
    if (name !== detailName) return;
    const share = num(h.uptimeShare);
    setText($('d-conn-summary'), `${share != null ? (share * 100).toFixed(share > 0.999 ? 1 : 2) + '% connected' : ''} · ${h.connects} connects · ${h.disconnects} disconnects, ${fmtTime(h.since)} to ${fmtTime(h.until)}`);
    const events = (h.events || []).slice().reverse();
    box.replaceChildren(
      el('thead', null, el('tr', null, el('th', null, 'At'), el('th', null, 'Event'), el('th', null, 'Remote'), el('th', null, 'Detail'))),
      el('tbody', null, ...(events.length ? events.slice(0, 200).map((e) => el('tr', null, el('td', null, fmtTime(e.at)),
        el('td', null, el('span', { class: 'state ' + (e.event === 'connected' ? 'Completed' : e.event === 'offline' ? 'Failed' : 'Cancelled') }, e.event)),
        el('td', null, e.remote || ''), el('td', { class: 'muted' }, e.detail || ''))) : [el('tr', null, el('td', { class: 'muted', colspan: '4' }, 'no events in this window'))])));
  }

  // ---------------------------------------------------------------- theme
  function applyTheme(t) {
    theme = t === 'dark' ? 'dark' : 'light';
    document.documentElement.dataset.theme = theme;
    setText($('theme-toggle'), theme === 'dark' ? 'Light' : 'Dark');
    chartsDirty = true;
    if (plotlyReady()) {
      drawCharts(true);
      const j = currentJobId && jobs.get(currentJobId);
      if (j) drawResults(j);
      if (detailName) loadDetailHistory();
    }
    schedule('all');
  }

  // ---------------------------------------------------------------- wiring
  function wire() {
    if (myRole === 'admin') {
      $('sec-commands').hidden = false;
      $('cmd-form').addEventListener('submit', runCommand);
      $('cmd-stop').addEventListener('click', stopCommand);
    }
    $('f-search').addEventListener('input', (e) => { view.search = e.target.value.trim().toLowerCase(); view.page = 0; schedule('machines'); });
    $('f-status').addEventListener('change', (e) => { view.status = e.target.value; view.page = 0; schedule('machines'); });
    $('f-tag').addEventListener('change', (e) => { view.tag = e.target.value; view.page = 0; schedule('machines'); });
    $('pg-prev').addEventListener('click', () => { view.page = Math.max(0, view.page - 1); schedule('machines'); });
    $('pg-next').addEventListener('click', () => { view.page++; schedule('machines'); });
    for (const th of document.querySelectorAll('#machines th[data-sort]')) {
      th.addEventListener('click', () => {
        const k = th.dataset.sort;
        if (view.sort === k) view.dir = -view.dir;
        else { view.sort = k; view.dir = k === 'name' || k === 'status' ? 1 : -1; }
        schedule('machines');
      });
    }
    $('sel-all').addEventListener('change', (e) => {
      for (const m of filtered) if (e.target.checked) selected.add(m.name); else selected.delete(m.name);
      onSelectionChanged();
    });
    $('sel-clear').addEventListener('click', () => { selected.clear(); onSelectionChanged(); });
    $('bench-select').addEventListener('change', renderParams);
    $('run-form').addEventListener('submit', runJob);
    $('job-cancel').addEventListener('click', (e) => cancelJob(e.currentTarget.dataset.id));
    $('theme-toggle').addEventListener('click', () => {
      const t = theme === 'dark' ? 'light' : 'dark';
      localStorage.setItem(THEME_KEY, t);
      applyTheme(t);
    });
    for (const b of document.querySelectorAll('#nav button')) {
      b.addEventListener('click', () => { hideDetailForNav(); $(b.dataset.target).scrollIntoView({ behavior: 'smooth', block: 'start' }); });
    }
    $('d-close').addEventListener('click', closeDetail);
    for (const b of document.querySelectorAll('#d-ranges button')) {
      b.addEventListener('click', () => { detailRange = Number(b.dataset.range); localStorage.setItem(RANGE_KEY, String(detailRange)); loadDetailHistory(); });
    }
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && detailName) closeDetail(); });
    window.addEventListener('hashchange', onHash);
    window.addEventListener('popstate', onHash);
    const mq = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
    if (mq && mq.addEventListener) mq.addEventListener('change', (e) => { if (!localStorage.getItem(THEME_KEY)) applyTheme(e.matches ? 'dark' : 'light'); });
  }

  function hideDetailForNav() { if (detailName) closeDetail(); }

  /** Asks the master whether a login is needed; shows the sign-in form until there is a session. True when the page may go on. */
  async function signIn() {
    let status;
    try { status = await api('/api/auth'); } catch { return true; } // an old master, or unreachable: the page says so itself
    myRole = status.authenticated ? status.role : null;
    if (!status.loginRequired || status.authenticated) {
      if (status.loginRequired) {
        setText($('who'), status.user + ' (' + status.role + ')');
        $('who').hidden = false;
        $('logout').hidden = false;
        $('logout').addEventListener('click', async () => { try { await api('/api/logout', { method: 'POST' }); } catch { /* gone anyway */ } location.reload(); });
      }
      return true;
    }
    $('login').hidden = false;
    document.body.classList.add('signed-out');
    $('login-user').focus();
    $('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      setText($('login-error'), '');
      $('login-submit').disabled = true;
      try {
        await api('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ user: $('login-user').value, password: $('login-password').value }) });
        location.reload();
      } catch (err) {
        setText($('login-error'), err.message);
        $('login-submit').disabled = false;
      }
    });
    return false;
  }

  async function start() {
    const saved = localStorage.getItem(THEME_KEY);
    const prefersDark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
    theme = saved === 'dark' || saved === 'light' ? saved : prefersDark ? 'dark' : 'light';
    document.documentElement.dataset.theme = theme;
    setText($('theme-toggle'), theme === 'dark' ? 'Light' : 'Dark');
    if (!(await signIn())) return;
    wire();
    setConn('connecting');
    renderCurrentJob();
    // History first so the live samples extend it; the WebSocket connects at once either way.
    loadFleetHistory().then(() => { chartsDirty = true; });
    connect();
    refreshStatus();
    loadBenchmarks();
    api('/api/jobs?limit=50').then((list) => { for (const j of list) if (!jobs.has(j.id)) jobs.set(j.id, j); schedule('jobs'); }).catch(() => {});
    // Recently resolved alerts (the stream carries only what is open and what changes from now on).
    api('/api/alerts?limit=50').then((list) => { for (const a of list) if (!alerts.has(a.id)) alerts.set(a.id, a); schedule('alerts'); }).catch(() => {});
    // Charts: at most one redraw a second; the table's "last seen" ages tick with it.
    setInterval(() => { drawCharts(false); schedule('machines'); if (currentJobId) { const j = jobs.get(currentJobId); if (j && (j.state === 'Running' || j.state === 'Queued')) schedule('jobs'); } }, CHART_MS);
    // A forced full redraw, for timing in tests and the console.
    window.addEventListener('sentinel-draw', () => drawCharts(true));
    onHash();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
