import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  startFakeSmartHost,
  waitFor,
  type FakeSmartHost,
  type ReceivedMessage,
} from '@smtp-relay/testkit';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { stringify } from 'yaml';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { queuedId, submit } from './harness/submit.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Failover, routes and rate limits" and "DKIM signing": a
// route of SMART_HOST_ROUTES_FILE with `dkimKeysDir` signs with the keys of that
// folder; the default route, and a route without `dkimKeysDir`, with those of
// DKIM_KEYS_DIR. What arrives at each fake smart host is verified with
// mailauth's verifier against the public key of the folder (no DNS).

const SELECTOR = 's1';

interface Folder {
  readonly dir: string;
  readonly domain: string;
  /** The TXT record of its key, as `npx smtp-relay dkim` prints it. */
  readonly record: { readonly name: string; readonly value: string };
}

/** A key folder with one RSA key for `domain`, selector s1. */
function keyFolder(root: string, name: string, domain: string): Folder {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = join(root, name);
  mkdirSync(join(dir, domain), { recursive: true });
  writeFileSync(
    join(dir, domain, `${SELECTOR}.pem`),
    privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
  return { dir, domain, record: recordOf(domain, publicKey) };
}

const recordOf = (domain: string, publicKey: KeyObject) => ({
  name: `${SELECTOR}._domainkey.${domain}`,
  value: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
});

/** The header with its folded lines joined. */
const headerOf = (message: ReceivedMessage): string => {
  const data = message.data.toString('utf8');
  return data.slice(0, data.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
};

/** "result d= algo" of each signature, checked against the one record given. */
async function verifyWith(message: ReceivedMessage, record: Folder['record']): Promise<string[]> {
  const result = await dkimVerify(message.data, {
    resolver: (name: string) =>
      name === record.name
        ? Promise.resolve([[record.value]])
        : Promise.reject(Object.assign(new Error(name), { code: 'ENOTFOUND' })),
  });
  return result.results.map((r) => `${r.status.result} ${r.signingDomain ?? ''} ${r.algo ?? ''}`);
}

describe('DKIM signing per route (dkimKeysDir of SMART_HOST_ROUTES_FILE)', () => {
  const root = mkdtempSync(join(tmpdir(), 'dkim-routes-e2e-'));
  /** DKIM_KEYS_DIR. */
  const folderA = keyFolder(root, 'a', 'example.com');
  /** Route `sales`'s dkimKeysDir: another domain, another key. */
  const folderB = keyFolder(root, 'b', 'sales.example.com');
  let redis: TestRedis;
  let stack: RelayStack;
  /** Route `sales`: senders *@sales.example.com, dkimKeysDir B. */
  let sales: FakeSmartHost;
  /** Route `plain`: senders *@plain.test, no dkimKeysDir. */
  let plain: FakeSmartHost;
  /** The SMART_HOST_* variables. */
  let fallback: FakeSmartHost;

  async function send(envelopeFrom: string, from: string, subject: string): Promise<string> {
    return queuedId(
      await submit({
        port: stack.smtpPort,
        tls: 'none',
        from: envelopeFrom,
        to: ['boss@example.test'],
        raw:
          `From: ${from}\r\nTo: boss@example.test\r\nSubject: ${subject}\r\n` +
          `Message-ID: <${subject}@lan.test>\r\n\r\nThe report is attached.\r\n`,
      }),
    );
  }

  const arrival = (host: FakeSmartHost, subject: string): Promise<ReceivedMessage> =>
    waitFor(
      () => host.messages.find((m) => m.data.toString().includes(`Subject: ${subject}\r\n`)),
      { timeoutMs: 15_000, description: `"${subject}" at its smart host` },
    );

  before(async () => {
    redis = await useTestRedis();
    [sales, plain, fallback] = await Promise.all([
      startFakeSmartHost({ tls: 'none' }),
      startFakeSmartHost({ tls: 'none' }),
      startFakeSmartHost({ tls: 'none' }),
    ]);
    const routesFile = join(root, 'routes.yaml');
    writeFileSync(
      routesFile,
      stringify({
        routes: [
          {
            name: 'sales',
            match: { senders: ['*@sales.example.com'] },
            smartHost: { host: `127.0.0.1:${String(sales.port)}`, tls: 'none' },
            dkimKeysDir: folderB.dir,
          },
          {
            name: 'plain',
            match: { senders: ['*@plain.test'] },
            smartHost: { host: `127.0.0.1:${String(plain.port)}`, tls: 'none' },
          },
        ],
      }),
    );
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: fallback.port, tls: 'none' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMART_HOST_ROUTES_FILE: routesFile,
        DKIM_KEYS_DIR: folderA.dir,
        RETRY_DELAYS: '1s',
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await Promise.all([sales, plain, fallback].map((host) => host.close()));
    await redis.cleanup();
    rmSync(root, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0]);
  });

  it("the sales route signs with its own folder's key (d=sales.example.com, B's key)", async () => {
    await send('ann@sales.example.com', 'ann@sales.example.com', 'sales-signed');
    const message = await arrival(sales, 'sales-signed');
    assert.match(headerOf(message), /^DKIM-Signature:.*\bd=sales\.example\.com;/im);
    assert.deepEqual(await verifyWith(message, folderB.record), [
      'pass sales.example.com rsa-sha256',
    ]);
    assert.equal(fallback.messages.length + plain.messages.length, 0);
  });

  it("the default route signs with DKIM_KEYS_DIR (d=example.com, A's key)", async () => {
    await send('bob@example.com', 'bob@example.com', 'default-signed');
    const message = await arrival(fallback, 'default-signed');
    assert.match(headerOf(message), /^DKIM-Signature:.*\bd=example\.com;/im);
    assert.deepEqual(await verifyWith(message, folderA.record), ['pass example.com rsa-sha256']);
  });

  it('a route without dkimKeysDir falls back to DKIM_KEYS_DIR', async () => {
    await send('carol@plain.test', 'carol@example.com', 'plain-signed');
    const message = await arrival(plain, 'plain-signed');
    assert.deepEqual(await verifyWith(message, folderA.record), ['pass example.com rsa-sha256']);
  });

  it("each folder is its route's alone: no route signs with the other's keys", async () => {
    // Through `sales` (its envelope sender) with a From: only A has a key for.
    await send('ann@sales.example.com', 'bob@example.com', 'sales-foreign');
    // Through the default route with a From: only B has a key for.
    await send('bob@lan.test', 'ann@sales.example.com', 'default-foreign');
    for (const message of [
      await arrival(sales, 'sales-foreign'),
      await arrival(fallback, 'default-foreign'),
    ]) {
      assert.doesNotMatch(headerOf(message), /^DKIM-Signature:/im);
    }
  });
});
