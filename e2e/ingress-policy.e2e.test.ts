import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  smtpConversation,
  waitFor,
  type GeneratedCertificates,
  type SmtpConversation,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// Ingress rules of docs/reference.md "SMTP behaviour" on the ingress process alone (no
// sender): what a client sees, and that a refused message leaves nothing in Redis.

const MAX_SIZE = 10_000;

describe('ingress policy', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let stack: RelayStack;
  let dir: string;

  const connect = (): Promise<SmtpConversation> => smtpConversation({ port: stack.smtpPort });
  const secureSession = async (): Promise<SmtpConversation> => {
    const session = await connect();
    await session.send('EHLO client.test');
    await session.startTls({ ca: certs.caCert, servername: 'localhost' });
    await session.send('EHLO client.test');
    return session;
  };
  const authenticated = async (): Promise<SmtpConversation> => {
    const session = await secureSession();
    const auth = await session.send(
      `AUTH PLAIN ${Buffer.from('\0printer\0printer-pass').toString('base64')}`,
    );
    assert.equal(auth.code, 235);
    return session;
  };
  const assertNothingQueued = async (): Promise<void> => {
    assert.deepEqual(await readQueueState(redis.url, stack.prefix), { jobs: 0, bodies: 0 });
  };

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    dir = await mkdtemp(join(tmpdir(), 'ingress-policy-'));
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'printer printer-pass\n');
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_AUTH_FILE: usersFile,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
        SMTP_MAX_MESSAGE_SIZE: String(MAX_SIZE),
        SMTP_MAX_RECIPIENTS: '3',
        SMTP_MAX_CLIENTS: '4',
        SMTP_SOCKET_TIMEOUT: '3s',
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await certs.cleanup();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('greets with its hostname and advertises the documented extensions, AUTH only after STARTTLS', async () => {
    const session = await connect();
    assert.equal(session.greeting.code, 220);
    assert.match(session.greeting.text, /^relay\.test ESMTP/);
    const plain = await session.send('EHLO client.test');
    const plainLines = plain.lines.slice(1);
    for (const extension of [
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'ENHANCEDSTATUSCODES',
      `SIZE ${String(MAX_SIZE)}`,
      'STARTTLS',
    ]) {
      assert.ok(plainLines.includes(extension), `${extension} in ${plainLines.join(', ')}`);
    }
    assert.ok(!plainLines.some((line) => line.startsWith('AUTH')), 'no AUTH in plain text');
    const refused = await session.send(
      `AUTH PLAIN ${Buffer.from('\0printer\0printer-pass').toString('base64')}`,
    );
    assert.ok(refused.code >= 500, `AUTH before TLS refused, got ${refused.code}`);
    await session.startTls({ ca: certs.caCert, servername: 'localhost' });
    const secure = await session.send('EHLO client.test');
    assert.ok(secure.lines.includes('AUTH PLAIN LOGIN'), secure.lines.join(', '));
    assert.ok(!secure.lines.includes('STARTTLS'));
    await session.close();
  });

  it('accepts EHLO and HELO with IPv4 and IPv6 address literals', async () => {
    const session = await connect();
    assert.equal((await session.send('EHLO [192.0.2.7]')).code, 250);
    assert.equal((await session.send('EHLO [IPv6:2001:db8::7]')).code, 250);
    assert.equal((await session.send('HELO [192.0.2.7]')).code, 250);
    await session.close();
  });

  it('refuses to relay without AUTH, for every address form, and queues nothing', async () => {
    const forms = [
      'victim@example.test',
      'victim%example.test@relay.test',
      'victim%example.test@[127.0.0.1]',
      '@relay.test:victim@example.test',
      '@relay.test,@other.test:victim@example.test',
      'victim!example.test@relay.test',
      'postmaster@relay.test',
      'postmaster',
      'victim@[127.0.0.1]',
      '"victim@example.test"@relay.test',
    ];
    // Five forms per session: the 10th refused command of a session neither
    // authenticated nor in SMTP_RELAY_NETWORKS is answered 421 4.7.0 (docs/reference.md
    // "Abuse protection"; e2e/ingress-abuse-refusals.e2e.test.ts).
    for (const batch of [forms.slice(0, 5), forms.slice(5)]) {
      const session = await secureSession();
      assert.equal((await session.send('MAIL FROM:<outsider@evil.test>')).code, 250);
      for (const form of batch) {
        const reply = await session.send(`RCPT TO:<${form}>`);
        assert.ok(reply.code >= 500, `${form}: ${String(reply.code)} ${reply.text}`);
        if (reply.code === 530) assert.match(reply.text, /^5\.7\.0 /);
      }
      const data = await session.send('DATA');
      assert.equal(data.code, 503, 'no DATA without an accepted recipient');
      await session.close();
    }
    await assertNothingQueued();
  });

  it('answers 535 5.7.8 to a wrong password and closes with 421 after three', async () => {
    const session = await secureSession();
    const wrong = `AUTH PLAIN ${Buffer.from('\0printer\0wrong').toString('base64')}`;
    const first = await session.send(wrong);
    assert.equal(first.code, 535);
    assert.match(first.text, /^5\.7\.8 /);
    assert.equal((await session.send(wrong)).code, 535);
    const third = await session.send(wrong);
    assert.equal(third.code, 421);
    await session.close();
  });

  it('answers 552 5.3.4 to a message over SMTP_MAX_MESSAGE_SIZE and queues nothing', async () => {
    const session = await authenticated();
    const declared = await session.send(
      `MAIL FROM:<printer@office.test> SIZE=${String(MAX_SIZE * 2)}`,
    );
    assert.equal(declared.code, 552);
    assert.equal((await session.send('MAIL FROM:<printer@office.test>')).code, 250);
    assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
    assert.equal((await session.send('DATA')).code, 354);
    const line = `${'x'.repeat(998)}\r\n`;
    session.sendRaw(
      `Subject: big\r\n\r\n${line.repeat(Math.ceil((MAX_SIZE * 2) / line.length))}.\r\n`,
    );
    const reply = await session.readReply();
    assert.equal(reply.code, 552);
    assert.match(reply.text, /^5\.3\.4 /);
    await session.close();
    await assertNothingQueued();
  });

  it('answers 452 4.5.3 beyond SMTP_MAX_RECIPIENTS', async () => {
    const session = await authenticated();
    await session.send('MAIL FROM:<printer@office.test>');
    for (const n of [1, 2, 3])
      assert.equal((await session.send(`RCPT TO:<r${String(n)}@example.test>`)).code, 250);
    const fourth = await session.send('RCPT TO:<r4@example.test>');
    assert.equal(fourth.code, 452);
    assert.match(fourth.text, /^4\.5\.3 /);
    await session.close();
  });

  it('refuses connections beyond SMTP_MAX_CLIENTS with 421', async () => {
    // Sessions of earlier tests may still be closing on the server side: wait
    // until four fit, then the fifth must not.
    const sessions = await waitFor(
      async () => {
        const opened = await Promise.all([1, 2, 3, 4].map(() => connect()));
        if (opened.every((session) => session.greeting.code === 220)) return opened;
        await Promise.all(opened.map((session) => session.close()));
        return undefined;
      },
      { description: 'four free client slots' },
    );
    try {
      const extra = await connect();
      assert.equal(extra.greeting.code, 421);
      await extra.close();
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
  });

  it('closes an idle client with 421 after SMTP_SOCKET_TIMEOUT', async () => {
    // The sessions of the client-limit test may still be closing on the server side.
    const session = await waitFor(
      async () => {
        const candidate = await connect();
        if (candidate.greeting.code === 220) return candidate;
        await candidate.close();
        return undefined;
      },
      { description: 'a free client slot' },
    );
    await session.send('EHLO client.test');
    const started = Date.now();
    const reply = await session.readReply(10_000);
    assert.equal(reply.code, 421);
    assert.ok(Date.now() - started >= 2500, 'not before the timeout');
    await session.close();
  });

  it('never logs a client password', () => {
    const logs = JSON.stringify(stack.ingress.logs) + stack.ingress.output.join('\n');
    assert.ok(logs.includes('smtp.auth.succeeded'), 'AUTH was exercised');
    assert.ok(!logs.includes('printer-pass'));
    assert.ok(!logs.includes(Buffer.from('\0printer\0printer-pass').toString('base64')));
  });

  it('queues an accepted message with 250 2.0.0 Ok: queued as <id>', async () => {
    const session = await authenticated();
    await session.send('MAIL FROM:<printer@office.test>');
    await session.send('RCPT TO:<boss@example.test>');
    assert.equal((await session.send('DATA')).code, 354);
    session.sendRaw('Subject: hi\r\n\r\nhello\r\n.\r\n');
    const reply = await session.readReply();
    assert.equal(reply.code, 250);
    assert.match(reply.text, /^2\.0\.0 Ok: queued as [0-9A-Z]{26}$/);
    await session.close();
    const state = await readQueueState(redis.url, stack.prefix);
    assert.equal(state.jobs, 1);
    assert.equal(state.bodies, 1);
  });
});
