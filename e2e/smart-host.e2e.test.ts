import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  generateSelfSignedCertificate,
  startFakeSmartHost,
  type FakeSmartHost,
  type FakeSmartHostOptions,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { readQueueState } from './harness/queue-state.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// The sender's side (MercuryC): TLS modes towards the smart host, certificate
// checks, AUTH mechanism allow-list, EHLO name; and that our own
// misconfiguration holds mail (never bounces it, never sends it in clear).

describe('sender and the smart host', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  const running: { stack: RelayStack; smartHost: FakeSmartHost }[] = [];

  async function relayTo(
    smartHostOptions: FakeSmartHostOptions,
    variables: Record<string, string>,
    smartHostTls: 'implicit' | 'starttls' | 'none' = smartHostOptions.tls,
  ): Promise<{ stack: RelayStack; smartHost: FakeSmartHost }> {
    const smartHost = await startFakeSmartHost(smartHostOptions);
    const stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: smartHostTls },
      variables: { SMTP_RELAY_NETWORKS: '127.0.0.0/8', RETRY_DELAYS: '300ms', ...variables },
    });
    const pair = { stack, smartHost };
    running.push(pair);
    return pair;
  }

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
  });

  after(async () => {
    for (const { stack, smartHost } of running) {
      const codes = await stack.stop();
      await smartHost.close();
      assert.deepEqual(codes, [0, 0]);
    }
    await certs.cleanup();
    await redis.cleanup();
  });

  const certificate = (): { key: string; cert: string } => ({ key: certs.key, cert: certs.cert });

  it('SMART_HOST_TLS=implicit: TLS from the first byte, certificate checked against SMART_HOST_CA_FILE', async () => {
    const { stack, smartHost } = await relayTo(
      { tls: 'implicit', certificate: certificate() },
      { SMART_HOST_CA_FILE: certs.caFile, HELO_NAME: 'mercury-c.test' },
    );
    await sendThroughRelay(stack.smtpPort);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.secure, true);
    assert.equal(message.ehloName, 'mercury-c.test');
  });

  it('SMART_HOST_TLS=starttls: upgrades before AUTH and uses only SMART_HOST_AUTH_METHODS', async () => {
    const { stack, smartHost } = await relayTo(
      {
        tls: 'starttls',
        certificate: certificate(),
        // CRAM-MD5 is offered first: the relay must not use it.
        auth: { username: 'relay', password: 'secret', methods: ['CRAM-MD5', 'LOGIN', 'PLAIN'] },
      },
      {
        SMART_HOST_CA_FILE: certs.caFile,
        SMART_HOST_USER: 'relay',
        SMART_HOST_PASSWORD: 'secret',
        SMART_HOST_AUTH_METHODS: 'PLAIN,LOGIN',
      },
    );
    await sendThroughRelay(stack.smtpPort);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.secure, true);
    assert.equal(message.authMethod, 'PLAIN');
    assert.equal(message.authUser, 'relay');
    // Without the allow-list the first offered mechanism is used.
    assert.ok(!smartHost.events.some((e) => e.type === 'auth' && e.method === 'CRAM-MD5'));
  });

  it('SMART_HOST_TLS=none: plain text when the operator says so', async () => {
    const { stack, smartHost } = await relayTo({ tls: 'none' }, {});
    await sendThroughRelay(stack.smtpPort);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.secure, false);
  });

  it('SMART_HOST_TLS_VERIFY=false accepts a certificate nobody vouches for', async () => {
    const selfSigned = await generateSelfSignedCertificate();
    try {
      const { stack, smartHost } = await relayTo(
        { tls: 'implicit', certificate: { key: selfSigned.key, cert: selfSigned.cert } },
        { SMART_HOST_TLS_VERIFY: 'false' },
      );
      await sendThroughRelay(stack.smtpPort);
      const [message] = await smartHost.waitForMessages(1);
      assert.ok(message);
      assert.equal(message.secure, true);
    } finally {
      await selfSigned.cleanup();
    }
  });

  it('an untrusted certificate holds the mail as a systemic failure: nothing delivered, nothing bounced', async () => {
    const { stack, smartHost } = await relayTo({ tls: 'implicit', certificate: certificate() }, {});
    const id = await sendThroughRelay(stack.smtpPort);
    const line = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.systemic' && l['messageId'] === id,
    );
    assert.ok(line);
    assert.equal(line['category'], 'tls-certificate');
    assert.equal(line.level, 'error');
    assert.equal(smartHost.messages.length, 0);
    assert.ok(!stack.sender.logs.some((l) => l.event === 'delivery.bounced'));
    const state = await readQueueState(redis.url, stack.prefix);
    assert.equal(state.bodies, 1, 'the message is kept');
  });

  it('SMART_HOST_TLS=starttls never falls back to plain text when the smart host offers no STARTTLS', async () => {
    const { stack, smartHost } = await relayTo({ tls: 'none' }, {}, 'starttls');
    const id = await sendThroughRelay(stack.smtpPort);
    const line = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.systemic' && l['messageId'] === id,
    );
    assert.equal(line['category'], 'tls');
    assert.equal(smartHost.messages.length, 0);
    assert.ok(
      !smartHost.events.some((e) => e.type === 'mail-from'),
      'no MAIL FROM was sent in clear',
    );
  });

  it('a wrong smart-host password holds the mail (systemic), logged loudly, and it goes out once fixed', async () => {
    const smartHost = await startFakeSmartHost({
      tls: 'starttls',
      certificate: certificate(),
      auth: { username: 'relay', password: 'new-password' },
    });
    const stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'starttls' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        RETRY_DELAYS: '400ms',
        SMART_HOST_CA_FILE: certs.caFile,
        SMART_HOST_USER: 'relay',
        SMART_HOST_PASSWORD: 'old-password',
      },
    });
    running.push({ stack, smartHost });
    const id = await sendThroughRelay(stack.smtpPort);
    const line = await stack.sender.waitForLog(
      (l) => l.event === 'delivery.systemic' && l['messageId'] === id,
    );
    assert.equal(line['category'], 'auth');
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(stack.sender.adminPort)}/metrics`)
    ).text();
    assert.match(metrics, /^smtp_relay_systemic_failures_total\{category="auth"\} [1-9]/m);
    assert.ok(
      !JSON.stringify(stack.sender.logs).includes('old-password'),
      'the password is never logged',
    );
    assert.equal(smartHost.messages.length, 0);

    // The operator fixes the smart host side: the held message goes out.
    await smartHost.close();
    const fixed = await startFakeSmartHost({
      tls: 'starttls',
      certificate: certificate(),
      auth: { username: 'relay', password: 'old-password' },
      port: smartHost.port,
    });
    running.push({ stack: { ...stack, stop: () => Promise.resolve([0, 0]) }, smartHost: fixed });
    const [message] = await fixed.waitForMessages(1, 15_000);
    assert.ok(message);
    assert.ok(!stack.sender.logs.some((l) => l.event === 'delivery.bounced'));
  });
});
