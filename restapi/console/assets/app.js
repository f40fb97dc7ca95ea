// gonnect console: plain JavaScript over the worker's own Kafka Connect REST
// API. Every URL is relative to the page (served at <worker>/ui/), so the
// console works from any worker and behind a reverse proxy's path prefix.
'use strict';

const BASE = new URL('..', location.href);
const STATES = ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING', 'UNASSIGNED'];
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'OFF'];
const enc = encodeURIComponent;

// ---------- small DOM helpers (text only: data never becomes markup) ----------
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the page's CSP, unlike a style attribute
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, kids);
  return el;
}
function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === undefined || k === null || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return el;
}
const $ = (sel, root = document) => root.querySelector(sel);
function badge(state) { return h('span', { class: `badge s-${state || 'UNASSIGNED'}`, dataset: { state: state || '' } }, state || 'UNKNOWN'); }
function typeBadge(type) { return h('span', { class: `badge plain t-${type}` }, type || '?'); }
function shortClass(cls) { return (cls || '').split('.').pop(); }
// plainText drops the HTML markup some plugins put in their documentation.
function plainText(html) {
  if (!html || !html.includes('<')) return html || '';
  return new DOMParser().parseFromString(html, 'text/html').body.textContent;
}
function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }
function ago(ts) {
  const s = Math.round((Date.now() - ts) / 1000);
  return s < 2 ? 'just now' : s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

// ---------- REST ----------
// With the REST API behind HTTP Basic authentication (Connect's
// BasicAuthSecurityRestExtension, whose 401 asks the browser nothing), the
// console signs in itself: credentials asked once, kept for the tab's
// session, sent with every call.
const AUTH_KEY = 'gonnect.authorization';
let signingIn = null;
function signIn() {
  if (!signingIn) {
    signingIn = (async () => {
      const user = h('input', { id: 'login-user', autocomplete: 'username', 'aria-label': 'User' });
      const pass = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', 'aria-label': 'Password' });
      const r = await dialog({
        title: 'Sign in', confirm: 'Sign in',
        body: h('div', { class: 'login' }, h('p', { class: 'muted' }, "This worker's REST API asks for a user and password."),
          h('label', {}, 'User', user), h('label', {}, 'Password', pass)),
      });
      if (r === null) return false;
      const utf8 = new TextEncoder().encode(`${user.value}:${pass.value}`);
      sessionStorage.setItem(AUTH_KEY, 'Basic ' + btoa(String.fromCharCode(...utf8)));
      return true;
    })().finally(() => { signingIn = null; });
  }
  return signingIn;
}

async function api(method, path, body, retried = false) {
  const opt = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) { opt.headers['Content-Type'] = 'application/json'; opt.body = JSON.stringify(body); }
  const auth = sessionStorage.getItem(AUTH_KEY);
  if (auth) opt.headers.Authorization = auth;
  let res;
  try { res = await fetch(new URL(path, BASE), opt); } catch (e) { throw new Error(`worker unreachable: ${e.message}`); }
  if (res.status === 401 && !retried) {
    sessionStorage.removeItem(AUTH_KEY);
    if (await signIn()) return api(method, path, body, true);
  }
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = text; } }
  if (!res.ok) {
    const err = new Error((data && data.message) || `${res.status} ${res.statusText}`);
    err.status = res.status; err.data = data;
    throw err;
  }
  return data;
}
const connPath = (name, rest = '') => `connectors/${enc(name)}${rest}`;

// ---------- per-task throughput and lag (the workers' own samples) ----------
// Each worker keeps the last minutes of its tasks (ui/api/history); the
// worker serving the page fetches other members' for it, so the browser
// talks to one origin.
const history = { byWorker: new Map(), fetching: new Map() };
const HISTORY_EVERY = 5000;
async function workerHistory(id) {
  const have = history.byWorker.get(id);
  if (have && Date.now() - have.at < HISTORY_EVERY) return have.data;
  if (!history.fetching.has(id)) {
    history.fetching.set(id, api('GET', `ui/api/history?worker=${enc(id)}`)
      .then(data => { history.byWorker.set(id, { at: Date.now(), data }); return data; })
      .finally(() => history.fetching.delete(id)));
  }
  return history.fetching.get(id);
}
const fmtRate = v => v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k/s` : `${v.toFixed(v >= 10 || v === 0 ? 0 : 1)}/s`;
const fmtCount = v => v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : String(v);
// spark draws values (oldest first) as a small line chart scaled to its maximum.
function spark(values, cls, label) {
  const NS = 'http://www.w3.org/2000/svg', W = 160, H = 32;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', `spark ${cls}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? W / (values.length - 1) : W;
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(H - 2 - (v / max) * (H - 4)).toFixed(1)}`);
  if (pts.length === 1) pts.push(`${W},${pts[0].split(',')[1]}`);
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', pts.join(' '));
  svg.append(line);
  return svg;
}
function throughputPanel(name) {
  const body = h('div', {}, h('span', { class: 'muted' }, 'Loading\u2026'));
  const el = h('div', { class: 'panel', id: 'throughput' }, h('h2', {}, 'Throughput and lag, last 10 minutes'), body);
  async function update(cc) {
    const st = cc.status || {};
    const tasks = st.tasks || [];
    if (!tasks.length) { body.replaceChildren(h('span', { class: 'muted' }, 'No task runs.')); return; }
    const workers = [...new Set(tasks.map(t => t.worker_id).filter(Boolean))];
    const series = new Map(), errors = [];
    await Promise.all(workers.map(async id => {
      try {
        const d = await workerHistory(id);
        for (const ts of (d && d.tasks) || []) if (ts.connector === name) series.set(`${id}/${ts.task}`, ts);
      } catch (e) { errors.push(`${id}: ${e.message}`); }
    }));
    const sink = st.type === 'sink';
    // The dead letter queue panel's count: what the running tasks sent there.
    const dlqEl = $('#dlq-count');
    if (dlqEl) {
      let n = 0;
      for (const ts of series.values()) { const ss = ts.samples || []; if (ss.length) n += ss[ss.length - 1].dlq || 0; }
      dlqEl.dataset.count = n;
      dlqEl.textContent = `${fmtCount(n)} record${n === 1 ? '' : 's'} sent there by the running tasks`;
    }
    const rows = tasks.map(t => {
      const ts = series.get(`${t.worker_id}/${t.id}`);
      const ss = (ts && ts.samples) || [];
      const last = ss[ss.length - 1];
      return h('tr', { dataset: { task: t.id, total: last ? last.total : '', rate: last ? last.rate : '', lag: last && last.lag >= 0 ? last.lag : '' } },
        h('td', {}, `task ${t.id}`), h('td', { class: 'mono' }, t.worker_id || ''),
        h('td', { class: 'num' }, last ? fmtRate(last.rate) : '\u2013'),
        h('td', {}, ss.length ? spark(ss.map(x => x.rate), 'rate', `records per second of task ${t.id}`) : h('span', { class: 'muted' }, 'no samples yet')),
        sink && h('td', { class: 'num' }, last ? fmtCount(last.lag) : '\u2013'),
        sink && h('td', {}, ss.length ? spark(ss.map(x => Math.max(0, x.lag)), 'lag', `lag of task ${t.id}`) : ''),
        h('td', { class: 'num muted' }, last ? fmtCount(last.total) : ''));
    });
    body.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Worker'), h('th', {}, sink ? 'Sent' : 'Written'), h('th', {}, ''),
        sink && h('th', {}, 'Lag'), sink && h('th', {}, ''), h('th', {}, 'Total'))),
      h('tbody', {}, rows)),
      errors.length ? h('div', { class: 'muted', style: 'margin-top:6px' }, `Not available from ${errors.join('; ')}`) : null);
  }
  return { el, update };
}

// ---------- feedback ----------
function toast(msg, bad) {
  const t = h('div', { class: bad ? 'toast bad' : 'toast', role: bad ? 'alert' : 'status' }, msg);
  $('#toasts').append(t);
  setTimeout(() => t.remove(), bad ? 8000 : 4000);
}

// dialog opens a modal; resolves with the values of its checkboxes on confirm, null on cancel.
function dialog({ title, body, confirm, danger, options = [] }) {
  const d = $('#dialog');
  d.replaceChildren();
  const boxes = options.map(o => h('input', { type: 'checkbox', name: o.name, checked: o.checked }));
  const ok = h('button', { type: 'submit', class: danger ? 'danger solid' : 'primary', value: 'ok', dataset: { role: 'confirm' } }, confirm);
  const form = h('form', { method: 'dialog' },
    h('div', { class: 'body' }, h('h2', {}, title), body,
      options.map((o, i) => h('label', { class: 'opt' }, boxes[i], h('span', {}, o.label, h('small', {}, o.help))))),
    h('div', { class: 'foot' }, h('button', { type: 'submit', value: 'cancel' }, 'Cancel'), ok));
  d.append(form);
  return new Promise(resolve => {
    d.addEventListener('close', () => {
      if (d.returnValue !== 'ok') return resolve(null);
      resolve(Object.fromEntries(boxes.map(b => [b.name, b.checked])));
    }, { once: true });
    d.returnValue = '';
    d.showModal();
    ok.focus();
  });
}

// ---------- shared state and polling ----------
const store = { info: null, connectors: null, updated: 0, error: null, listeners: new Set() };
let pollTimer = null;

async function refresh() {
  try {
    const [info, conns] = await Promise.all([
      store.info ? Promise.resolve(store.info) : api('GET', ''),
      api('GET', 'connectors?expand=status&expand=info'),
    ]);
    store.info = info; store.connectors = conns || {}; store.updated = Date.now(); store.error = null;
  } catch (e) {
    store.error = e;
  }
  renderChrome();
  for (const fn of store.listeners) { try { fn(); } catch (e) { console.error(e); } }
  schedulePoll();
}
function schedulePoll() {
  clearTimeout(pollTimer);
  if (!$('#auto').checked || document.hidden) return;
  pollTimer = setTimeout(refresh, Number($('#interval').value));
}
// soon refreshes right after an action and once more when the herder has applied it.
function soon() { refresh(); setTimeout(refresh, 1200); }

function workersSeen() {
  const ws = new Map();
  const add = (id, kind, state) => {
    if (!id) return;
    if (!ws.has(id)) ws.set(id, { id, connectors: 0, tasks: 0, states: {} });
    const w = ws.get(id);
    w[kind]++;
    if (kind === 'tasks') w.states[state] = (w.states[state] || 0) + 1;
  };
  for (const c of Object.values(store.connectors || {})) {
    const st = c.status || {};
    add(st.connector && st.connector.worker_id, 'connectors');
    for (const t of st.tasks || []) add(t.worker_id, 'tasks', t.state);
  }
  return [...ws.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function renderChrome() {
  const i = store.info;
  const cl = $('#cluster');
  cl.replaceChildren();
  if (i) {
    append(cl, [
      h('span', { title: 'Worker version' }, 'version ', h('b', { id: 'worker-version' }, i.version)),
      h('span', { title: 'Kafka cluster id' }, 'Kafka cluster ', h('b', { class: 'mono', id: 'kafka-cluster-id' }, i.kafka_cluster_id)),
    ]);
  }
  const b = $('#banner');
  b.hidden = !store.error;
  b.textContent = store.error ? `Cannot reach the worker's REST API: ${store.error.message}` : '';
  $('#updated').textContent = store.updated ? `updated ${ago(store.updated)}` : '';
}

// ---------- actions ----------
async function act(label, fn) {
  try { await fn(); toast(label); } catch (e) { toast(`${label} failed: ${e.message}`, true); }
  soon();
}
const actions = {
  pause: n => act(`Paused ${n}`, () => api('PUT', connPath(n, '/pause'))),
  resume: n => act(`Resumed ${n}`, () => api('PUT', connPath(n, '/resume'))),
  stop: n => act(`Stopped ${n}`, () => api('PUT', connPath(n, '/stop'))),
  async restart(n) {
    const o = await dialog({
      title: `Restart ${n}`, confirm: 'Restart',
      body: h('p', {}, 'Restart the connector instance, and optionally its tasks.'),
      options: [
        { name: 'includeTasks', label: 'Include tasks', help: 'Restart the tasks too (includeTasks=true).', checked: true },
        { name: 'onlyFailed', label: 'Only failed', help: 'Restart only the instances that are FAILED (onlyFailed=true).' },
      ],
    });
    if (!o) return;
    act(`Restart of ${n} requested`, () => api('POST', connPath(n, `/restart?includeTasks=${o.includeTasks}&onlyFailed=${o.onlyFailed}`)));
  },
  restartTask: (n, id) => act(`Restarted task ${id} of ${n}`, () => api('POST', connPath(n, `/tasks/${id}/restart`))),
  async remove(n) {
    const o = await dialog({
      title: `Delete ${n}?`, confirm: 'Delete', danger: true,
      body: [h('p', {}, 'The connector and its tasks stop on every worker and its configuration is removed from the config topic.'),
        h('p', { class: 'muted' }, 'Committed offsets are kept: a connector created again under the same name resumes from them.')],
    });
    if (!o) return;
    await act(`Deleted ${n}`, () => api('DELETE', connPath(n)));
    if (location.hash.startsWith('#/c/')) location.hash = '#/';
  },
};

function actionButtons(name, state, { small = true, withDelete = true } = {}) {
  const cls = small ? 'small' : '';
  const paused = state === 'PAUSED', stopped = state === 'STOPPED';
  return h('div', { class: 'actions' },
    paused || stopped
      ? h('button', { class: cls, dataset: { action: 'resume' }, onclick: () => actions.resume(name) }, '\u25B6 Resume')
      : h('button', { class: cls, dataset: { action: 'pause' }, onclick: () => actions.pause(name) }, '\u275A\u275A Pause'),
    h('button', { class: cls, dataset: { action: 'stop' }, disabled: stopped, onclick: () => actions.stop(name) }, '\u25A0 Stop'),
    h('button', { class: cls, dataset: { action: 'restart' }, onclick: () => actions.restart(name) }, '\u21BB Restart\u2026'),
    withDelete && h('button', { class: `${cls} danger`, dataset: { action: 'delete' }, onclick: () => actions.remove(name) }, 'Delete'));
}

function taskChips(status) {
  const tasks = (status && status.tasks) || [];
  if (!tasks.length) return h('span', { class: 'muted' }, 'no tasks');
  return h('div', { class: 'tasks' }, tasks.map(t => h('span', {
    class: `task s-${t.state}`, dataset: { task: t.id, state: t.state },
    title: `task ${t.id}: ${t.state} on ${t.worker_id}`,
  }, h('span', { class: 'dot' }), `#${t.id}`, h('span', { class: 'w' }, t.worker_id))));
}

// ---------- views ----------
let current = null; // the view shown: {el, update?, dispose?}

function route() {
  const hash = location.hash || '#/';
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  let view;
  if (parts[0] === 'c' && parts[1]) view = connectorView(parts[1], parts[2] || 'overview');
  else if (parts[0] === 'new') view = newView(parts[1]);
  else if (parts[0] === 'workers') view = workersView();
  else if (parts[0] === 'loggers') view = loggersView();
  else view = listView();
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.nav === view.nav);
  }
  if (current && current.update) store.listeners.delete(current.update);
  current = view;
  $('#view').replaceChildren(view.el);
  if (view.update) { store.listeners.add(view.update); if (store.connectors) view.update(); }
  if (view.focus) view.focus();
}

function listView() {
  const filter = h('input', { class: 'search', type: 'search', placeholder: 'Filter by name, class, state or worker', 'aria-label': 'Filter connectors', oninput: () => update() });
  const cards = h('div', { class: 'cards' });
  const tbody = h('tbody');
  const table = h('div', { class: 'table-wrap' }, h('table', { id: 'connectors' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Connector'), h('th', {}, 'Type'), h('th', {}, 'State'), h('th', {}, 'Worker'), h('th', {}, 'Tasks'), h('th', {}, 'Actions'))),
    tbody));
  const el = h('div', {},
    cards,
    h('div', { class: 'toolbar' }, h('h1', {}, 'Connectors'), h('span', { class: 'grow' }), filter,
      h('a', { class: 'button primary', href: '#/new', id: 'new-connector' }, '+ New connector')),
    table);

  function card(title, n, sub) { return h('div', { class: 'card' }, h('h3', {}, title), h('div', { class: 'n' }, n), h('div', { class: 'sub' }, sub)); }
  let lastSig = null;
  function update() {
    // Unchanged data leaves the DOM alone: no flicker, and a button under
    // the pointer stays the same element between polls.
    const sig = JSON.stringify([store.connectors, store.info, filter.value]);
    if (sig === lastSig) return;
    lastSig = sig;
    const all = Object.entries(store.connectors || {}).sort(([a], [b]) => a.localeCompare(b));
    const count = {}, tcount = {};
    let ntasks = 0;
    for (const [, c] of all) {
      const s = c.status && c.status.connector ? c.status.connector.state : 'UNASSIGNED';
      count[s] = (count[s] || 0) + 1;
      for (const t of (c.status && c.status.tasks) || []) { ntasks++; tcount[t.state] = (tcount[t.state] || 0) + 1; }
    }
    const breakdown = m => STATES.filter(s => m[s]).map(s => h('span', {}, h('span', { class: `badge plain s-${s}` }, m[s]), ' ', s.toLowerCase()));
    cards.replaceChildren(
      card('Connectors', all.length, breakdown(count)),
      card('Tasks', ntasks, breakdown(tcount)),
      card('Workers', workersSeen().length, h('a', { href: '#/workers' }, 'see where work runs')),
      card('This worker', h('span', { class: 'mono', style: 'font-size:14px' }, location.host), store.info ? `${store.info.version} \u00b7 ${(store.info.commit || '').slice(0, 12)}` : ''));
    const q = filter.value.trim().toLowerCase();
    const rows = all.filter(([name, c]) => {
      if (!q) return true;
      const st = c.status || {};
      const hay = [name, c.info && c.info.config['connector.class'], st.connector && st.connector.state, st.connector && st.connector.worker_id,
        ...(st.tasks || []).map(t => `${t.state} ${t.worker_id}`)].join(' ').toLowerCase();
      return hay.includes(q);
    });
    if (!store.connectors) {
      tbody.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'Loading\u2026')));
      return;
    }
    if (!rows.length) {
      tbody.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' },
        all.length ? 'No connector matches the filter.' : ['No connectors yet. ', h('a', { href: '#/new' }, 'Create one'), '.'])));
      return;
    }
    tbody.replaceChildren(...rows.map(([name, c]) => {
      const st = c.status || {}, cs = st.connector || {};
      const cls = c.info ? c.info.config['connector.class'] : '';
      return h('tr', { dataset: { connector: name } },
        h('td', { class: 'name' }, h('a', { href: `#/c/${enc(name)}` }, name), h('div', { class: 'cls', title: cls }, shortClass(cls))),
        h('td', {}, typeBadge(st.type || (c.info && c.info.type))),
        h('td', { class: 'state' }, badge(cs.state)),
        h('td', { class: 'mono' }, cs.worker_id || ''),
        h('td', {}, taskChips(st)),
        h('td', {}, actionButtons(name, cs.state)));
    }));
  }
  return { el, update, nav: 'connectors' };
}

function connectorView(name, tab) {
  const head = h('div');
  const body = h('div');
  const tabs = ['overview', 'config', 'offsets'];
  const labels = { overview: 'Overview', config: 'Configuration', offsets: 'Offsets' };
  const el = h('div', {},
    h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Connectors'), ' / ', name),
    head,
    h('div', { class: 'tabs' }, tabs.map(t => h('a', { href: `#/c/${enc(name)}/${t}`, class: t === tab ? 'active' : '', dataset: { tab: t } }, labels[t]))),
    body);
  let built = false;
  let lastState = null, lastSig = null, lastHead = null;
  let overview = null;
  let tick = null; // what changes without the status changing: the charts

  function conn() { return (store.connectors || {})[name]; }
  function update() {
    const c = conn();
    if (!c) {
      head.replaceChildren(h('div', { class: 'notice warn' }, `Connector ${name} does not exist (any more).`, h('a', { href: '#/' }, 'Back to the list')));
      return;
    }
    if (tick) tick(c);
    const st = c.status || {}, cs = st.connector || {};
    const sig = JSON.stringify(c);
    if (sig === lastSig) return;
    lastSig = sig;
    const headSig = JSON.stringify([cs.state, st.type, c.info.config['connector.class']]);
    if (headSig !== lastHead) {
      lastHead = headSig;
      head.replaceChildren(h('div', { class: 'head' },
      h('h1', {}, name), typeBadge(st.type || c.info.type), h('span', { id: 'connector-state' }, badge(cs.state)),
      h('span', { class: 'muted mono' }, c.info.config['connector.class']),
      h('span', { class: 'grow', style: 'flex:1' }),
      actionButtons(name, cs.state, { small: false })));
    }
    if (!built) { built = true; build(c); if (tick) tick(c); }
    if (overview) overview(c);
    if (lastState !== null && lastState !== cs.state && tab === 'offsets') build(c);
    lastState = cs.state;
  }
  function build(c) {
    body.replaceChildren();
    tick = null;
    if (tab === 'config') {
      body.append(configForm({
        cls: c.info.config['connector.class'], initial: c.info.config, lockName: true, submitLabel: 'Save configuration',
        async onSubmit(values) {
          const res = await api('PUT', connPath(name, '/config'), values);
          toast(`Saved the configuration of ${name}`);
          soon();
          return res;
        },
      }));
    } else if (tab === 'offsets') body.append(offsetsPanel(name, c));
    else {
      const tasksEl = h('div');
      const topicsEl = h('div', {}, h('span', { class: 'muted' }, 'Loading\u2026'));
      const cfgEl = h('div');
      const tp = throughputPanel(name);
      body.append(h('div', { class: 'grid2' },
        h('div', {}, h('div', { class: 'panel' }, h('h2', {}, 'Connector and tasks'), tasksEl), tp.el),
        h('div', {},
          h('div', { class: 'panel', id: 'topics' }, h('h2', {}, 'Active topics'), topicsEl,
            h('div', { class: 'toolbar', style: 'margin:10px 0 0' },
              h('button', { class: 'small', onclick: loadTopics }, 'Reload'),
              h('button', { class: 'small', onclick: resetTopics, title: 'PUT /connectors/{name}/topics/reset' }, 'Reset active topics'))),
          h('div', { class: 'panel', id: 'dlq' }, h('h2', {}, 'Dead letter queue'), cfgEl))));
      async function loadTopics() {
        try {
          const r = await api('GET', connPath(name, '/topics'));
          const topics = (r && r[name] && r[name].topics) || [];
          topicsEl.replaceChildren(topics.length ? h('div', { class: 'chips' }, topics.map(t => h('span', { class: 'chip' }, t)))
            : h('span', { class: 'muted' }, 'No topic used yet (topics appear once records flow).'));
        } catch (e) { topicsEl.replaceChildren(h('span', { class: 'muted' }, `Not available: ${e.message}`)); }
      }
      async function resetTopics() {
        await act(`Reset the active topics of ${name}`, () => api('PUT', connPath(name, '/topics/reset')));
        loadTopics();
      }
      loadTopics();
      tick = tp.update;
      overview = cc => {
        const st = cc.status || {}, cs = st.connector || {};
        const rows = [h('tr', { dataset: { row: 'connector' } }, h('td', {}, 'connector'), h('td', {}, badge(cs.state)), h('td', { class: 'mono' }, cs.worker_id || ''),
          h('td', {}, cs.trace && h('details', {}, h('summary', {}, 'trace'), h('pre', { class: 'trace' }, cs.trace))), h('td', {}))];
        for (const t of st.tasks || []) {
          rows.push(h('tr', { dataset: { task: t.id } }, h('td', {}, `task ${t.id}`), h('td', {}, badge(t.state)), h('td', { class: 'mono' }, t.worker_id),
            h('td', {}, t.trace && h('details', {}, h('summary', {}, 'trace'), h('pre', { class: 'trace' }, t.trace))),
            h('td', {}, h('button', { class: 'small', dataset: { action: 'restart-task' }, onclick: () => actions.restartTask(name, t.id) }, '\u21BB Restart task'))));
        }
        tasksEl.replaceChildren(h('table', { id: 'tasks' }, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'State'), h('th', {}, 'Worker'), h('th', {}, 'Error'), h('th', {}, ''))), h('tbody', {}, rows)));
        const dlq = cc.info.config['errors.deadletterqueue.topic.name'];
        const tol = cc.info.config['errors.tolerance'] || 'none';
        cfgEl.replaceChildren(
          st.type === 'source' ? h('span', { class: 'muted' }, 'Source connectors have no dead letter queue.')
            : dlq ? h('div', {}, h('span', { class: 'chip', id: 'dlq-topic' }, dlq), h('div', { class: 'muted', style: 'margin-top:6px' }, `errors.tolerance=${tol}`),
              h('div', { class: 'muted', id: 'dlq-count', style: 'margin-top:6px' }))
              : h('span', { class: 'muted' }, 'Not configured (errors.deadletterqueue.topic.name).'));
      };
    }
  }
  return { el, update, nav: 'connectors' };
}

function offsetsPanel(name, c) {
  const state = c.status && c.status.connector ? c.status.connector.state : '';
  const out = h('div', {}, h('span', { class: 'muted' }, 'Loading\u2026'));
  const stopped = state === 'STOPPED';
  const el = h('div', {},
    stopped ? null : h('div', { class: 'notice warn' }, `Offsets can be reset only while the connector is STOPPED (it is ${state}).`,
      h('button', { class: 'small', onclick: () => actions.stop(name) }, '\u25A0 Stop connector')),
    h('div', { class: 'toolbar' }, h('h2', { style: 'margin:0' }, 'Committed offsets'), h('span', { class: 'grow' }),
      h('button', { onclick: load }, 'Reload'),
      h('button', { class: 'danger', id: 'reset-offsets', disabled: !stopped, onclick: reset }, 'Reset offsets\u2026')),
    out);
  async function load() {
    try {
      const r = await api('GET', connPath(name, '/offsets'));
      const offs = (r && r.offsets) || [];
      out.replaceChildren(offs.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'offsets' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Partition'), h('th', {}, 'Offset'))),
        h('tbody', {}, offs.map(o => h('tr', {}, h('td', { class: 'mono' }, JSON.stringify(o.partition)), h('td', { class: 'mono' }, JSON.stringify(o.offset)))))))
        : h('div', { class: 'panel muted' }, 'No committed offsets.'));
    } catch (e) { out.replaceChildren(h('div', { class: 'notice bad' }, e.message)); }
  }
  async function reset() {
    const ok = await dialog({
      title: `Reset the offsets of ${name}?`, confirm: 'Reset offsets', danger: true,
      body: h('p', {}, c.status.type === 'sink' ? 'The consumer group offsets are deleted: when resumed, the connector starts from its consumer\u2019s auto.offset.reset position.'
        : 'The source offsets are deleted: when resumed, the connector starts from the beginning of its source.'),
    });
    if (!ok) return;
    // Right after a stop the tasks may still be leaving the consumer group;
    // Connect then says the reset "can be safely retried", so retry a while.
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await api('DELETE', connPath(name, '/offsets'));
        toast((r && r.message) || 'Offsets reset');
        break;
      } catch (e) {
        if (attempt < 8 && /safely retried/.test(e.message)) { await new Promise(r => setTimeout(r, 1000)); continue; }
        toast(`Reset failed: ${e.message}`, true);
        break;
      }
    }
    load();
  }
  load();
  return el;
}

// ---------- config form (create and edit) ----------
// The form is generated from the plugin's validation answer (Connect's
// ConfigInfos) and validated again, debounced, as the user types: errors
// appear next to each field. Only the values the user set are sent.
function configForm({ cls, initial, lockName, submitLabel, onSubmit }) {
  const values = { ...initial };
  if (!values['connector.class']) values['connector.class'] = cls;
  const fields = new Map(); // name -> {wrap, input, err, def, group}
  const groups = new Map(); // group -> {fs, link}
  let last = null, seq = 0, showAll = false, jsonMode = false, focused = false, loaded = false;

  const status = h('span', { class: 'cfg-status', id: 'cfg-status', 'aria-live': 'polite' }, 'Validating\u2026');
  const formError = h('div', { class: 'form-error', id: 'form-error', role: 'alert' });
  const side = h('nav', { class: 'cfg-side' });
  const groupsEl = h('div', {}, h('div', { class: 'panel muted' }, 'Loading the settings of the plugin\u2026'));
  const moreCount = h('span');
  const more = h('div', { class: 'muted', style: 'padding:4px 2px 10px', hidden: true }, moreCount, ' more settings of MEDIUM and LOW importance: ',
    h('a', { href: '#', onclick: e => { e.preventDefault(); allToggle.checked = true; showAll = true; layout(); } }, 'show all'));
  const json = h('textarea', { rows: 24, spellcheck: 'false', hidden: true, 'aria-label': 'Configuration as JSON', oninput: debounce(onJSON, 300) });
  const filter = h('input', { type: 'search', class: 'search', placeholder: 'Filter settings', 'aria-label': 'Filter settings', oninput: () => layout() });
  const allToggle = h('input', { type: 'checkbox', onchange: () => { showAll = allToggle.checked; layout(); } });
  const jsonToggle = h('input', { type: 'checkbox', onchange: () => setJSON(jsonToggle.checked) });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'cfg-submit' }, submitLabel);
  const el = h('form', { class: 'cfg', novalidate: true, onsubmit: doSubmit },
    h('div', { class: 'toolbar' }, filter,
      h('label', { title: 'Also show MEDIUM and LOW importance settings' }, allToggle, ' Show all settings'),
      h('label', {}, jsonToggle, ' Edit as JSON'), h('span', { class: 'grow' }), status),
    formError,
    h('div', { class: 'cfg-layout' }, side, h('div', {}, groupsEl, json)),
    h('div', { class: 'sticky-bar' }, submit, h('span', { class: 'muted' }, 'Validated by the worker as you type (PUT /connector-plugins/\u2026/config/validate).')));

  const schedule = debounce(validate, 250);
  async function validate() {
    const my = ++seq;
    status.className = 'cfg-status'; status.textContent = 'Validating\u2026';
    try {
      const r = await api('PUT', `connector-plugins/${enc(values['connector.class'] || cls)}/config/validate`, values);
      if (my !== seq) return;
      apply(r);
    } catch (e) {
      if (my !== seq) return;
      last = null;
      status.className = 'cfg-status bad'; status.textContent = `Validation failed: ${e.message}`;
    }
  }

  function inputFor(def, rec) {
    const id = `f-${def.name}`;
    let input;
    if (def.type === 'BOOLEAN') {
      input = h('select', { id }, h('option', { value: '' }, def.default_value != null ? `default (${def.default_value})` : '(unset)'),
        h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
    } else {
      input = h('input', {
        id, type: def.type === 'PASSWORD' ? 'password' : 'text', autocomplete: 'off', spellcheck: 'false',
        inputmode: ['INT', 'LONG', 'SHORT', 'DOUBLE'].includes(def.type) ? 'decimal' : null,
        placeholder: def.default_value != null && def.default_value !== '' ? `default: ${def.default_value}` : def.type === 'LIST' ? 'comma-separated' : '',
        list: rec && rec.length ? `${id}-list` : null,
      });
    }
    input.name = def.name;
    input.value = values[def.name] ?? '';
    input.disabled = lockName && def.name === 'name';
    input.addEventListener('input', () => {
      const v = input.value;
      if (v === '') delete values[def.name]; else values[def.name] = v;
      f().wrap.classList.toggle('set', v !== '');
      schedule();
    });
    const f = () => fields.get(def.name);
    return input;
  }

  function groupOf(name) {
    const key = name || 'Connector';
    if (!groups.has(key)) {
      const gid = `g-${key.replace(/\W+/g, '-')}`;
      const fs = h('fieldset', { id: gid, dataset: { group: key } }, h('legend', {}, key));
      const link = h('a', { href: '#', onclick: e => { e.preventDefault(); fs.scrollIntoView({ behavior: 'smooth', block: 'start' }); } }, key, h('span', { class: 'errs' }));
      groups.set(key, { fs, link, order: 0 });
    }
    return groups.get(key);
  }

  function apply(r) {
    if (!loaded) { loaded = true; groupsEl.replaceChildren(); }
    last = r;
    // Common first, then the plugin's own (ungrouped) settings, then the rest as Connect orders them.
    const order = ['Common', 'Connector', ...(r.groups || []).filter(g => g !== 'Common')];
    const seen = new Set();
    for (const c of r.configs) {
      const def = c.definition, val = c.value;
      seen.add(def.name);
      let f = fields.get(def.name);
      if (!f) {
        const rec = val.recommended_values || [];
        const input = inputFor(def, rec);
        const err = h('div', { class: 'err', id: `e-${def.name}` });
        const doc = h('div', { class: 'doc', title: 'Click to expand', onclick: () => doc.classList.toggle('open') }, plainText(def.documentation));
        const meta = h('div', { class: 'meta' }, h('span', {}, def.type), h('span', {}, def.importance),
          def.required && def.default_value == null ? h('span', { class: 'req' }, 'REQUIRED') : null);
        const wrap = h('div', { class: 'field', dataset: { field: def.name } },
          h('label', { for: input.id }, h('span', { class: 'dn' }, def.display_name || def.name), h('code', {}, def.name), meta),
          h('div', {}, input, rec.length ? h('datalist', { id: `${input.id}-list` }, rec.map(v => h('option', { value: v }))) : null, err, doc));
        f = { wrap, input, err, def, group: def.group || 'Connector', order: def.order_in_group ?? 0, idx: fields.size };
        fields.set(def.name, f);
      }
      f.visible = val.visible !== false;
      f.errors = val.errors || [];
      f.err.textContent = f.errors.join(' ');
      f.wrap.classList.toggle('has-error', f.errors.length > 0);
      f.wrap.classList.toggle('set', (values[def.name] ?? '') !== '');
      if (f.input.getAttribute('aria-invalid') !== String(f.errors.length > 0)) f.input.setAttribute('aria-invalid', String(f.errors.length > 0));
    }
    for (const [n, f] of fields) if (!seen.has(n)) { f.wrap.remove(); fields.delete(n); }
    const errs = r.error_count || 0;
    status.className = errs ? 'cfg-status bad' : 'cfg-status ok';
    status.textContent = errs ? `${errs} error${errs > 1 ? 's' : ''}` : '\u2713 Valid';
    status.dataset.errors = errs;
    layout(order);
    if (!focused && !lockName) {
      focused = true; // once, as the fields first appear: never steal focus later
      const n = fields.get('name');
      if (n) n.input.focus();
    }
  }

  let groupOrder = [];
  function layout(order) {
    if (order) groupOrder = order;
    if (!last) return;
    const q = filter.value.trim().toLowerCase();
    const byGroup = new Map();
    for (const f of fields.values()) {
      const set = (values[f.def.name] ?? '') !== '';
      let show = f.visible || set;
      if (show && q) show = [f.def.name, f.def.display_name, f.def.documentation].join(' ').toLowerCase().includes(q);
      else if (show) show = showAll || set || f.errors.length > 0 || f.def.importance === 'HIGH' || (f.def.required && f.def.default_value == null);
      f.wrap.hidden = !show;
      if (!byGroup.has(f.group)) byGroup.set(f.group, []);
      byGroup.get(f.group).push(f);
    }
    const names = [...byGroup.keys()].sort((a, b) => rank(a) - rank(b));
    function rank(g) { const i = groupOrder.indexOf(g); return i < 0 ? 1000 : i; }
    let prevGroup = null, prevLink = null;
    for (const g of names) {
      const gr = groupOf(g);
      const fs = byGroup.get(g).sort((a, b) => a.order - b.order || a.idx - b.idx);
      let prev = gr.fs.firstChild; // the legend
      for (const f of fs) { prev = place(gr.fs, prev, f.wrap); }
      const shown = fs.filter(f => !f.wrap.hidden).length;
      const errs = fs.filter(f => f.errors.length).length;
      gr.fs.hidden = shown === 0;
      gr.link.hidden = shown === 0;
      $('.errs', gr.link).textContent = errs ? String(errs) : '';
      prevGroup = place(groupsEl, prevGroup, gr.fs);
      prevLink = place(side, prevLink, gr.link);
    }
    for (const [g, gr] of groups) if (!byGroup.has(g)) { gr.fs.remove(); gr.link.remove(); }
    const hiddenCount = [...fields.values()].filter(f => f.wrap.hidden && f.visible).length;
    more.hidden = !(hiddenCount && !showAll && !q);
    moreCount.textContent = String(hiddenCount);
    place(groupsEl, prevGroup, more);
  }

  // place puts node right after prev (first when prev is null) only when it
  // is not there already: moving a node would take the focus from an input
  // the user is typing in.
  function place(parent, prev, node) {
    const want = prev ? prev.nextSibling : parent.firstChild;
    if (want !== node) parent.insertBefore(node, want);
    return node;
  }

  function setJSON(on) {
    jsonMode = on;
    if (on) json.value = JSON.stringify(values, null, 2);
    else for (const f of fields.values()) f.input.value = values[f.def.name] ?? '';
    json.hidden = !on;
    groupsEl.hidden = on;
    side.hidden = on;
  }
  function onJSON() {
    let parsed;
    try { parsed = JSON.parse(json.value); } catch (e) { formError.textContent = `JSON: ${e.message}`; return; }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) { formError.textContent = 'JSON: an object of settings is expected'; return; }
    formError.textContent = '';
    for (const k of Object.keys(values)) delete values[k];
    for (const [k, v] of Object.entries(parsed)) values[k] = v === null ? '' : String(v);
    if (lockName && initial.name) values.name = initial.name;
    validate();
  }

  async function doSubmit(e) {
    e.preventDefault();
    formError.textContent = '';
    submit.disabled = true;
    try {
      await validate();
      if (!last) return;
      if (last.error_count) {
        const first = [...fields.values()].find(f => f.errors.length);
        if (first) {
          if (jsonMode) { jsonToggle.checked = false; setJSON(false); }
          layout();
          first.wrap.scrollIntoView({ block: 'center' });
          first.input.focus();
        }
        formError.textContent = `Fix the ${last.error_count} error${last.error_count > 1 ? 's' : ''} first.`;
        return;
      }
      await onSubmit({ ...values });
    } catch (err) {
      formError.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  }

  validate();
  return el;
}

function newView(plugin) {
  const el = h('div', {}, h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Connectors'), ' / New connector'));
  if (!plugin) {
    const list = h('div', { class: 'plugins', id: 'plugins' }, h('span', { class: 'muted' }, 'Loading plugins\u2026'));
    append(el, [h('div', { class: 'toolbar' }, h('h1', {}, 'New connector: choose a plugin')), list]);
    api('GET', 'connector-plugins').then(ps => {
      list.replaceChildren(...ps.map(p => h('button', { type: 'button', class: 'plugin', dataset: { plugin: p.class }, onclick: () => { location.hash = `#/new/${enc(p.class)}`; } },
        h('span', { class: 'pn' }, shortClass(p.class)), h('span', { class: 'pc' }, p.class),
        h('span', {}, typeBadge(p.type), ' ', h('span', { class: 'muted' }, p.version || '')))));
    }).catch(e => list.replaceChildren(h('div', { class: 'notice bad' }, e.message)));
    return { el, nav: 'connectors' };
  }
  append(el, [
    h('div', { class: 'toolbar' }, h('h1', {}, `New ${shortClass(plugin)}`), h('span', { class: 'muted mono' }, plugin)),
    configForm({
      cls: plugin, initial: { 'connector.class': plugin, name: '' }, submitLabel: 'Create connector',
      async onSubmit(values) {
        const { name, ...rest } = values;
        const r = await api('POST', 'connectors', { name, config: { ...rest, name } });
        toast(`Created ${r.name}`);
        location.hash = `#/c/${enc(r.name)}`;
        soon();
      },
    }),
  ]);
  return { el, nav: 'connectors' };
}

function workersView() {
  const tbody = h('tbody');
  const self = location.host;
  const el = h('div', {},
    h('div', { class: 'toolbar' }, h('h1', {}, 'Workers')),
    h('div', { class: 'notice' }, 'Workers are listed as the status topic reports them: a worker that runs no connector or task does not appear. ',
      'The Kafka Connect REST API does not name the group leader; any worker forwards writes to it.'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'workers' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Worker'), h('th', {}, 'Connectors'), h('th', {}, 'Tasks'), h('th', {}, 'Task states'), h('th', {}, ''))), tbody)));
  function update() {
    const ws = workersSeen();
    if (!ws.length) { tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No worker reports any work yet.'))); return; }
    tbody.replaceChildren(...ws.map(w => h('tr', { dataset: { worker: w.id } },
      h('td', { class: 'mono' }, w.id, w.id === self ? h('span', { class: 'muted' }, '  (this worker)') : null),
      h('td', {}, w.connectors), h('td', {}, w.tasks),
      h('td', {}, h('div', { class: 'tasks' }, STATES.filter(s => w.states[s]).map(s => h('span', { class: `badge s-${s}` }, `${w.states[s]} ${s}`)))),
      h('td', {}, w.id !== self ? h('a', { href: `${location.protocol}//${w.id}/ui/`, rel: 'noopener' }, 'open its console') : null))));
  }
  return { el, update, nav: 'workers' };
}

function loggersView() {
  const tbody = h('tbody');
  const scope = h('select', { id: 'logger-scope', 'aria-label': 'Scope' }, h('option', { value: 'worker' }, 'this worker'), h('option', { value: 'cluster' }, 'every worker (cluster)'));
  const filter = h('input', { type: 'search', class: 'search', placeholder: 'Filter loggers', oninput: () => render() });
  const newName = h('input', { placeholder: 'logger name, e.g. org.apache.kafka.connect.runtime', style: 'min-width:340px', id: 'logger-name' });
  const newLevel = levelSelect('INFO');
  let levels = {};
  const el = h('div', {},
    h('div', { class: 'toolbar' }, h('h1', {}, 'Logger levels'), h('span', { class: 'grow' }), filter, h('label', {}, 'Apply to ', scope)),
    h('div', { class: 'table-wrap' }, h('table', { id: 'loggers' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Logger'), h('th', {}, 'Level'), h('th', {}, 'Last modified'))), tbody)),
    h('form', { class: 'toolbar', style: 'margin-top:12px', onsubmit: e => { e.preventDefault(); if (newName.value.trim()) set(newName.value.trim(), newLevel.value); } },
      newName, newLevel, h('button', { type: 'submit' }, 'Set level')));
  function levelSelect(v, onchange) {
    return h('select', { onchange }, LEVELS.map(l => h('option', { value: l, selected: l === v }, l)));
  }
  async function set(name, level) {
    try {
      await api('PUT', `admin/loggers/${enc(name)}?scope=${scope.value}`, { level });
      toast(scope.value === 'cluster' ? `${name} set to ${level} on every worker` : `${name} set to ${level} on this worker`);
    } catch (e) { toast(`Setting ${name} failed: ${e.message}`, true); }
    setTimeout(load, scope.value === 'cluster' ? 800 : 0);
  }
  function render() {
    const q = filter.value.trim().toLowerCase();
    tbody.replaceChildren(...Object.entries(levels).filter(([n]) => !q || n.toLowerCase().includes(q)).sort(([a], [b]) => a === 'root' ? -1 : b === 'root' ? 1 : a.localeCompare(b))
      .map(([n, l]) => h('tr', { dataset: { logger: n } }, h('td', { class: 'mono' }, n),
        h('td', {}, levelSelect(l.level, e => set(n, e.target.value))),
        h('td', { class: 'muted' }, l.last_modified ? new Date(l.last_modified).toLocaleString() : '\u2014'))));
  }
  async function load() {
    try { levels = await api('GET', 'admin/loggers') || {}; render(); } catch (e) { tbody.replaceChildren(h('tr', {}, h('td', { colspan: 3 }, e.message))); }
  }
  load();
  return { el, nav: 'loggers' };
}

// ---------- start ----------
window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
$('#auto').addEventListener('change', schedulePoll);
$('#interval').addEventListener('change', schedulePoll);
$('#refresh-now').addEventListener('click', refresh);
setInterval(() => { if (store.updated) $('#updated').textContent = `updated ${ago(store.updated)}`; }, 1000);
route();
refresh();
