import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
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
import { readQueueState } from './harness/queue-state.ts';
import { startRelayProcess, type RelayProcess } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { runCli } from './harness/run-node.ts';
import { queuedId, submit } from './harness/submit.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "DKIM signing": a real sender with DKIM_KEYS_DIR relays to
// the fake smart host; what arrives is verified with mailauth's verifier
// against the records `npx smtp-relay dkim` prints (no DNS). A key that cannot
// be used holds its mail, and the mail goes out signed once the file is fixed.

interface PublishedRecord {
  readonly name: string;
  readonly value: string;
}

const pemOf = (type: 'rsa' | 'ed25519'): string =>
  (type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ed25519')
  ).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();

describe('DKIM signing (DKIM_KEYS_DIR)', () => {
  let redis: TestRedis;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let sender: RelayProcess;
  const keysDir = mkdtempSync(join(tmpdir(), 'dkim-e2e-'));
  const records: PublishedRecord[] = [];
  const GOOD_BROKEN_TEST_KEY = pemOf('ed25519');

  function putKey(domain: string, selector: string, pem: string): string {
    mkdirSync(join(keysDir, domain), { recursive: true });
    const path = join(keysDir, domain, `${selector}.pem`);
    writeFileSync(path, pem);
    return path;
  }

  async function publish(path: string): Promise<PublishedRecord> {
    const result = await runCli(['dkim', path, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const record = JSON.parse(result.stdout) as PublishedRecord;
    records.push(record);
    return record;
  }

  async function verify(message: ReceivedMessage) {
    const result = await dkimVerify(message.data, {
      resolver: (name: string) => {
        const record = records.find((r) => r.name === name);
        return record
          ? Promise.resolve([[record.value]])
          : Promise.reject(Object.assign(new Error(name), { code: 'ENOTFOUND' }));
      },
    });
    return result.results.map((r) => `${r.status.result} ${r.signingDomain ?? ''} ${r.algo ?? ''}`);
  }

  async function send(from: string, subject: string): Promise<string> {
    const raw =
      `From: ${from}\r\nTo: boss@example.test\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${subject}@lan.test>\r\n\r\nThe scan is attached.\r\n`;
    return queuedId(
      await submit({
        port: stack.smtpPort,
        from: 'scanner@lan.test',
        to: ['boss@example.test'],
        raw,
        tls: 'none',
      }),
    );
  }

  const arrived = (subject: string): ReceivedMessage | undefined =>
    smartHost.messages.find((m) => m.data.toString().includes(`Subject: ${subject}\r\n`));

  before(async () => {
    redis = await useTestRedis();
    smartHost = await startFakeSmartHost({ tls: 'none' });
    putKey('Example.com', 'rsa', pemOf('rsa'));
    putKey('example.com', 'ed', pemOf('ed25519'));
    // Cut off in the middle, as an interrupted copy leaves it.
    putKey('broken.test', 's1', GOOD_BROKEN_TEST_KEY.slice(0, 50));
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      withoutSender: true,
      variables: { SMTP_RELAY_NETWORKS: '127.0.0.0/8' },
    });
    // As startRelayStack's sender, plus DKIM_KEYS_DIR (a path of this machine).
    sender = await startRelayProcess({
      service: 'sender',
      variables: {
        SMART_HOST: '127.0.0.1',
        SMART_HOST_PORT: String(smartHost.port),
        SMART_HOST_TLS: 'none',
        RETRY_DELAYS: '300ms',
      },
      overrides: {
        REDIS_URL: redis.url,
        QUEUE_PREFIX: stack.prefix,
        SMTP_HOSTNAME: 'relay.test',
        LOG_LEVEL: 'debug',
        DKIM_KEYS_DIR: keysDir,
      },
    });
  });

  after(async () => {
    const codes = [await sender.stop(), ...(await stack.stop())];
    await smartHost.close();
    await redis.cleanup();
    rmSync(keysDir, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0]);
  });

  it('npx smtp-relay dkim prints the TXT record of a key, and refuses one that cannot sign', async () => {
    const rsa = await publish(join(keysDir, 'Example.com', 'rsa.pem'));
    assert.equal(rsa.name, 'rsa._domainkey.example.com');
    assert.match(rsa.value, /^v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/=]+$/);
    const ed = await publish(join(keysDir, 'example.com', 'ed.pem'));
    assert.match(ed.value, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);

    const zone = await runCli(['dkim', join(keysDir, 'Example.com', 'rsa.pem')]);
    assert.equal(zone.code, 0, zone.stderr);
    assert.match(zone.stdout, /^rsa\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=/);
    assert.match(zone.stderr, /rsa-sha256, 2048 bits/);

    const broken = await runCli(['dkim', join(keysDir, 'broken.test', 's1.pem')]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /cannot sign: not a PEM private key/);
    assert.equal(broken.stdout, '');
  });

  it('the sender names its keys at start-up, and the broken one', () => {
    const keys = sender.logs.find((l) => l.event === 'dkim.keys');
    assert.deepEqual(keys?.['keys'], [
      'example.com/ed (ed25519-sha256, 256 bits)',
      'example.com/rsa (rsa-sha256, 2048 bits)',
    ]);
    const unusable = sender.logs.find((l) => l.event === 'dkim.key-unusable');
    assert.deepEqual(
      { domain: unusable?.['domain'], selector: unusable?.['selector'] },
      { domain: 'broken.test', selector: 's1' },
    );
  });

  it('signs mail whose From: domain has keys: the delivered bytes verify with both published keys', async () => {
    await send('Scanner <scanner@EXAMPLE.com>', 'signed');
    const message = await waitForArrival('signed');
    assert.deepEqual((await verify(message)).sort(), [
      'pass example.com ed25519-sha256',
      'pass example.com rsa-sha256',
    ]);
  });

  it('leaves mail of another domain, a subdomain included, unsigned', async () => {
    await send('scanner@mail.example.com', 'subdomain');
    const message = await waitForArrival('subdomain');
    assert.doesNotMatch(message.data.toString(), /^DKIM-Signature:/im);
  });

  it('an unusable key holds its mail (systemic, nothing delivered, dkim.failed) until a good key replaces it', async () => {
    const id = await send('alerts@broken.test', 'held');
    const failed = await sender.waitForLog(
      (l) => l.event === 'dkim.failed' && l['domain'] === 'broken.test',
    );
    assert.equal(failed['selector'], 's1');
    assert.match(String(failed['reason']), /not a PEM private key/);
    assert.equal(failed.level, 'error');
    const systemic = await sender.waitForLog(
      (l) => l.event === 'delivery.systemic' && l['messageId'] === id,
    );
    assert.equal(systemic['category'], 'dkim');
    assert.match(String(systemic['reply']), /^451 4\.3\.5 /);
    assert.equal(arrived('held'), undefined, 'never sent unsigned');
    assert.ok(!sender.logs.some((l) => l.event === 'delivery.bounced'));
    // The delivered ones' bodies go once the smart host has them; the held one stays.
    await waitFor(async () => (await readQueueState(redis.url, stack.prefix)).bodies === 1, {
      description: 'the held message alone in the store',
    });
    assert.doesNotMatch(JSON.stringify(sender.logs), /PRIVATE KEY/);
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(sender.adminPort)}/metrics`)
    ).text();
    assert.match(metrics, /^smtp_relay_systemic_failures_total\{category="dkim"\} [1-9]/m);

    // The operator puts a good key in its place: no restart, the mail goes out signed.
    await publish(putKey('broken.test', 's1', GOOD_BROKEN_TEST_KEY));
    const message = await waitForArrival('held');
    assert.deepEqual(await verify(message), ['pass broken.test ed25519-sha256']);
  });

  function waitForArrival(subject: string): Promise<ReceivedMessage> {
    return waitFor(() => arrived(subject), {
      timeoutMs: 20_000,
      description: `"${subject}" at the smart host`,
    });
  }
});
