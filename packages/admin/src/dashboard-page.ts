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
</style>
</head>
<body>
<header><h1>smtp-relay queue</h1><span id="updated"></span></header>
<nav id="tabs"></nav>
<main>
  <div id="status" role="status"></div>
  <table>
    <thead><tr><th>id</th><th>received</th><th>from</th><th>to</th><th>size</th><th>attempts</th><th>last reply</th><th>next attempt</th><th></th></tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <div id="empty" class="empty" hidden>No messages in this state.</div>
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

function renderRows(messages) {
  rows.replaceChildren(...messages.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    tr.append(cell(m.id, 'mono'), cell(when(m.receivedAt)), cell(m.from || '<>'), cell(m.to.join(', ')), cell(size(m.size)),
      cell(m.attempts), cell(m.lastError, 'reply'), cell(when(m.nextAttemptAt)));
    const actions = document.createElement('td');
    actions.className = 'actions';
    if (m.state === 'delayed' || m.state === 'failed') {
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

async function refreshBlocks() {
  try {
    renderBlocks((await api('/api/v1/blocks')).blocks);
  } catch (error) {
    statusLine.textContent = 'Cannot read the blocked clients: ' + error.message;
  }
}

async function refresh() {
  refreshBlocks();
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
