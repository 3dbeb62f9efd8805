import { DASHBOARD_SCRIPT } from './dashboard-script.ts';

// The dashboard (docs/reference.md "Admin HTTP"): one self-contained page (no
// build step, no external assets, works offline), talking to /api/v1 with the
// browser's credentials. The overview first: counts by state, throughput,
// what needs the operator (holds, OAuth2), the smart hosts; then the queue by
// state, the delivered messages with their search, and a page per message.
// Every value from a message (addresses, subjects, replies) is
// attacker-controlled: the script only ever sets textContent, never HTML.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>smtp-relay</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2733; background: #f6f7f9; --received: #3b6fb6; --delivered: #2f855a; --deferred: #b7791f; --bounced: #c53030; }
  body { margin: 0; }
  header { background: #1d2733; color: #fff; padding: 12px 20px; display: flex; align-items: baseline; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; }
  header span { opacity: .75; font-size: 13px; }
  nav { display: flex; flex-wrap: wrap; gap: 4px; padding: 12px 20px 0; }
  nav button { border: 1px solid #c9d0d9; background: #fff; padding: 6px 14px; border-radius: 6px 6px 0 0; cursor: pointer; font-size: 14px; color: inherit; }
  nav button[aria-current="page"] { background: #1d2733; color: #fff; border-color: #1d2733; }
  button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #f6ad55; outline-offset: 1px; }
  main { padding: 0 20px 20px; }
  table { width: 100%; border-collapse: collapse; background: #fff; font-size: 13px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e7ec; vertical-align: top; }
  th { background: #eef1f4; font-weight: 600; }
  td.reply { max-width: 420px; word-break: break-word; color: #9b2c2c; }
  td.ok { color: #276749; }
  td.mono, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .actions button { font-size: 12px; margin-right: 4px; cursor: pointer; }
  #status { font-size: 13px; margin: 8px 0; min-height: 1em; }
  .empty { padding: 16px; color: #5f6b78; background: #fff; }
  h2 { font-size: 15px; margin: 24px 0 8px; }
  h3 { font-size: 14px; margin: 16px 0 6px; }
  td div + div { margin-top: 2px; }
  .note { color: #5f6b78; font-size: 12px; }
  .down { color: #9b2c2c; font-weight: 600; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; }
  .cards button { background: #fff; border: 1px solid #d5dbe2; border-radius: 8px; padding: 10px 16px; min-width: 110px; text-align: left; cursor: pointer; color: inherit; }
  .cards strong { display: block; font-size: 24px; }
  .cards span { font-size: 13px; color: #5f6b78; }
  .chart { background: #fff; border: 1px solid #e3e7ec; padding: 12px; }
  .chart svg { width: 100%; height: auto; max-height: 280px; display: block; }
  .legend { display: flex; flex-wrap: wrap; gap: 16px; font-size: 13px; margin: 8px 0 0; padding: 0; list-style: none; }
  .legend li::before { content: ""; display: inline-block; width: 14px; height: 4px; margin-right: 6px; vertical-align: middle; background: var(--swatch); }
  .range { display: inline-flex; gap: 4px; margin-left: 12px; }
  .range button { font-size: 12px; padding: 2px 10px; cursor: pointer; border: 1px solid #c9d0d9; background: #fff; border-radius: 4px; }
  .range button[aria-pressed="true"] { background: #1d2733; color: #fff; }
  #attention { list-style: none; padding: 0; margin: 0; }
  #attention li { background: #fff5f5; border-left: 4px solid #c53030; padding: 8px 12px; margin-bottom: 8px; font-size: 13px; }
  #attention li.info { background: #fffaf0; border-left-color: #b7791f; }
  #attention li strong { display: block; margin-bottom: 2px; }
  form.search { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; background: #fff; padding: 12px; border: 1px solid #e3e7ec; margin-bottom: 8px; }
  form.search label { display: flex; flex-direction: column; font-size: 12px; gap: 2px; }
  form.search input { font-size: 14px; padding: 4px 6px; }
  dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; padding: 12px; margin: 0; font-size: 13px; }
  dl.fields dt { font-weight: 600; }
  dl.fields dd { margin: 0; word-break: break-word; }
  ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid #c9d0d9; }
  ol.timeline li { position: relative; padding: 4px 12px 10px 16px; font-size: 13px; }
  ol.timeline li::before { content: ""; position: absolute; left: -8px; top: 8px; width: 13px; height: 13px; border-radius: 50%; background: var(--dot, #5f6b78); }
  ol.timeline time { font-weight: 600; margin-right: 8px; }
  [hidden] { display: none !important; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  details summary { cursor: pointer; font-size: 13px; margin-top: 8px; }
</style>
</head>
<body>
<header><h1>smtp-relay</h1><span id="updated"></span></header>
<nav id="tabs" aria-label="views"></nav>
<main>
  <div id="status" role="status" aria-live="polite"></div>

  <section id="view-overview" aria-labelledby="overview-title" hidden>
    <h2 id="overview-title">Queue</h2>
    <div class="cards" id="counts"></div>
    <h2 id="throughput-title">Throughput
      <span class="range" role="group" aria-label="time range">
        <button type="button" data-range="hour" aria-pressed="true">last hour</button>
        <button type="button" data-range="day" aria-pressed="false">last day</button>
      </span>
    </h2>
    <figure class="chart" aria-labelledby="throughput-title">
      <svg id="chart" role="img" aria-labelledby="chart-summary" viewBox="0 0 720 220"></svg>
      <figcaption><span id="chart-summary"></span>
        <ul class="legend">
          <li style="--swatch: var(--received)">received</li>
          <li style="--swatch: var(--delivered)">delivered</li>
          <li style="--swatch: var(--deferred)">deferred</li>
          <li style="--swatch: var(--bounced)">bounced</li>
        </ul>
      </figcaption>
      <details><summary>the figures as a table</summary>
        <table><thead><tr><th>from</th><th>received</th><th>delivered</th><th>deferred</th><th>bounced</th></tr></thead><tbody id="throughput-rows"></tbody></table>
      </details>
    </figure>
    <h2>Needs you</h2>
    <ul id="attention"></ul>
    <div id="all-well" class="empty" hidden>Nothing needs you: no hold, no smart host down, no OAuth2 problem.</div>
    <h2>Smart hosts</h2>
    <table>
      <thead><tr><th>route</th><th>smart host</th><th>state</th><th>last reply</th><th>last success</th><th>login</th></tr></thead>
      <tbody id="hosts"></tbody>
    </table>
    <div id="no-hosts" class="empty" hidden>No smart host status: it is published by a running sender.</div>
  </section>

  <section id="view-queue" hidden>
    <h2 id="queue-title" class="visually-hidden">Messages</h2>
    <table aria-labelledby="queue-title">
      <thead><tr><th>id</th><th>received</th><th>from</th><th>to</th><th>size</th><th>attempts</th><th>last reply</th><th>next attempt</th><th>route</th><th></th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <div id="empty" class="empty" hidden>No messages in this state.</div>
  </section>

  <section id="view-delivered" hidden>
    <h2>Delivered messages</h2>
    <form class="search" id="search" role="search">
      <label>address, id, subject or queue id <input name="q" type="search" size="32"></label>
      <label>finished after <input name="since" type="datetime-local"></label>
      <label>finished before <input name="until" type="datetime-local"></label>
      <button type="submit">search</button>
    </form>
    <div id="history-note" class="note" role="status"></div>
    <table>
      <thead><tr><th>id</th><th>delivered</th><th>from</th><th>to</th><th>subject</th><th>size</th><th>attempts</th><th>smart host id</th></tr></thead>
      <tbody id="history-rows"></tbody>
    </table>
    <div id="no-history" class="empty" hidden>No delivered message matches.</div>
  </section>

  <section id="view-message" hidden>
    <h2>Message <span id="message-id" class="mono"></span></h2>
    <dl class="fields" id="message-fields"></dl>
    <div class="actions" id="message-actions"></div>
    <h3>Attempts</h3>
    <ol class="timeline" id="timeline"></ol>
  </section>

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
${DASHBOARD_SCRIPT}
</script>
</body>
</html>
`;
