import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  smtpConversation,
  startFakeSmartHost,
  type FakeSmartHost,
  type SmtpConversation,
} from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// An address blocked for failed logins that is in SMTP_RELAY_NETWORKS (a shared NAT,
// Docker's proxy gateway: one device's wrong password must not cut off the printers
// relaying without AUTH behind it) is let in and relays, but its AUTH gets 454 until
// the block ends (docs/adr/008-ingress-abuse-protection.md). Untrusted addresses:
// client-blocks.e2e.test.ts; a filter-rule block of a trusted address still refuses
// it on connect: transaction-filter.e2e.test.ts.

const TOKEN = 'e2e-admin-token-trusted-blocks-42';
const PLAIN = (user: string, password: string): string =>
  `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`;
const RIGHT = PLAIN('printer', 'printer-pass');
const WRONG = PLAIN('printer', 'guess');
const LOGINS_REFUSED = /^4\.7\.0 Too many failed logins from your address, try again later$/;

describe('a blocked address in SMTP_RELAY_NETWORKS', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let dir: string;

  const greeted = async (): Promise<SmtpConversation> => {
    const session = await smtpConversation({ port: stack.smtpPort });
    assert.equal(session.greeting.code, 220, session.greeting.text);
    await session.send('EHLO printer.lan.test');
    return session;
  };

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({ tls: 'none' });
    dir = await mkdtemp(join(tmpdir(), 'client-blocks-trusted-'));
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'printer printer-pass\n');
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      variables: {
        SMTP_AUTH_FILE: usersFile,
        SMTP_ALLOW_INSECURE_AUTH: 'true',
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        ADMIN_TOKEN: TOKEN,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await smartHost.close();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0]);
  });

  it('is let in and relays without AUTH, while its AUTH gets 454, even with the right password', async () => {
    // Five wrong passwords: three end the first connection (the per-connection
    // limit), the fifth blocks the address and is answered as the block.
    const first = await greeted();
    assert.equal((await first.send(WRONG)).code, 535);
    assert.equal((await first.send(WRONG)).code, 535);
    assert.equal((await first.send(WRONG)).code, 421);
    await first.close();
    const second = await greeted();
    assert.equal((await second.send(WRONG)).code, 535);
    const fifth = await second.send(WRONG);
    assert.equal(fifth.code, 454, fifth.text);
    assert.match(fifth.text, LOGINS_REFUSED);
    const again = await second.send(RIGHT);
    assert.equal(again.code, 454, 'the connection stays, its logins do not');
    await second.close();
    const blocked = await stack.ingress.waitForLog((line) => line.event === 'smtp.client.blocked');
    assert.equal(blocked['reason'], 'auth');
    assert.equal(blocked['address'], '127.0.0.1');

    const session = await greeted();
    const login = await session.send(RIGHT);
    assert.equal(login.code, 454, 'the right password is not checked while blocked');
    assert.match(login.text, LOGINS_REFUSED);
    assert.equal((await session.send('MAIL FROM:<scanner@lan.test>')).code, 250);
    assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
    assert.equal((await session.send('DATA')).code, 354);
    session.sendRaw('Subject: scan\r\n\r\nbody\r\n.\r\n');
    const queued = await session.readReply();
    assert.equal(queued.code, 250, queued.text);
    await session.send('QUIT');
    await session.close();
    const [message] = await smartHost.waitForMessages(1);
    assert.deepEqual(message?.rcptTo, ['boss@example.test']);

    const admitted = await stack.ingress.waitForLog(
      (line) => line.event === 'smtp.client.block-relay-network',
    );
    assert.equal(admitted['reason'], 'auth');
    assert.ok(!stack.ingress.logs.some((line) => line.event === 'smtp.auth.succeeded'));
    const refusals = stack.ingress.logs.filter(
      (line) => line.event === 'smtp.client.block-refused',
    );
    assert.ok(refusals.length > 0, 'the refused logins are logged');
    for (const line of refusals) {
      assert.deepEqual([line['stage'], line['reason']], ['auth', 'auth'], 'connections never');
    }

    const base = `http://127.0.0.1:${String(stack.ingress.adminPort)}`;
    const listed = (await (
      await fetch(`${base}/api/v1/blocks`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { blocks: { address: string; reason: string }[] };
    assert.deepEqual(
      listed.blocks.map(({ address, reason }) => ({ address, reason })),
      [{ address: '127.0.0.1', reason: 'auth' }],
      'still blocked: only relay without AUTH goes on',
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.doesNotMatch(metrics, /^smtp_relay_connections_refused_total\{reason="blocked-auth"\}/m);
  });
});
