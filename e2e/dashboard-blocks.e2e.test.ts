import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { smtpConversation } from '@smtp-relay/testkit';
import { chromium, type Browser } from 'playwright-core';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// The "Blocked clients" section of /ui in a real headless Chromium (Debian's
// package): a blocked address is listed and its Lift button ends the block.

const TOKEN = 'dashboard-blocks-admin-token-42';
const CHROMIUM = '/usr/bin/chromium';

describe('blocked clients on the dashboard (/ui)', () => {
  let redis: TestRedis;
  let stack: RelayStack;
  let browser: Browser;
  let dir: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'dashboard-blocks-'));
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'printer printer-pass\n');
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_AUTH_FILE: usersFile,
        SMTP_ALLOW_INSECURE_AUTH: 'true',
        SMTP_AUTH_MAX_FAILURES: '1',
        ADMIN_TOKEN: TOKEN,
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser.close();
    const codes = await stack.stop();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('lists a blocked address with its reason, and Lift ends the block', async () => {
    const session = await smtpConversation({ port: stack.smtpPort });
    await session.send('EHLO attacker.test');
    const wrong = await session.send(
      `AUTH PLAIN ${Buffer.from('\0printer\0guess').toString('base64')}`,
    );
    assert.equal(wrong.code, 421, 'one failure is the limit here');
    await session.close();

    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TOKEN },
    });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      void dialog.accept();
    });
    await page.goto(`http://127.0.0.1:${String(stack.ingress.adminPort)}/ui`);
    const row = page.locator('#blocks tr[data-address="127.0.0.1"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], '127.0.0.1');
    assert.equal(cells[1], 'failed AUTH');
    assert.ok((cells[2] ?? '') !== '', 'end of the block shown');

    // The page's fetch carries X-Requested-With: the API's CSRF rule lets it through.
    await row.getByRole('button', { name: 'lift' }).click();
    await page.locator('#status', { hasText: '127.0.0.1: block lifted' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await page.locator('#no-blocks').waitFor({ state: 'visible' });
    await context.close();

    const again = await smtpConversation({ port: stack.smtpPort });
    assert.equal(again.greeting.code, 220);
    await again.close();
  });
});
