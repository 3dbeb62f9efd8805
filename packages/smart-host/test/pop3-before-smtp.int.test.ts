import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { SmartHostConfig } from '@smtp-relay/config';
import { RELAY_VERSION, createLogger, createMetrics } from '@smtp-relay/observability';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import {
  generateCertificates,
  getFreePort,
  startFakePop3Server,
  startFakeSmartHost,
  type FakePop3Server,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { createMemoryHostHealthStore } from '../src/failover/host-health-store.ts';
import { createPop3BeforeSmtpClient } from '../src/pop3/pop3-before-smtp.ts';
import type { SmartHostClient, SmartHostError } from '../src/smart-host-client.ts';
import { createSmartHostClient } from '../src/smart-host-client.ts';
import { singleHostConfig } from './single-host-config.ts';

// The smart-host client with POP3 before SMTP, against a POP3 server and a
// smart host that refuses MAIL from an address without a recent POP3 login
// (docs/reference.md "POP3 before SMTP"). Time is the test's: the login gate
// reads an injected clock.

const PASSWORD = 'pop-secret-3141';
const INTERVAL = 300_000;
const ENVELOPE = {
  from: 'scanner@lan.test',
  to: ['boss@example.test'],
  size: 6,
  use8BitMime: false,
};
const BODY = [Buffer.from('hello\r\n')];

describe('POP3 before SMTP', () => {
  let certs: GeneratedCertificates;
  let pop3: FakePop3Server;
  let smartHost: FakeSmartHost;
  const clients: SmartHostClient[] = [];

  before(async () => {
    certs = await generateCertificates();
    const certificate = { key: certs.key, cert: certs.cert };
    pop3 = await startFakePop3Server({ tls: 'starttls', certificate, users: { relay: PASSWORD } });
    smartHost = await startFakeSmartHost({
      tls: 'starttls',
      certificate,
      // Offered, not required: the POP3 login takes its place, so it must not be used.
      auth: { username: 'relay', password: PASSWORD, required: false },
      requirePop3Login: { server: pop3, withinMs: INTERVAL },
    });
  });

  beforeEach(() => {
    pop3.reset();
    pop3.setUsers({ relay: PASSWORD });
    smartHost.reset();
  });

  after(async () => {
    for (const client of clients) await client.close();
    await smartHost.close();
    await pop3.close();
    await certs.cleanup();
  });

  function smartHostConfig(): SmartHostConfig {
    return singleHostConfig({
      provider: undefined,
      region: undefined,
      demo: false,
      host: '127.0.0.1',
      port: smartHost.port,
      tls: 'starttls',
      user: 'relay',
      password: PASSWORD,
      oauth2: undefined,
      authMethods: undefined,
      caFile: certs.caFile,
      tlsVerify: true,
    });
  }

  function client(clock: { ms: number }, smartHostConfigured: SmartHostConfig = smartHostConfig()) {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    const created = createPop3BeforeSmtpClient({
      smartHost: smartHostConfigured,
      route: 'default',
      health: createMemoryHostHealthStore(),
      metrics: createMetrics(),
      pop3: { host: '127.0.0.1', port: pop3.port, tls: 'starttls', intervalMs: INTERVAL },
      extraCa: Buffer.from(certs.caCert),
      heloName: 'relay.test',
      timeoutMs: 10_000,
      logger: createLogger({ service: 'test', version: RELAY_VERSION, level: 'info', destination }),
      now: () => clock.ms,
    });
    clients.push(created);
    return { client: created, lines };
  }

  it('the smart host of these tests refuses MAIL without a POP3 login (a bounce, were it let through)', async () => {
    const plain = createSmartHostClient({
      smartHost: { ...smartHostConfig(), user: undefined, password: undefined },
      extraCa: Buffer.from(certs.caCert),
      heloName: 'relay.test',
      timeoutMs: 10_000,
      logger: createLogger({ service: 'test', version: RELAY_VERSION, level: 'silent' }),
    });
    clients.push(plain);
    const error = await plain.send(ENVELOPE, BODY).then(
      () => assert.fail('expected a refusal'),
      (failure: unknown) => failure as SmartHostError,
    );
    assert.equal(error.responseCode, 550);
    assert.equal(classifyDeliveryError(error).kind, 'permanent');
  });

  it('logs in once for messages sent together, before MAIL, and never uses SMTP AUTH', async () => {
    const { client: relay, lines } = client({ ms: 0 });
    const results = await Promise.all(Array.from({ length: 6 }, () => relay.send(ENVELOPE, BODY)));
    assert.equal(results.length, 6);
    assert.equal(pop3.logins.length, 1, pop3.describe());
    assert.equal(smartHost.messages.length, 6);
    assert.ok(!smartHost.events.some((e) => e.type === 'auth'), 'no AUTH at the smart host');
    const [login] = pop3.logins;
    const firstMail = smartHost.events.find((e) => e.type === 'mail-from');
    assert.ok(login && firstMail && login.at <= firstMail.at, 'the login came first');
    assert.deepEqual(
      lines.map((l) => l['event']),
      ['pop3.login'],
    );
    assert.ok(!JSON.stringify(lines).includes(PASSWORD), 'the password is never logged');
  });

  it('logs in again once the interval has passed, not before', async () => {
    const clock = { ms: 1_000 };
    const { client: relay } = client(clock);
    await relay.send(ENVELOPE, BODY);
    clock.ms += INTERVAL - 1;
    await relay.send(ENVELOPE, BODY);
    assert.equal(pop3.logins.length, 1);
    clock.ms += 1;
    await relay.send(ENVELOPE, BODY);
    assert.equal(pop3.logins.length, 2);
    assert.equal(smartHost.messages.length, 3);
  });

  it('a refused login fails the message as systemic, reaches no smart host, and is tried again next time', async () => {
    pop3.setUsers({ relay: 'changed-by-the-isp' });
    const { client: relay, lines } = client({ ms: 0 });
    const errors = await Promise.all(
      [1, 2, 3].map(() =>
        relay.send(ENVELOPE, BODY).then(
          () => assert.fail('expected a failure'),
          (failure: unknown) => failure as SmartHostError,
        ),
      ),
    );
    for (const error of errors) {
      const classified = classifyDeliveryError(error);
      assert.equal(classified.kind, 'systemic');
      assert.equal(classified.category, 'pop3');
      assert.equal(classified.rule, 'POP3 server refused our login');
    }
    assert.equal(pop3.attempts.length, 1, 'one login attempt for the three messages');
    assert.ok(!smartHost.events.some((e) => e.type === 'connect'), 'no SMTP connection');
    const failed = lines.find((l) => l['event'] === 'pop3.failed');
    assert.equal(failed?.['level'], 'error');
    assert.equal(failed['command'], 'PASS');
    assert.equal(failed['reply'], '-ERR [AUTH] Authentication failed.');
    assert.ok(!JSON.stringify(lines).includes(PASSWORD), 'the password is never logged');

    // Fixed on the server's side: no wait for an interval, the next message logs in.
    pop3.setUsers({ relay: PASSWORD });
    await relay.send(ENVELOPE, BODY);
    assert.equal(pop3.logins.length, 1);
    assert.equal(smartHost.messages.length, 1);
  });

  it("logs in to POP3 once, then fails over among the route's smart hosts", async () => {
    const unreachable = await getFreePort();
    const config = smartHostConfig();
    const { client: relay, lines } = client(
      { ms: 0 },
      {
        ...config,
        hosts: [
          { host: '127.0.0.1', port: unreachable, tls: 'starttls' },
          { host: '127.0.0.1', port: smartHost.port, tls: 'starttls' },
        ],
      },
    );
    await relay.send(ENVELOPE, BODY);
    await relay.send(ENVELOPE, BODY, { ignoreCooldown: true });
    assert.equal(pop3.logins.length, 1);
    assert.equal(smartHost.messages.length, 2);
    assert.deepEqual(
      lines.map((l) => l['event']),
      ['pop3.login', 'smart-host.down', 'smart-host.failover', 'smart-host.failover'],
    );
  });
});
