// The dashboard's script (dashboard-page.ts), plain browser JavaScript in a
// string: no build step. Values from messages only ever reach textContent or
// a numeric SVG attribute. Written without backticks, "${" or backslashes, so
// that the template literal holding it leaves it as it is.

export const DASHBOARD_SCRIPT = String.raw`
const STATES = ['waiting', 'delayed', 'active', 'failed', 'completed'];
const LABELS = { overview: 'overview', waiting: 'waiting', delayed: 'delayed', active: 'active', failed: 'failed', completed: 'delivered' };
const SERIES = ['received', 'delivered', 'deferred', 'bounced'];
const params = new URLSearchParams(location.search);
let view = params.get('message') ? 'message' : (params.get('state') || 'overview');
let messageId = params.get('message');
let range = 'hour';
let search = { q: params.get('q') || '', since: '', until: '' };
const statusLine = document.getElementById('status');
let counts = {};

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function cell(text, className) { return el('td', text == null ? '' : text, className); }
function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }
function time(ms) { return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
function duration(ms) {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
  const m = Math.floor(s / 60) % 60;
  return Math.floor(s / 3600) + ' h' + (m ? ' ' + m + ' min' : '');
}
function ago(ms) {
  if (ms == null) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return new Date(ms).toLocaleString();
}
function lines(texts) {
  const td = document.createElement('td');
  td.append(...texts.map(([text, className]) => el('div', text, className)));
  return td;
}
function size(bytes) { return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + ' MiB' : bytes >= 1024 ? (bytes / 1024).toFixed(1) + ' KiB' : bytes + ' B'; }
function messageLink(id) {
  const a = el('a', id, 'mono');
  a.href = '?message=' + encodeURIComponent(id);
  a.addEventListener('click', (event) => { event.preventDefault(); go('message', id); });
  const td = document.createElement('td');
  td.append(a);
  return td;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json', 'x-requested-with': 'smtp-relay-ui' } }, options));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
  return body;
}

function go(next, id) {
  view = next;
  messageId = id || null;
  const query = next === 'message' ? '?message=' + encodeURIComponent(id) : next === 'overview' ? location.pathname : '?state=' + next;
  history.pushState(null, '', query);
  show();
  refresh();
}
window.addEventListener('popstate', () => {
  const p = new URLSearchParams(location.search);
  messageId = p.get('message');
  view = messageId ? 'message' : (p.get('state') || 'overview');
  show();
  refresh();
});

function show() {
  const section = view === 'overview' ? 'overview' : view === 'completed' ? 'delivered' : view === 'message' ? 'message' : 'queue';
  for (const name of ['overview', 'queue', 'delivered', 'message']) document.getElementById('view-' + name).hidden = name !== section;
  renderTabs();
}

function renderTabs() {
  document.getElementById('tabs').replaceChildren(...['overview'].concat(STATES).map((state) => {
    const button = el('button', LABELS[state] + (state === 'overview' ? '' : ' (' + (counts[state] ?? 0) + ')'));
    button.type = 'button';
    button.dataset.state = state;
    if (state === view) button.setAttribute('aria-current', 'page');
    button.addEventListener('click', () => go(state));
    return button;
  }));
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
function actionButtons(m) {
  const buttons = [];
  // Failed recipients (bounced, expired) are sent to again while FAILED_RETENTION keeps the body.
  if (m.state === 'delayed' || m.state === 'failed' || m.failedRecipients.length > 0) {
    const retry = el('button', m.state === 'delayed' ? 'retry now' : 'retry');
    retry.addEventListener('click', () => act(m.id, 'retry'));
    buttons.push(retry);
  }
  if (m.state !== 'active' && m.state !== 'completed') {
    const del = el('button', 'delete');
    del.addEventListener('click', () => act(m.id, 'delete'));
    buttons.push(del);
  }
  return buttons;
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
  document.getElementById('rows').replaceChildren(...messages.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    tr.append(messageLink(m.id), cell(when(m.receivedAt)), cell(m.from || '<>'), cell(m.to.join(', ')), cell(size(m.size)),
      cell(m.attempts), cell(m.throttled ? 'throttled: ' + WAITING[m.throttled] : m.lastError, 'reply'),
      cell(when(m.nextAttemptAt)), cell(m.route, 'mono'));
    const actions = el('td', null, 'actions');
    actions.append(...actionButtons(m));
    tr.append(actions);
    return tr;
  }));
  document.getElementById('empty').hidden = messages.length > 0;
}

// ---- overview ----
function renderCounts() {
  document.getElementById('counts').replaceChildren(...STATES.map((state) => {
    const button = el('button');
    button.type = 'button';
    button.dataset.goto = state;
    button.append(el('strong', counts[state] ?? 0), el('span', LABELS[state]));
    button.setAttribute('aria-label', (counts[state] ?? 0) + ' ' + LABELS[state] + ': show them');
    button.addEventListener('click', () => go(state));
    return button;
  }));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text != null) node.textContent = String(text);
  return node;
}
function renderChart(data) {
  const chart = document.getElementById('chart');
  const width = 720, height = 220, left = 40, bottom = 20, top = 10;
  const buckets = data.buckets;
  const max = Math.max(1, ...buckets.flatMap((b) => SERIES.map((s) => b[s])));
  const x = (i) => left + (i * (width - left - 8)) / Math.max(1, buckets.length - 1);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const parts = [
    svg('line', { x1: left, y1: y(0), x2: width - 8, y2: y(0), stroke: '#c9d0d9' }),
    svg('line', { x1: left, y1: y(max), x2: width - 8, y2: y(max), stroke: '#eef1f4' }),
    svg('text', { x: left - 6, y: y(max) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5f6b78' }, max),
    svg('text', { x: left - 6, y: y(0) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5f6b78' }, 0),
  ];
  if (buckets.length > 0) {
    const first = Date.parse(buckets[0].start), last = Date.parse(buckets[buckets.length - 1].start);
    parts.push(svg('text', { x: left, y: height - 4, 'font-size': 11, fill: '#5f6b78' }, time(first)));
    parts.push(svg('text', { x: width - 8, y: height - 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5f6b78' }, time(last)));
  }
  for (const series of SERIES) {
    const points = buckets.map((b, i) => x(i).toFixed(1) + ',' + y(b[series]).toFixed(1)).join(' ');
    parts.push(svg('polyline', { points, fill: 'none', stroke: 'var(--' + series + ')', 'stroke-width': 2, 'data-series': series }));
  }
  chart.replaceChildren(...parts);
  const totals = Object.fromEntries(SERIES.map((s) => [s, buckets.reduce((sum, b) => sum + b[s], 0)]));
  document.getElementById('chart-summary').textContent = (range === 'hour' ? 'Last hour' : 'Last day') + ': ' +
    SERIES.map((s) => totals[s] + ' ' + s).join(', ') + '; at most ' + max + ' per minute.';
  document.getElementById('throughput-rows').replaceChildren(...buckets.filter((b) => SERIES.some((s) => b[s] > 0)).map((b) => {
    const tr = document.createElement('tr');
    tr.append(cell(when(b.start)), ...SERIES.map((s) => cell(b[s])));
    return tr;
  }));
}
for (const button of document.querySelectorAll('.range button')) {
  button.addEventListener('click', () => {
    range = button.dataset.range;
    for (const other of document.querySelectorAll('.range button')) other.setAttribute('aria-pressed', String(other === button));
    refreshOverview();
  });
}

function hostState(h) {
  if (!h.up) return [['cooling down, ' + duration(h.coolingDownMs) + ' left (' + h.failures + ' failed)', 'down']];
  if (h.failures > 0) return [['failing (' + h.failures + ' failed)', 'down']];
  return [['up']];
}
function login(r) {
  if (r.auth === 'oauth2' && r.oauth2) {
    if (r.oauth2.failure) return [['OAuth2 (' + r.oauth2.provider + '): refused, ' + r.oauth2.failure.reason, 'down']];
    if (r.oauth2.tokenExpiresAt && r.oauth2.tokenExpiresAt <= Date.now()) {
      return [['OAuth2 (' + r.oauth2.provider + ')'], ['token expired at ' + time(r.oauth2.tokenExpiresAt) + ': a new one is fetched at the next delivery', 'note']];
    }
    if (r.oauth2.tokenExpiresAt) return [['OAuth2 (' + r.oauth2.provider + ')'], ['token valid until ' + time(r.oauth2.tokenExpiresAt), 'note']];
    return [['OAuth2 (' + r.oauth2.provider + ')'], ['no token yet: one is fetched at the next delivery', 'note']];
  }
  return [[r.auth === 'password' ? 'password' : 'none']];
}
function renderHosts(routes) {
  const rows = [];
  for (const r of routes) {
    for (const h of r.hosts) {
      const tr = document.createElement('tr');
      tr.dataset.host = r.name + ' ' + h.host + ':' + h.port;
      tr.append(cell(r.name, 'mono'), cell(h.host + ':' + h.port + ' (' + h.tls + ')'), lines(hostState(h)),
        lines(h.lastReply ? [[h.lastReply], [ago(h.lastReplyAt), 'note']] : [['none yet', 'note']]),
        cell(ago(h.lastSuccessAt), h.lastSuccessAt ? 'ok' : ''), lines(login(r)));
      rows.push(tr);
    }
  }
  document.getElementById('hosts').replaceChildren(...rows);
  document.getElementById('no-hosts').hidden = rows.length > 0;
}

/** What needs the operator, each with what to do (docs/reference.md "Held mail"). */
function renderAttention(routes) {
  const items = [];
  const item = (title, text, todo, info) => {
    const li = el('li', null, info ? 'info' : '');
    li.append(el('strong', title), el('div', text));
    if (todo) li.append(el('div', 'What to do: ' + todo));
    items.push(li);
  };
  for (const r of routes) {
    if (r.heldMs > 0) {
      const reason = r.holdReason;
      item('Route ' + r.name + ' is held: ' + duration(r.heldMs) + ' until the next try',
        reason ? 'Our settings failed (' + reason.category + ', ' + ago(reason.at) + '): ' + reason.reply : 'Our settings failed at the smart host.',
        (reason && reason.hint ? reason.hint + ' ' : '') + 'Mail is kept and never bounced for this; it goes out by itself once the cause is fixed, or at once with npx smtp-relay queue resume.');
    }
    if (r.oauth2 && r.oauth2.failure) {
      item('Route ' + r.name + ': the OAuth2 token endpoint refuses (' + r.oauth2.failure.reason + ')', r.oauth2.failure.message,
        'run npx smtp-relay oauth2 check; for invalid_grant get a new refresh token with npx smtp-relay oauth2 login, for invalid_client check SMART_HOST_OAUTH2_CLIENT_ID and SMART_HOST_OAUTH2_CLIENT_SECRET.');
    }
    for (const h of r.hosts) {
      if (!h.up) {
        item('Smart host ' + h.host + ':' + h.port + ' (route ' + r.name + ') is cooling down, ' + duration(h.coolingDownMs) + ' left',
          h.lastReply ? 'Last reply ' + ago(h.lastReplyAt) + ': ' + h.lastReply : 'It failed at connection level.',
          r.hosts.length > 1 ? 'nothing, if the next host of the route takes the mail; check the host if it stays down.' : 'check that the host answers (npx smtp-relay check-smarthost); mail waits and is retried.', true);
      }
    }
  }
  if ((counts.failed ?? 0) > 0) {
    item(counts.failed + ' failed ' + (counts.failed === 1 ? 'message' : 'messages'), 'Bounced or expired; the sender got a bounce.',
      'open "failed" to see the replies; retry sends them again within FAILED_RETENTION.', true);
  }
  if (routes.length === 0) item('No sender is running', 'No sender has published its status in the last 30 s: nothing is being delivered.', 'start a sender (docker compose up, or npm start).');
  document.getElementById('attention').replaceChildren(...items);
  document.getElementById('all-well').hidden = items.length > 0;
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
    const actions = el('td', null, 'actions');
    const button = el('button', 'lift');
    button.addEventListener('click', () => lift(b.address));
    actions.append(button);
    tr.append(cell(b.address, 'mono'), cell(b.reason === 'auth' ? 'failed AUTH' : 'filter rule'), cell(when(b.until)), actions);
    return tr;
  }));
  document.getElementById('no-blocks').hidden = blocks.length > 0;
}

// ---- delivered messages: the history ----
const form = document.getElementById('search');
form.elements.q.value = search.q;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  // datetime-local has no zone: the browser's, as every time this page shows.
  const iso = (value) => (value ? new Date(value).toISOString() : '');
  search = { q: form.elements.q.value, since: iso(form.elements.since.value), until: iso(form.elements.until.value) };
  refresh();
});
function renderHistory(result) {
  document.getElementById('history-rows').replaceChildren(...result.messages.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.id = m.id;
    const queueId = m.history ? m.history.smartHostQueueId : null;
    tr.append(messageLink(m.id), cell(when(m.finishedAt)), cell(m.from || '<>'), cell(m.originalTo.join(', ')), cell(m.subject),
      cell(size(m.size)), cell(m.history ? m.history.attempts.length : m.attempts), cell(queueId, 'mono'));
    return tr;
  }));
  document.getElementById('no-history').hidden = result.messages.length > 0;
  // HISTORY_RETENTION=0: nothing to search; the queue's finished jobs are all there is.
  form.hidden = result.history === false;
  document.getElementById('no-history').textContent = result.history === false ? 'No delivered message in the queue.' : 'No delivered message matches.';
  if (result.history === false) {
    document.getElementById('history-note').textContent = result.total +
      ' delivered that the queue still holds (a day at most): HISTORY_RETENTION=0 keeps no message history to search.';
    return;
  }
  const searched = search.q || search.since || search.until;
  document.getElementById('history-note').textContent = (searched ? result.messages.length + ' found; ' : '') + result.total +
    ' delivered in the time range, kept HISTORY_RETENTION.' + (result.complete === false ? ' Not every message was searched: narrow the time range.' : '');
}

// ---- one message ----
function field(list, name, value) {
  if (value == null || value === '') return;
  list.append(el('dt', name), el('dd', value));
}
function renderMessage(m) {
  document.getElementById('message-id').textContent = m.id;
  const list = document.getElementById('message-fields');
  list.replaceChildren();
  field(list, 'state', m.state === 'completed' ? 'delivered' : m.state);
  field(list, 'from', m.from || '<> (a bounce)');
  field(list, 'to', m.originalTo.join(', '));
  if (m.history) {
    field(list, 'delivered to', m.history.delivered.join(', '));
    field(list, 'bounced for', m.history.bounced.join(', '));
  } else if (m.to.length > 0 && m.state !== 'completed') {
    field(list, 'still to deliver', m.to.join(', '));
  }
  field(list, 'subject', m.subject);
  field(list, 'size', size(m.size));
  field(list, 'client', m.client);
  field(list, 'user', m.authUser);
  field(list, 'route', m.route);
  field(list, 'received', when(m.receivedAt));
  field(list, 'finished', when(m.finishedAt));
  field(list, 'next attempt', when(m.nextAttemptAt));
  if (m.history) {
    field(list, 'smart host reply', m.history.reply);
    field(list, 'smart host id', m.history.smartHostQueueId);
  }
  field(list, 'retry possible until', when(m.retryableUntil));
  document.getElementById('message-actions').replaceChildren(...actionButtons(m));
  const accepted = ['accepted by ingress'].concat(m.client ? ['from', m.client] : []).join(' ');
  const steps = [{ at: m.receivedAt, text: accepted, color: '#3b6fb6' }];
  if (m.history) {
    for (const a of m.history.attempts) {
      const parts = [];
      if (a.outcome === 'deferred') parts.push('deferred');
      if (a.delivered.length) parts.push('delivered to ' + a.delivered.join(', '));
      if (a.bounced.length) parts.push('bounced for ' + a.bounced.join(', '));
      parts.push('the smart host said ' + a.reply);
      steps.push({ at: a.at, text: parts.join('; '), color: a.outcome === 'deferred' ? '#b7791f' : '#2f855a' });
    }
  } else {
    if (m.attempts > 0) steps.push({ at: null, text: m.attempts + (m.attempts === 1 ? ' attempt' : ' attempts') + ' failed; last reply: ' + (m.lastError || ''), color: '#b7791f' });
    if (m.nextAttemptAt) steps.push({ at: m.nextAttemptAt, text: 'next attempt' + (m.throttled ? ' (' + WAITING[m.throttled] + ')' : ''), color: '#5f6b78' });
    if (m.state === 'failed') steps.push({ at: m.finishedAt, text: 'failed: ' + (m.lastError || ''), color: '#c53030' });
  }
  document.getElementById('timeline').replaceChildren(...steps.map((step) => {
    const li = document.createElement('li');
    li.style.setProperty('--dot', step.color);
    if (step.at) {
      const t = el('time', when(step.at));
      t.dateTime = new Date(step.at).toISOString();
      li.append(t);
    }
    li.append(document.createTextNode(step.text));
    return li;
  }));
}

// ---- refresh ----
async function refreshSide() {
  try {
    renderBlocks((await api('/api/v1/blocks')).blocks);
  } catch (error) {
    statusLine.textContent = 'Cannot read the blocked clients: ' + error.message;
  }
  try {
    const routes = (await api('/api/v1/routes')).routes;
    renderRoutes(routes);
    if (view === 'overview') { renderHosts(routes); renderAttention(routes); }
  } catch (error) {
    statusLine.textContent = 'Cannot read the routes: ' + error.message;
  }
}
async function refreshOverview() {
  try {
    renderChart(await api('/api/v1/throughput?range=' + range));
  } catch (error) {
    statusLine.textContent = 'Cannot read the throughput: ' + error.message;
  }
}
async function refresh() {
  try {
    counts = await api('/api/v1/counts');
    renderTabs();
    if (view === 'overview') {
      renderCounts();
      await refreshOverview();
    } else if (view === 'completed') {
      const query = new URLSearchParams({ state: 'completed', limit: '200' });
      for (const [name, value] of Object.entries(search)) if (value) query.set(name, value);
      let result;
      try {
        result = await api('/api/v1/messages?' + query);
      } catch (error) {
        // 409: no history to search (HISTORY_RETENTION=0), e.g. from an old link: the plain list.
        if (error.status !== 409) throw error;
        search = { q: '', since: '', until: '' };
        form.elements.q.value = '';
        result = await api('/api/v1/messages?state=completed&limit=200');
      }
      renderHistory(result);
    } else if (view === 'message') {
      renderMessage(await api('/api/v1/messages/' + encodeURIComponent(messageId)));
    } else {
      renderRows((await api('/api/v1/messages?state=' + view + '&limit=200')).messages);
    }
    await refreshSide();
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    statusLine.textContent = (view === 'message' ? 'Cannot read message ' + messageId : 'Cannot read the queue') + ': ' + error.message;
  }
}
show();
refresh();
// A search may read up to 20,000 records: it runs when asked, not every 5 s.
const searching = () => view === 'completed' && Boolean(search.q || search.since || search.until);
setInterval(() => { if (!searching()) refresh(); }, 5000);
`;
