import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@smtp-relay/testkit';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// The dashboard's overview, the delivered messages' search and a message's
// page, in a real headless Chromium against a real relay. Screenshots are kept
// as test artifacts (TEST_ARTIFACTS_DIR, default test-artifacts/ui), and the
// overview's is the README's (docs/images/dashboard-overview.png), so this
// test keeps that picture current.

const TOKEN = 'dashboard-overview-token-7';
const CHROMIUM = '/usr/bin/chromium';
const REPOSITORY = join(import.meta.dirname, '..');
const ARTIFACTS = process.env['TEST_ARTIFACTS_DIR'] ?? join(REPOSITORY, 'test-artifacts', 'ui');
const README_SCREENSHOT = join(REPOSITORY, 'docs', 'images', 'dashboard-overview.png');

const SUBJECTS = [
  'Scan from MFP-3 (2 pages)',
  '=?UTF-8?Q?Rechnung_f=C3=BCr_Buchhaltung?=',
  'Nightly backup: OK',
  'Printer low on toner',
  'Door sensor 4: opened',
];

describe('dashboard overview, history search and message page in headless Chromium', () => {
  let relay: LanRelay;
  let stack: RelayStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const delivered: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
    relay = await startLanRelay({ variables: { RETRY_DELAYS: '1h', ADMIN_TOKEN: TOKEN } });
    ({ stack } = relay);
    base = `http://127.0.0.1:${String(stack.ingress.adminPort)}`;
    for (const [index, subject] of SUBJECTS.entries()) {
      delivered.push(
        await sendThroughRelay(stack.smtpPort, {
          from: 'mfp3@office.example',
          to: [`team${String(index)}@example.test`],
          subject,
        }),
      );
    }
    await sendThroughRelay(stack.smtpPort, { to: ['tempfail-overview@example.test'] });
    await sendThroughRelay(stack.smtpPort, { from: '', to: ['reject-overview@example.test'] });
    // Each process writes its counts every 5 s: wait until the chart has them all.
    await waitFor(
      async () => {
        const response = await fetch(`${base}/api/v1/throughput?range=hour`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = (await response.json()) as { buckets: Record<string, number>[] };
        const sum = (kind: string) => body.buckets.reduce((n, b) => n + (b[kind] ?? 0), 0);
        return sum('received') === 7 && sum('delivered') === 5 && sum('bounced') === 1;
      },
      { description: 'the throughput of every process in Redis', timeoutMs: 20_000 },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    page = await context.newPage();
    await mkdir(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser.close();
    assert.deepEqual(await relay.close(), [0, 0]);
  });

  it('opens on the overview: counts by state, the throughput chart with its table, the smart host, what needs the operator', async () => {
    await page.goto(`${base}/ui`);
    const overview = page.locator('#view-overview');
    await overview.waitFor();
    const card = (state: string) => page.locator(`#counts button[data-goto="${state}"] strong`);
    await waitFor(async () => (await card('completed').textContent()) === '5', {
      description: 'five delivered',
    });
    assert.equal(await card('delayed').textContent(), '1');
    assert.equal(await card('failed').textContent(), '1');

    // The chart: a line per kind, a summary for screen readers, the figures as a table.
    await waitFor(async () => (await page.locator('#chart polyline').count()) === 4, {
      description: 'four lines drawn',
    });
    const summary = (await page.locator('#chart-summary').textContent()) ?? '';
    assert.match(
      summary,
      /^Last hour: 7 received, 5 delivered, 1 deferred, 1 bounced; at most \d+ per minute\.$/,
    );
    assert.equal(await page.locator('#chart').getAttribute('role'), 'img');
    assert.equal(await page.locator('#chart').getAttribute('aria-labelledby'), 'chart-summary');
    const tableRows = await page.locator('#throughput-rows tr').allTextContents();
    assert.ok(tableRows.length >= 1, 'a row per minute with mail');

    // The smart host: up, its last reply (the last message's: taken, deferred or
    // refused) and its last success.
    const host = page.locator('#hosts tr').first();
    await waitFor(async () => /ago$/.test((await host.locator('td').nth(4).textContent()) ?? ''), {
      description: 'the last success published by the sender',
    });
    const cells = await host.locator('td').allTextContents();
    assert.match(
      cells[3] ?? '',
      /^(250 2\.0\.0 Ok: queued as \S+|451 4\.7\.1 .*|550 5\.1\.1 .*)\d+ (s|min) ago$/,
    );
    assert.equal(cells[0], 'default');
    assert.equal(cells[2], 'up');
    assert.match(cells[4] ?? '', /^\d+ (s|min) ago$/);
    assert.equal(cells[5], 'none');

    // The failed message needs the operator; nothing is held.
    const attention = await page.locator('#attention li').allTextContents();
    assert.equal(attention.length, 1, attention.join('\n'));
    assert.match(attention[0] ?? '', /^1 failed message.*What to do: open "failed"/);

    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
    await page.screenshot({ path: README_SCREENSHOT });

    // Keyboard only: the range switch and a count card are buttons.
    await page.focus('.range button[data-range="day"]');
    await page.keyboard.press('Enter');
    await waitFor(
      async () =>
        /^Last day: 7 received/.test((await page.locator('#chart-summary').textContent()) ?? ''),
      {
        description: 'the day chart',
      },
    );
    assert.equal(
      await page.locator('.range button[data-range="day"]').getAttribute('aria-pressed'),
      'true',
    );
    await page.focus('#counts button[data-goto="completed"]');
    await page.keyboard.press('Enter');
    await page.locator('#view-delivered').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('state'), 'completed');
    assert.equal(
      await page.locator('nav button[aria-current="page"]').textContent(),
      'delivered (5)',
    );
  });

  it('searches the delivered messages by subject and opens a message page with its timeline', async () => {
    await page.goto(`${base}/ui?state=completed`);
    await page.locator('#history-rows tr').nth(4).waitFor();
    await page.fill('#search input[name="q"]', 'buchhaltung');
    await page.press('#search input[name="q"]', 'Enter');
    const rows = page.locator('#history-rows tr');
    await waitFor(async () => (await rows.count()) === 1, { description: 'one match' });
    const id = delivered[1] ?? '';
    const cells = await rows.first().locator('td').allTextContents();
    assert.equal(cells[0], id);
    assert.equal(cells[2], 'mfp3@office.example');
    assert.equal(cells[3], 'team1@example.test');
    assert.equal(cells[4], 'Rechnung für Buchhaltung');
    assert.ok((cells[7] ?? '') !== '', 'the smart host queue id');
    assert.match(
      (await page.locator('#history-note').textContent()) ?? '',
      /^1 found; 5 delivered/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'delivered-search.png'), fullPage: true });

    await rows.first().getByRole('link', { name: id }).click();
    await page.locator('#message-id', { hasText: id }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('message'), id);
    const fields = await page.locator('#message-fields').innerText();
    assert.match(fields, /subject\s+Rechnung für Buchhaltung/);
    assert.match(fields, /delivered to\s+team1@example\.test/);
    assert.match(fields, /smart host id\s+\S+/);
    const timeline = await page.locator('#timeline li').allTextContents();
    assert.equal(timeline.length, 2, timeline.join('\n'));
    assert.match(timeline[0] ?? '', /accepted by ingress from device\.test \[127\.0\.0\.1\]$/);
    assert.match(
      timeline[1] ?? '',
      /delivered to team1@example\.test; the smart host said 250 2\.0\.0 Ok: queued as /,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'message.png'), fullPage: true });

    // Back to the list with the browser's own history.
    await page.goBack();
    await page.locator('#view-delivered').waitFor();
  });

  it("searches by time range in the browser's own time (a zone far from UTC)", async () => {
    const local = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
      timezoneId: 'Asia/Kolkata',
    });
    try {
      const search = await local.newPage();
      await search.goto(`${base}/ui?state=completed`);
      const rows = search.locator('#history-rows tr');
      await rows.nth(4).waitFor();
      // What a person in Kolkata types (UTC+05:30, no daylight saving).
      const kolkata = (ms: number) => new Date(ms + 330 * 60_000).toISOString().slice(0, 16);
      const submit = () => search.click('#search button[type="submit"]');
      // Two hours ago: before every message.
      await search.fill('#search input[name="until"]', kolkata(Date.now() - 2 * 3_600_000));
      await submit();
      await search.locator('#no-history').waitFor({ state: 'visible' });
      assert.match(
        (await search.locator('#history-note').textContent()) ?? '',
        /^0 found; 0 delivered in the time range/,
      );
      // The last hour: all five.
      await search.fill('#search input[name="since"]', kolkata(Date.now() - 3_600_000));
      await search.fill('#search input[name="until"]', kolkata(Date.now() + 120_000));
      await submit();
      await waitFor(async () => (await rows.count()) === 5, {
        description: 'all five in the hour',
      });
      await search.fill('#search input[name="q"]', 'buchhaltung');
      await submit();
      await waitFor(async () => (await rows.count()) === 1, { description: 'one in the hour' });
    } finally {
      await local.close();
    }
  });

  it('shows a queued message page with its last reply and next attempt', async () => {
    await page.goto(`${base}/ui?state=delayed`);
    const row = page.locator('#rows tr').first();
    await row.waitFor();
    const id = (await row.getAttribute('data-id')) ?? '';
    await row.getByRole('link').click();
    await page.locator('#message-id', { hasText: id }).waitFor();
    const timeline = await page.locator('#timeline li').allTextContents();
    assert.match(timeline[1] ?? '', /^1 attempt failed; last reply: 451 4\.7\.1 /);
    assert.match(timeline[2] ?? '', /next attempt$/);
    await page.locator('#message-actions').getByRole('button', { name: 'retry now' }).waitFor();
  });

  it('loads nothing but the relay: no CDN, so it works offline', async () => {
    const fresh = await context.newPage();
    const requested: string[] = [];
    fresh.on('request', (request) => requested.push(request.url()));
    try {
      await fresh.goto(`${base}/ui`);
      await waitFor(async () => (await fresh.locator('#chart polyline').count()) === 4, {
        description: 'the overview drawn',
      });
      await fresh.click('nav button[data-state="completed"]');
      await fresh.locator('#history-rows tr').first().waitFor();
    } finally {
      await fresh.close();
    }
    assert.ok(requested.length >= 4, requested.join('\n'));
    const elsewhere = requested.filter((url) => new URL(url).origin !== base);
    assert.deepEqual(elsewhere, []);
    const response = await context.request.get(`${base}/ui`);
    const policy = response.headers()['content-security-policy'] ?? '';
    // The browser itself refuses anything from elsewhere.
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /connect-src 'self'/);
  });
});
