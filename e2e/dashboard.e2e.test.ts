import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { chromium, type Browser } from 'playwright-core';
import { startLanRelay, type LanRelay } from './harness/lan-relay.ts';
import type { RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';

// The /ui queue dashboard in a real headless Chromium (Debian's package), on a
// relay that keeps no message history (HISTORY_RETENTION=0): the delivered view
// then lists the finished jobs the queue holds, and has no search.

const TOKEN = 'dashboard-admin-token-42';
const CHROMIUM = '/usr/bin/chromium';

describe('queue dashboard (/ui) in headless Chromium', () => {
  let relay: LanRelay;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let browser: Browser;
  let base: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
    relay = await startLanRelay({
      variables: { RETRY_DELAYS: '1h', ADMIN_TOKEN: TOKEN, HISTORY_RETENTION: '0' },
    });
    ({ smartHost, stack } = relay);
    base = `http://127.0.0.1:${String(stack.ingress.adminPort)}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser.close();
    assert.deepEqual(await relay.close(), [0, 0]);
  });

  it('is refused without the token', async () => {
    const context = await browser.newContext();
    // A page navigation would show the browser's login prompt; the request API sees the answer.
    const response = await context.request.get(`${base}/ui`);
    assert.equal(response.status(), 401);
    assert.match(response.headers()['www-authenticate'] ?? '', /^Basic realm=/);
    await context.close();
  });

  it('shows deferred and failed messages with envelope, attempts, last reply and next attempt; retry and delete work', async () => {
    const deferredId = await sendThroughRelay(stack.smtpPort, {
      from: 'scanner@lan.test',
      to: ['tempfail-ui@example.test'],
    });
    const failedId = await sendThroughRelay(stack.smtpPort, {
      from: '',
      to: ['reject-ui@example.test'],
    });
    await stack.sender.waitForLog(
      (l) => l.event === 'delivery.deferred' && l['messageId'] === deferredId,
    );
    await stack.sender.waitForLog(
      (l) => l.event === 'delivery.bounced' && l['messageId'] === failedId,
    );

    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
    });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      void dialog.accept();
    });
    await page.goto(`${base}/ui`);
    await page.click('nav button[data-state="delayed"]');
    const row = page.locator(`tr[data-id="${deferredId}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[2], 'scanner@lan.test');
    assert.equal(cells[3], 'tempfail-ui@example.test');
    assert.equal(cells[5], '1', 'attempts');
    assert.match(cells[6] ?? '', /^451 4\.7\.1 /, 'last reply');
    assert.ok((cells[7] ?? '') !== '', 'next attempt shown');
    await page.screenshot({ path: join(tmpdir(), 'smtp-relay-dashboard.png'), fullPage: true });

    const attemptsBefore = smartHost.events.filter((e) => e.type === 'rcpt-to').length;
    await row.getByRole('button', { name: 'retry now' }).click();
    await page.locator('#status', { hasText: 'queued for an attempt now' }).waitFor();
    await waitFor(
      () => smartHost.events.filter((e) => e.type === 'rcpt-to').length > attemptsBefore,
      {
        description: 'the retry reached the smart host',
      },
    );

    await page.click('nav button[data-state="failed"]');
    const failedRow = page.locator(`tr[data-id="${failedId}"]`);
    await failedRow.waitFor();
    assert.match((await failedRow.locator('td').nth(6).textContent()) ?? '', /550 5\.1\.1/);
    await failedRow.getByRole('button', { name: 'delete' }).click();
    await page.locator('#status', { hasText: 'deleted' }).waitFor();
    await failedRow.waitFor({ state: 'detached' });
    await context.close();
  });

  it('without a message history, lists the delivered messages the queue holds and offers no search', async () => {
    const id = await sendThroughRelay(stack.smtpPort, {
      from: 'scanner@lan.test',
      to: ['ok-ui@example.test'],
    });
    await stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
    });
    const page = await context.newPage();
    // A link with a search (a bookmark from when the history was on) falls back to the list.
    await page.goto(`${base}/ui?state=completed&q=scanner`);
    const row = page.locator(`#history-rows tr[data-id="${id}"]`);
    await row.waitFor();
    assert.doesNotMatch((await page.locator('#status').textContent()) ?? '', /Cannot read/);
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[2], 'scanner@lan.test');
    assert.equal(cells[3], 'ok-ui@example.test');
    assert.match(
      (await page.locator('#history-note').textContent()) ?? '',
      /^\d+ delivered that the queue still holds \(a day at most\): HISTORY_RETENTION=0 keeps no message history to search\.$/,
    );
    assert.equal(await page.locator('#search').isHidden(), true);
    // The API says why a search finds nothing, rather than an empty list.
    const searched = await context.request.get(`${base}/api/v1/messages?state=completed&q=scanner`);
    assert.equal(searched.status(), 409);
    assert.match(((await searched.json()) as { error: string }).error, /HISTORY_RETENTION=0/);
    await context.close();
  });
});
