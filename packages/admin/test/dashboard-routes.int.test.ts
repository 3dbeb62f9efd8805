import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DeliveryQueue } from '@smtp-relay/queue';
import {
  countRouteOutcome,
  publishRouteStatus,
  recordHoldReason,
  type PublishedRouteStatus,
} from '@smtp-relay/smart-host/route-status';
import { uniquePrefix, waitFor, type TestRedisConnection } from '@smtp-relay/testkit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { queueLater, salesRoute, startAdminApp, type AdminApp } from './admin-fixture.ts';

// The "Routes" section and the route column of /ui in a real headless
// Chromium (Debian's package), fed by a route status published in a real Redis.

const TOKEN = 'dashboard-routes-token-42';
const CHROMIUM = '/usr/bin/chromium';

const SALES = salesRoute({
  match: { senders: ['*@sales.example.com'], users: ['scanner-3f'] },
  pausedMs: 120_000,
  pauses: 2,
});

const DEFAULT: PublishedRouteStatus = {
  name: 'default',
  match: null,
  hosts: [
    { host: 'smtp.isp.example', port: 25, tls: 'none', up: true, coolingDownMs: 0, failures: 0 },
  ],
  rate: null,
  recipientRate: null,
  sentInWindow: 0,
  recipientsInWindow: 0,
  pausedMs: 0,
  pauses: 0,
  heldMs: 3_600_000,
  connectionLimit: null,
  inFlight: 0,
  auth: 'password',
  oauth2: null,
};

/** The text of each line (div) of each cell of a row. */
async function cellLines(row: Locator): Promise<string[][]> {
  const cells = await row.locator('td').all();
  return Promise.all(
    cells.map(async (cell) => {
      const lines = await cell.locator('div').allTextContents();
      return lines.length > 0 ? lines : [(await cell.textContent()) ?? ''];
    }),
  );
}

describe('routes on the dashboard (/ui)', () => {
  let admin: AdminApp;
  let redis: TestRedisConnection<Redis>;
  let queue: DeliveryQueue;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const prefix = uniquePrefix('dashboard-routes');

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
    admin = await startAdminApp(prefix, TOKEN);
    ({ redis, queue, app } = admin);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${String((app.server.address() as AddressInfo).port)}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser.close();
    await admin.close();
  });

  it('shows each route: hosts up and down, pause and hold, rate usage, connections, counts; and the route of a message', async () => {
    await publishRouteStatus(redis.connection, prefix, [SALES, DEFAULT]);
    for (const outcome of ['delivered', 'delivered', 'delivered', 'deferred', 'throttled'] as const)
      await countRouteOutcome(redis.connection, prefix, 'sales', outcome);
    await countRouteOutcome(redis.connection, prefix, 'default', 'bounced');
    const id = await queueLater(queue, 'sales');

    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
    });
    const page = await context.newPage();
    await page.goto(`${base}/ui?state=delayed`);

    const sales = page.locator('tr[data-route="sales"]');
    await sales.waitFor();
    const [name, hosts, state, rate, connections, ...counts] = await cellLines(sales);
    assert.deepEqual(name, ['sales', 'senders *@sales.example.com; users scanner-3f']);
    assert.equal(hosts?.length, 2);
    // Times left are shortened by the list's age (seconds on a loaded machine).
    assert.match(
      hosts[0] ?? '',
      /^primary\.example:587 \(starttls\): down, (10 min|9 min \d{1,2} s) left \(2 failed\)$/,
    );
    assert.equal(hosts[1], 'backup.example:465 (implicit): up');
    assert.match(
      state?.join('|') ?? '',
      /^paused \(throttled\), (2 min|1 min \d{1,2} s) left, pause 2$/,
    );
    assert.deepEqual(rate, ['7 of 30/1m messages', '9 of 10000/1d recipients']);
    assert.deepEqual(connections, ['1 in use, limit 2']);
    assert.deepEqual(counts, [['3'], ['1'], ['0'], ['1']]);

    const [defaultName, defaultHosts, held, noLimit, defaultConnections, ...defaultCounts] =
      await cellLines(page.locator('tr[data-route="default"]'));
    assert.deepEqual(defaultName, ['default', 'mail no other route takes']);
    assert.deepEqual(defaultHosts, ['smtp.isp.example:25 (none): up']);
    assert.match(held?.join('|') ?? '', /^held, (1 h|59 min \d{1,2} s) left$/);
    assert.deepEqual(noLimit, ['no limit']);
    assert.deepEqual(defaultConnections, ['0 in use']);
    assert.deepEqual(defaultCounts, [['0'], ['0'], ['1'], ['0']]);
    assert.equal(await page.locator('#no-routes').isHidden(), true);

    const message = page.locator(`tr[data-id="${id}"]`);
    await message.waitFor();
    assert.equal(await message.locator('td').nth(8).textContent(), 'sales');
    await context.close();
  });

  it('the overview says what needs the operator and what to do: a hold, an OAuth2 refusal, a host down', async () => {
    const m365: PublishedRouteStatus = {
      ...DEFAULT,
      name: 'm365',
      heldMs: 0,
      auth: 'oauth2',
      oauth2: {
        provider: 'microsoft',
        tokenExpiresAt: null,
        failure: {
          reason: 'invalid_client',
          message: 'AADSTS7000215: Invalid client secret provided.',
        },
      },
    };
    // Up, but its last try failed; its OAuth2 token is valid.
    const google: PublishedRouteStatus = {
      ...DEFAULT,
      name: 'google',
      heldMs: 0,
      hosts: [
        {
          host: 'smtp.gmail.com',
          port: 465,
          tls: 'implicit',
          up: true,
          coolingDownMs: 0,
          failures: 1,
        },
      ],
      auth: 'oauth2',
      oauth2: { provider: 'google', tokenExpiresAt: Date.now() + 3_600_000, failure: null },
    };
    // A token cached by a sender that has not delivered since it expired.
    const stale: PublishedRouteStatus = {
      ...google,
      name: 'stale',
      hosts: [
        {
          host: 'smtp-old.example',
          port: 25,
          tls: 'none',
          up: true,
          coolingDownMs: 0,
          failures: 0,
        },
      ],
      oauth2: { provider: 'google', tokenExpiresAt: Date.now() - 60_000, failure: null },
    };
    // SALES has its primary host cooling down; DEFAULT is held.
    await publishRouteStatus(redis.connection, prefix, [SALES, DEFAULT, m365, google, stale]);
    await recordHoldReason(redis.connection, prefix, 'default', {
      category: 'auth',
      reply: '535 5.7.8 Authentication credentials invalid',
      hint: 'The smart host refused our login: check SMART_HOST_USER and SMART_HOST_PASSWORD.',
      at: Date.now() - 60_000,
    });
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
      timezoneId: 'UTC',
      locale: 'en-GB',
    });
    const page = await context.newPage();
    await page.goto(`${base}/ui`);
    const items = page.locator('#attention li');
    await waitFor(async () => (await items.count()) >= 3, { description: 'three things to fix' });
    const texts = await items.allTextContents();
    const held = texts.find((text) => text.startsWith('Route default is held'));
    assert.match(
      held ?? texts.join('\n'),
      /Our settings failed \(auth, 1 min ago\): 535 5\.7\.8 Authentication credentials invalid.*What to do: The smart host refused our login: check SMART_HOST_USER and SMART_HOST_PASSWORD\. Mail is kept and never bounced.*npx smtp-relay queue resume/,
    );
    const oauth2 = texts.find((text) =>
      text.startsWith('Route m365: the OAuth2 token endpoint refuses'),
    );
    assert.match(
      oauth2 ?? texts.join('\n'),
      /AADSTS7000215.*What to do: run npx smtp-relay oauth2 check/,
    );
    assert.ok(
      texts.some((text) =>
        /^Smart host primary\.example:587 \(route sales\) is cooling down/.test(text),
      ),
      texts.join('\n'),
    );
    assert.equal(await page.locator('#all-well').isHidden(), true);
    const login = await page
      .locator('#hosts tr[data-host="m365 smtp.isp.example:25"] td')
      .nth(5)
      .textContent();
    assert.equal(login, 'OAuth2 (microsoft): refused, invalid_client');

    // Each smart host's state and login on the overview.
    const hostRow = (key: string) => cellLines(page.locator(`#hosts tr[data-host="${key}"]`));
    const primary = await hostRow('sales primary.example:587');
    assert.match(
      primary[2]?.join('|') ?? '',
      /^cooling down, (10 min|9 min \d{1,2} s) left \(2 failed\)$/,
    );
    assert.deepEqual((await hostRow('sales backup.example:465'))[2], ['up']);
    const gmail = await hostRow('google smtp.gmail.com:465');
    assert.deepEqual(gmail[1], ['smtp.gmail.com:465 (implicit)']);
    assert.deepEqual(gmail[2], ['failing (1 failed)']);
    const hhmm = (ms: number | null | undefined) => new Date(ms ?? 0).toISOString().slice(11, 16);
    assert.deepEqual(gmail[5], [
      'OAuth2 (google)',
      `token valid until ${hhmm(google.oauth2?.tokenExpiresAt)}`,
    ]);
    assert.deepEqual((await hostRow('stale smtp-old.example:25'))[5], [
      'OAuth2 (google)',
      `token expired at ${hhmm(stale.oauth2?.tokenExpiresAt)}: a new one is fetched at the next delivery`,
    ]);
    await context.close();
  });

  it('says so when no sender has published the routes', async () => {
    await publishRouteStatus(redis.connection, prefix, []);
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
    });
    const page = await context.newPage();
    await page.goto(`${base}/ui`);
    await page.locator('#no-routes').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#routes tr').count(), 0);
    await context.close();
  });
});
