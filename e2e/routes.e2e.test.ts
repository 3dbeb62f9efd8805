import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@smtp-relay/policy';
import { startFakeSmartHost, type FakeSmartHost, type ReceivedMessage } from '@smtp-relay/testkit';
import { stringify } from 'yaml';
import { adminJson } from './harness/admin-http.ts';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { runCli } from './harness/run-node.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { queuedId, submit } from './harness/submit.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Failover, routes and rate limits": SMART_HOST_ROUTES_FILE
// sends mail by envelope sender or SMTP AUTH user through routes of its own,
// each with its smart host, credentials and REWRITE_FROM; everything else takes
// the default route (the SMART_HOST_* variables). A route's trouble stays its own.

const TOKEN = 'e2e-routes-token-0123456789';
const DEVICE_USER = 'scanner-3f';
const DEVICE_PASSWORD = 'scanner-pass';
const SALES_REWRITE = 'relay@sales.example.com';

interface MessageView {
  id: string;
  state: string;
  route: string | null;
}

/** A fake smart host that wants its own login (plain text over loopback). */
function loginHost(username: string, password: string): Promise<FakeSmartHost> {
  return startFakeSmartHost({ tls: 'none', allowInsecureAuth: true, auth: { username, password } });
}

/** The header fields as lines (no folding in these tests). */
const headerOf = (message: ReceivedMessage | undefined): string[] => {
  const data = message?.data.toString('utf8') ?? '';
  return data.slice(0, data.indexOf('\r\n\r\n')).split('\r\n');
};

describe('SMART_HOST_ROUTES_FILE: mail by sender or user through routes of its own', () => {
  let redis: TestRedis;
  let dir: string;
  let stack: RelayStack;
  /** Route `sales`: senders *@sales.example.com, with its own REWRITE_FROM. */
  let sales: FakeSmartHost;
  /** Route `scanners`: the SMTP AUTH user scanner-3f. */
  let scanners: FakeSmartHost;
  /** Route `billing`: senders *@billing.example.com; refuses the password the relay has. */
  let billing: FakeSmartHost;
  /** The SMART_HOST_* variables. */
  let fallback: FakeSmartHost;

  const senderLogs = (predicate: (line: LogLine) => boolean): LogLine[] =>
    stack.sender.logs.filter(predicate);
  const delivered = (id: string): Promise<LogLine> =>
    stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
  const message = (id: string): Promise<MessageView> =>
    adminJson<MessageView>(stack.ingress.adminPort, `/api/v1/messages/${id}`, TOKEN);
  /** One message with a From: field equal to the envelope sender; as `user` with SMTP AUTH. */
  const send = async (from: string, user?: string): Promise<string> =>
    queuedId(
      await submit({
        port: stack.smtpPort,
        tls: 'none',
        ...(user === undefined ? {} : { auth: { user, pass: DEVICE_PASSWORD } }),
        from,
        to: ['boss@example.test'],
        raw: `From: ${from}\r\nTo: boss@example.test\r\nSubject: routes\r\n\r\npage 1\r\n`,
      }),
    );
  /** As the user scanner-3f, from an address no route's senders match. */
  const sendAsScanner = (): Promise<string> => send('scan@lan.test', DEVICE_USER);

  before(async () => {
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'routes-e2e-'));
    [sales, scanners, billing, fallback] = await Promise.all([
      loginHost('sales-relay', 'sales-secret'),
      loginHost('scan-relay', 'scan-secret'),
      loginHost('billing-relay', 'rotated-secret'),
      loginHost('default-relay', 'default-secret'),
    ]);
    const secret = async (name: string, value: string): Promise<string> => {
      const file = join(dir, name);
      await writeFile(file, `${value}\n`);
      return file;
    };
    const smartHost = async (host: FakeSmartHost, user: string, password: string) => ({
      host: `127.0.0.1:${String(host.port)}`,
      tls: 'none',
      user,
      passwordFile: await secret(user, password),
    });
    const routesFile = join(dir, 'routes.yaml');
    await writeFile(
      routesFile,
      stringify({
        routes: [
          {
            name: 'sales',
            match: { senders: ['*@sales.example.com'] },
            smartHost: await smartHost(sales, 'sales-relay', 'sales-secret'),
            rewriteFrom: SALES_REWRITE,
          },
          {
            name: 'scanners',
            match: { users: [DEVICE_USER] },
            smartHost: await smartHost(scanners, 'scan-relay', 'scan-secret'),
          },
          {
            name: 'billing',
            match: { senders: ['*@billing.example.com'] },
            // The provider rotated the password; the file still has the old one.
            smartHost: await smartHost(billing, 'billing-relay', 'old-secret'),
          },
        ],
      }),
    );
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, `${DEVICE_USER} ${await hashPassword(DEVICE_PASSWORD)}\n`);
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: fallback.port, tls: 'none' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMTP_AUTH_FILE: usersFile,
        // No certificate in this test: AUTH in plain text, over loopback.
        SMTP_ALLOW_INSECURE_AUTH: 'true',
        SMART_HOST_USER: 'default-relay',
        SMART_HOST_PASSWORD: 'default-secret',
        SMART_HOST_ROUTES_FILE: routesFile,
        RETRY_DELAYS: '1s',
        ADMIN_TOKEN: TOKEN,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await Promise.all([sales, scanners, billing, fallback].map((host) => host.close()));
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0]);
  });

  it('each route delivers to its own smart host with its own login; REWRITE_FROM only on its route', async () => {
    const salesId = await send('alice@sales.example.com');
    const scanId = await sendAsScanner();
    const defaultId = await send('device@lan.test');

    const [toSales] = await sales.waitForMessages(1);
    const [toScanners] = await scanners.waitForMessages(1);
    const [toDefault] = await fallback.waitForMessages(1);
    assert.equal(toSales?.authUser, 'sales-relay');
    assert.equal(toScanners?.authUser, 'scan-relay');
    assert.equal(toDefault?.authUser, 'default-relay');
    // The sales route's REWRITE_FROM; the other routes relay the sender as it is.
    assert.equal(toSales.mailFrom, SALES_REWRITE);
    const salesHeader = headerOf(toSales);
    assert.ok(salesHeader.includes(`From: ${SALES_REWRITE}`), salesHeader.join('\n'));
    assert.ok(salesHeader.includes('X-Original-From: alice@sales.example.com'));
    assert.equal(toScanners.mailFrom, 'scan@lan.test');
    assert.equal(toDefault.mailFrom, 'device@lan.test');
    for (const [header, from] of [
      [headerOf(toScanners), 'scan@lan.test'],
      [headerOf(toDefault), 'device@lan.test'],
    ] as const) {
      assert.ok(header.includes(`From: ${from}`), header.join('\n'));
      assert.ok(!header.some((line) => /^(X-Original-From|Reply-To):/i.test(line)));
    }
    assert.equal(billing.messages.length, 0);

    // The route is on the sender's log lines and on the job in the admin API.
    const routes = { [salesId]: 'sales', [scanId]: 'scanners', [defaultId]: 'default' };
    for (const [id, route] of Object.entries(routes)) {
      assert.equal((await delivered(id))['route'], route, id);
      const view = await message(id);
      assert.deepEqual([view.state, view.route], ['completed', route], id);
    }
    assert.ok(
      senderLogs((l) => l['messageId'] === salesId).every((l) => l['route'] === 'sales'),
      'every line about the sales message names its route',
    );
  });

  it("a recipient the route's smart host refuses bounces, and the bounce goes out the same route", async () => {
    const before = fallback.messages.length;
    const id = await sendThroughRelay(stack.smtpPort, {
      from: 'alice@sales.example.com',
      to: ['reject-nobody@example.test'],
      subject: 'to nobody',
    });
    const bounced = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.bounced' && l['messageId'] === id,
    );
    assert.equal(bounced['route'], 'sales');
    assert.equal(bounced['category'], 'recipient-rejected');
    const bounce = await sales
      .waitForMessages(2)
      .then((messages) => messages.find((m) => m.mailFrom === ''));
    assert.ok(bounce, sales.describe());
    assert.deepEqual(bounce.rcptTo, ['alice@sales.example.com']);
    assert.equal(bounce.authUser, 'sales-relay');
    assert.match(
      bounce.data.toString('utf8'),
      /Final-Recipient: rfc822; reject-nobody@example\.test/,
    );
    const queued = await stack.sender.waitForLog(
      (l) => l.event === 'bounce.queued' && l['messageId'] === id,
    );
    const bounceId = String(queued['bounceId']);
    assert.equal((await delivered(bounceId))['route'], 'sales');
    assert.equal((await message(bounceId)).route, 'sales');
    assert.equal(fallback.messages.length, before, 'nothing of it went to the default route');
  });

  it('a route whose smart host refuses the password is held; the other routes keep delivering', async () => {
    const heldId = await send('bob@billing.example.com');
    const systemic = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.systemic' && l['messageId'] === heldId,
    );
    assert.equal(systemic['route'], 'billing');
    assert.equal(systemic['category'], 'auth');
    const refused = billing.events.find((e) => e.type === 'auth');
    assert.ok(refused?.type === 'auth' && refused.reply.code === 535, billing.describe());

    // Meanwhile every other route delivers.
    const counts = [sales, scanners, fallback].map((host) => host.messages.length);
    const salesId = await send('carol@sales.example.com');
    const scanId = await sendAsScanner();
    const defaultId = await send('device@lan.test');
    for (const id of [salesId, scanId, defaultId]) await delivered(id);
    assert.deepEqual(
      await Promise.all(
        [sales, scanners, fallback].map(
          async (host, i) =>
            (await host.waitForMessages((counts[i] ?? 0) + 1)).length - (counts[i] ?? 0),
        ),
      ),
      [1, 1, 1],
    );

    // The held message is kept, on its route, never bounced nor sent.
    const view = await message(heldId);
    assert.equal(view.route, 'billing');
    assert.notEqual(view.state, 'completed');
    assert.notEqual(view.state, 'failed');
    assert.equal(billing.messages.length, 0);
    assert.equal(
      senderLogs((l) => l.event === 'delivery.bounced' && l['route'] === 'billing').length,
      0,
    );
    assert.ok(
      !senderLogs((l) => l.event === 'bounce.queued').some((l) => l['messageId'] === heldId),
    );
  });

  it('`smtp-relay config` names each problem of an invalid routes file by its place in it', async () => {
    const invalid = join(dir, 'invalid-routes.yaml');
    await writeFile(
      invalid,
      [
        'routes:',
        '  - name: sales',
        "    match: {senders: ['*@sales.example.com']}",
        '    smartHost:',
        '      host: smtp.sales.example',
        "      port: '587'",
        '      hots: typo.example',
        '',
      ].join('\n'),
    );
    const result = await runCli(['config'], {
      SMART_HOST: 'smtp.example.com',
      SMART_HOST_ROUTES_FILE: invalid,
    });
    assert.equal(result.code, 1, result.stderr);
    // Both problems at once, each with its place in the file.
    assert.match(
      result.stderr,
      /^ {2}- SMART_HOST_ROUTES_FILE: routes\[0\]\.smartHost\.port: expected a number, got "587"$/m,
    );
    assert.match(
      result.stderr,
      /^ {2}- SMART_HOST_ROUTES_FILE: routes\[0\]\.smartHost\.hots: unknown key; the keys here are host, port, /m,
    );
    assert.equal(result.stdout, '');
  });
});
