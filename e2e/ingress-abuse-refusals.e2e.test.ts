import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  smtpConversation,
  type GeneratedCertificates,
  type SmtpConversation,
} from '@smtp-relay/testkit';
import { openRawClient } from './harness/raw-client.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Abuse protection": "A session that is neither authenticated nor trusted
// is closed with 421 4.7.0 after 10 refused or unknown commands." Before, an
// unauthenticated session could send refused commands without end, each one
// logged. 127.0.0.1 is untrusted here; 127.0.0.2 is in SMTP_RELAY_NETWORKS.

const LIMIT = 10;

describe('ingress abuse: refused commands', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let dir: string;
  let stack: RelayStack;
  const connect = (): Promise<SmtpConversation> => smtpConversation({ port: stack.smtpPort });

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    dir = await mkdtemp(join(tmpdir(), 'ingress-refusals-'));
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'printer printer-pass\n');
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.2/32',
        SMTP_AUTH_FILE: usersFile,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
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

  /** Sends the commands; `ok` ones must get 250, the others a refusal (4xx/5xx but 421). */
  const expectReplies = async (
    session: SmtpConversation,
    script: readonly (readonly [command: string, ok: boolean])[],
  ): Promise<void> => {
    for (const [command, ok] of script) {
      const reply = await session.send(command);
      if (ok) assert.equal(reply.code, 250, `${command}: ${String(reply.code)} ${reply.text}`);
      else assert.ok(reply.code >= 400 && reply.code !== 421, `${command}: ${String(reply.code)}`);
    }
  };
  const assertClosed = async (session: SmtpConversation): Promise<void> => {
    await assert.rejects(session.readReply(5000), /Connection closed by the server/);
    await session.close();
  };

  it('answers the 10th refused command of an untrusted client with 421 4.7.0 and closes', async () => {
    const session = await connect();
    await expectReplies(session, [
      ['MAIL FROM:<a@office.test>', false], // 503 HELO/EHLO first
      ['FOO', false], // 500 unknown command
      ['EHLO client.test', true],
      ['RCPT TO:<boss@example.test>', false], // 503 need MAIL
      ['MAIL FROM:<broken', false], // 501 syntax
      ['MAIL FROM:<a@office.test>', true],
      ['RCPT TO:<boss@example.test>', false], // 530 5.7.0 authentication required
      ['RCPT TO:<boss@example.test>', false],
      ['DATA', false], // 503 need RCPT
      ['AUTH PLAIN AHByaW50ZXIAcHJpbnRlci1wYXNz', false], // 538 STARTTLS first
      ['BAR', false], // 9th
    ]);
    const tenth = await session.send('RCPT TO:<boss@example.test>');
    assert.equal(tenth.code, 421);
    assert.equal(tenth.text, '4.7.0 Too many refused commands, closing connection');
    await assertClosed(session);
    const logged = await stack.ingress.waitForLog(
      (line) => line.event === 'smtp.session.too-many-refusals',
    );
    assert.equal(logged['refused'], LIMIT);
    const lines = stack.ingress.logs.filter(
      (line) => line.event === 'smtp.session.too-many-refusals',
    );
    assert.equal(lines.length, 1, 'one log line for the whole session');
  });

  it('counts unknown commands the same way: the 10th gets 421 4.7.0', async () => {
    const session = await connect();
    for (let i = 1; i < LIMIT; i++) {
      assert.equal((await session.send(`XYZZY${String(i)}`)).code, 500);
    }
    const tenth = await session.send('XYZZY10');
    assert.equal(tenth.code, 421);
    assert.match(tenth.text, /^4\.7\.0 /);
    await assertClosed(session);
  });

  it('does not limit a client in SMTP_RELAY_NETWORKS', async () => {
    const client = await openRawClient({ port: stack.smtpPort, localAddress: '127.0.0.2' });
    try {
      await client.waitFor(/^220 /);
      client.write('EHLO trusted.test\r\n');
      await client.waitFor(/\r\n250 [^\r\n]*\r\n$/);
      client.write('MAIL FROM:<broken\r\n'.repeat(LIMIT + 2) + 'NOOP\r\n');
      // 12 refusals in a row, then the NOOP still answered: no 421.
      const text = await client.waitFor(/(?:501 [^\r\n]*\r\n){12}250 [^\r\n]*\r\n$/);
      assert.doesNotMatch(text, /^421 /m);
    } finally {
      client.destroy();
    }
  });

  it('does not limit an authenticated session', async () => {
    const session = await connect();
    await session.send('EHLO client.test');
    await session.startTls({ ca: certs.caCert, servername: 'localhost' });
    await session.send('EHLO client.test');
    const auth = await session.send(
      `AUTH PLAIN ${Buffer.from('\0printer\0printer-pass').toString('base64')}`,
    );
    assert.equal(auth.code, 235);
    for (let i = 0; i < LIMIT + 2; i++) {
      assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 503);
    }
    assert.equal((await session.send('NOOP')).code, 250);
    await session.close();
  });
});
