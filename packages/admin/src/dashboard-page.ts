// The queue dashboard: one self-contained page (no build step, no external
// assets), talking to /api/v1 with the browser's credentials. Every value
// from a message (addresses, replies) is attacker-controlled: the script only
// ever sets textContent, never HTML.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smtp-relay queue</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2733; background: #f6f7f9; }
  body { margin: 0; }
  header { background: #1d2733; color: #fff; padding: 12px 20px; display: flex; align-items: baseline; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; }
  header span { opacity: .7; font-size: 13px; }
  nav { display: flex; gap: 4px; padding: 12px 20px 0; }
  nav button { border: 1px solid #c9d0d9; background: #fff; padding: 6px 14px; border-radius: 6px 6px 0 0; cursor: pointer; font-size: 14px; }
  nav button[aria-selected="true"] { background: #1d2733; color: #fff; border-color: #1d2733; }
  main { padding: 0 20px 20px; }
  table { width: 100%; border-collapse: collapse; background: #fff; font-size: 13px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e7ec; vertical-align: top; }
  th { background: #eef1f4; font-weight: 600; }
  td.reply { max-width: 420px; word-break: break-word; color: #9b2c2c; }
  td.mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .actions button { font-size: 12px; margin-right: 4px; cursor: pointer; }
  #status { font-size: 13px; margin: 8px 0; min-height: 1em; }
  .empty { padding: 16px; color: #6b7785; }
  h2 { font-size: 15px; margin: 24px 0 8px; }
  td div + div { margin-top: 2px; }
  .note { color: #6b7785; font-size: 12px; }
  .down { color: #9b2c2c; font-weight: 600; }
</style>
</head>
<body>
<header><h1>smtp-relay queue</h1><span id="updated"></span></header>
<nav id="tabs"></nav>
<main>
  <div id="status" role="status"></div>
  <table>
    <thead><tr><th>id</th><th>received</th><th>from</th><th>to</th><th>size</th><th>attempts</th><th>last reply</th><th>next attempt</th><th>route</th><th></th></tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <div id="empty" class="empty" hidden>No messages in this state.</div>
  <h2>Routes</h2>
  <table>
    <thead><tr><th>route</th><th>smart hosts</th><th>state</th><th>rate</th><th>connections</th><th>delivered</th><th>deferred</th><th>bounced</th><th>throttled</th></tr></thead>
    <tbody id="routes"></tbody>
  </table>
  <div id="no-routes" class="empty" hidden>No route status: it is published by a running sender.</div>
  <h2>Blocked clients</h2>
  <table>
    <thead><tr><th>address</th><th>reason</th><th>blocked until</th><th></th></tr></thead>
    <tbody id="blocks"></tbody>
  </table>
  <div id="no-blocks" class="empty" hidden>No client address is blocked.</div>
</main>
<script>
const STATES = ['waiting', 'delayed', 'active', 'failed', 'completed'];
let current = new URLSearchParams(location.search).get('state') || 'waiting';
const tabs = document.getElementById('tabs');
const rows = document.getElementById('rows');
const statusLine = document.getElementById('status');

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (className) td.className = className;
  return td;
}
function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }
function duration(ms) {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
  const m = Math.floor(s / 60) % 60;
  return Math.floor(s / 3600) + ' h' + (m ? ' ' + m + ' min' : '');
}
function lines(texts) {
  const td = document.createElement('td');
  td.append(...texts.map(([text, className]) => {
    const div = document.createElement('div');
    div.textContent = text;
    if (className) div.className = className;
    return div;
  }));
  return td;
}
function size(bytes) { return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + ' MiB' : bytes >= 1024 ? (bytes / 1024).toFixed(1) + ' KiB' : bytes + ' B'; }

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json', 'x-requested-with': 'smtp-relay-ui' } }, options));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

async function act(id, action) {
  if (action === 'delete' && !confirm('Delete message ' + id + '? It will not be delivered and no bounce is sent.')) return;
  try {
    const result = await api('/api/v1/messages/' + encodeURIComponent(id) + (action === 'retry' ? '/retry' : ''), { method: action === 'retry' ? 'POST' : 'DELETE' });
    statusLine.textContent = id + ': ' + result.result;
  } catch (error) {
    statusLine.textContent = id + ': ' + error.message;
  }
  await refresh();
}

function renderTabs(counts) {
  tabs.replaceChildren(...STATES.map((state) => {
    const button = document.createElement('button');
    button.textContent = state + ' (' + (counts[state] ?? 0) + ')';
    button.dataset.state = state;
    button.setAttribute('aria-selected', String(state === current));
    button.addEventListener('click', () => { current = state; history.replaceState(null, '', '?state=' + state); refresh(); });
    return button;
  }));
}

// Why a delayed message waits for its route without an attempt (docs/reference.md
// "Failover, routes and rate limits").
const WAITING = {
  held: 'its route is held (our settings: see delivery.systemic)',
  paused: 'the smart host throttles, its route is paused',
  throttled: 'the smart host throttles, its route is paused',
  rate: 'over SMART_HOST_RATE',
  'recipient-rate': 'over SMART_HOST_RECIPIENT_RATE',
  connections: "at its route's connection limit",
};

function renderRows(messages) {
  rows.replaceChildren(...messages.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    tr.append(cell(m.id, 'mono'), cell(when(m.receivedAt)), cell(m.from || '<>'), cell(m.to.join(', ')), cell(size(m.size)),
      cell(m.attempts), cell(m.throttled ? 'throttled: ' + WAITING[m.throttled] : m.lastError, 'reply'),
      cell(when(m.nextAttemptAt)), cell(m.route, 'mono'));
    const actions = document.createElement('td');
    actions.className = 'actions';
    // Failed recipients (bounced, expired) are sent to again while FAILED_RETENTION keeps the body.
    if (m.state === 'delayed' || m.state === 'failed' || m.failedRecipients.length > 0) {
      const retry = document.createElement('button');
      retry.textContent = m.state === 'delayed' ? 'retry now' : 'retry';
      retry.addEventListener('click', () => act(m.id, 'retry'));
      actions.append(retry);
    }
    if (m.state !== 'active') {
      const del = document.createElement('button');
      del.textContent = 'delete';
      del.addEventListener('click', () => act(m.id, 'delete'));
      actions.append(del);
    }
    tr.append(actions);
    return tr;
  }));
  document.getElementById('empty').hidden = messages.length > 0;
}

async function lift(address) {
  if (!confirm('Lift the block on ' + address + '? Its connections are accepted again.')) return;
  try {
    const result = await api('/api/v1/blocks/' + encodeURIComponent(address), { method: 'DELETE' });
    statusLine.textContent = result.result;
  } catch (error) {
    statusLine.textContent = address + ': ' + error.message;
  }
  await refresh();
}

function renderBlocks(blocks) {
  document.getElementById('blocks').replaceChildren(...blocks.map((b) => {
    const tr = document.createElement('tr');
    tr.dataset.address = b.address;
    const actions = document.createElement('td');
    actions.className = 'actions';
    const button = document.createElement('button');
    button.textContent = 'lift';
    button.addEventListener('click', () => lift(b.address));
    actions.append(button);
    tr.append(cell(b.address, 'mono'), cell(b.reason === 'auth' ? 'failed AUTH' : 'filter rule'), cell(when(b.until)), actions);
    return tr;
  }));
  document.getElementById('no-blocks').hidden = blocks.length > 0;
}

function routeMatch(r) {
  if (!r.match) return 'mail no other route takes';
  return [r.match.senders.length ? 'senders ' + r.match.senders.join(', ') : '', r.match.users.length ? 'users ' + r.match.users.join(', ') : '']
    .filter(Boolean).join('; ');
}
function hostLine(h) {
  const name = h.host + ':' + h.port + ' (' + h.tls + ')';
  if (h.up) return [name + ': up' + (h.failures ? ' (' + h.failures + ' failed)' : '')];
  return [name + ': down, ' + duration(h.coolingDownMs) + ' left (' + h.failures + ' failed)', 'down'];
}
function routeState(r) {
  const states = [];
  if (r.heldMs > 0) states.push(['held, ' + duration(r.heldMs) + ' left', 'down']);
  if (r.pausedMs > 0) states.push(['paused (throttled), ' + duration(r.pausedMs) + ' left, pause ' + r.pauses, 'down']);
  return states.length ? states : [['sending']];
}
function routeRate(r) {
  const usage = [];
  if (r.rate) usage.push([r.sentInWindow + ' of ' + r.rate + ' messages']);
  if (r.recipientRate) usage.push([r.recipientsInWindow + ' of ' + r.recipientRate + ' recipients']);
  return usage.length ? usage : [['no limit', 'note']];
}
function renderRoutes(routes) {
  document.getElementById('routes').replaceChildren(...routes.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.route = r.name;
    tr.append(lines([[r.name], [routeMatch(r), 'note']]), lines(r.hosts.map(hostLine)), lines(routeState(r)), lines(routeRate(r)),
      cell(r.inFlight + ' in use' + (r.connectionLimit == null ? '' : ', limit ' + r.connectionLimit)),
      cell(r.counts.delivered), cell(r.counts.deferred), cell(r.counts.bounced), cell(r.counts.throttled));
    return tr;
  }));
  document.getElementById('no-routes').hidden = routes.length > 0;
}

async function refreshRoutes() {
  try {
    renderRoutes((await api('/api/v1/routes')).routes);
  } catch (error) {
    statusLine.textContent = 'Cannot read the routes: ' + error.message;
  }
}

async function refreshBlocks() {
  try {
    renderBlocks((await api('/api/v1/blocks')).blocks);
  } catch (error) {
    statusLine.textContent = 'Cannot read the blocked clients: ' + error.message;
  }
}

async function refresh() {
  refreshBlocks();
  refreshRoutes();
  try {
    const [counts, list] = await Promise.all([api('/api/v1/counts'), api('/api/v1/messages?state=' + current + '&limit=200')]);
    renderTabs(counts);
    renderRows(list.messages);
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    statusLine.textContent = 'Cannot read the queue: ' + error.message;
  }
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
`;
