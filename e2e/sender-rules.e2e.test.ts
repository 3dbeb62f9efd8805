import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@smtp-relay/policy';
import { smtpConversation, type SmtpConversation } from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Sender address rules": SMTP_SENDERS_FILE on a real ingress
// process with SMTP_AUTH_FILE. The test client is also in SMTP_RELAY_NETWORKS, so a
// session that does not authenticate shows that only AUTH users are restricted.

const PASSWORD = 'device-pass';
const SENDERS = [
  '# who may use which MAIL FROM addresses',
  'printer scan@example.test,*@lan.test',
  'copier scan@*',
  'fax fax@example.test',
  '',
].join('\n');

describe('sender address rules (SMTP_SENDERS_FILE)', () => {
  let redis: TestRedis;
  let stack: RelayStack;
  let dir: string;
  let sendersFile: string;

  /** A session after EHLO, logged in as `user` unless undefined. */
  const session = async (user: string | undefined): Promise<SmtpConversation> => {
    const client = await smtpConversation({ port: stack.smtpPort });
    assert.equal(client.greeting.code, 220, client.greeting.text);
    assert.equal((await client.send('EHLO device.test')).code, 250);
    if (user !== undefined) {
      const token = Buffer.from(`\0${user}\0${PASSWORD}`).toString('base64');
      assert.equal((await client.send(`AUTH PLAIN ${token}`)).code, 235);
    }
    return client;
  };
  const jobs = async (): Promise<number> => (await readQueueState(redis.url, stack.prefix)).jobs;

  /** MAIL FROM `from` as `user`; a message follows when it is accepted. The MAIL reply. */
  const send = async (user: string | undefined, from: string) => {
    const client = await session(user);
    try {
      const mail = await client.send(`MAIL FROM:<${from}>`);
      if (mail.code !== 250) {
        assert.equal((await client.send('RCPT TO:<boss@example.test>')).code, 503);
        return mail;
      }
      assert.equal((await client.send('RCPT TO:<boss@example.test>')).code, 250);
      assert.equal((await client.send('DATA')).code, 354);
      client.sendRaw(`From: ${from}\r\nSubject: scan\r\n\r\npage 1\r\n.\r\n`);
      const queued = await client.readReply();
      assert.equal(queued.code, 250, queued.text);
      return mail;
    } finally {
      await client.close();
    }
  };

  /** Waits for a log line written after `since` (an index into the ingress logs). */
  const waitForLogAfter = (
    since: number,
    predicate: (line: LogLine) => boolean,
  ): Promise<LogLine> => {
    const { logs } = stack.ingress;
    return stack.ingress.waitForLog((line) => logs.indexOf(line) >= since && predicate(line));
  };

  before(async () => {
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'sender-rules-'));
    const usersFile = join(dir, 'users');
    const hash = await hashPassword(PASSWORD);
    await writeFile(
      usersFile,
      ['printer', 'copier', 'fax', 'scanner'].map((u) => `${u} ${hash}\n`).join(''),
    );
    sendersFile = join(dir, 'senders');
    await writeFile(sendersFile, SENDERS);
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_AUTH_FILE: usersFile,
        // No certificate in this test: AUTH in plain text, over loopback.
        SMTP_ALLOW_INSECURE_AUTH: 'true',
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
      },
      // docker-compose.yml is not this test's to change; the variable goes straight in.
      ingressOverrides: { SMTP_SENDERS_FILE: sendersFile },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('reports a malformed line with its number, and applies the others', async () => {
    const invalid = await stack.ingress.waitForLog((line) => line.event === 'senders.invalid-line');
    assert.equal(invalid['line'], 3);
    assert.equal(invalid.level, 'warn');
    assert.match(invalid.msg ?? '', /line 3: pattern "scan@\*"/);
    const loaded = await stack.ingress.waitForLog((line) => line.event === 'senders.loaded');
    assert.equal(loaded['users'], 3);
    assert.equal(loaded['problems'], 1);
    // The user of the malformed line stays restricted: nothing of its line allows an address.
    assert.equal((await send('copier', 'scan@example.test')).code, 553);
  });

  it('an address the user may use: 250, and the message is queued', async () => {
    const before = await jobs();
    assert.equal((await send('printer', 'scan@example.test')).code, 250);
    assert.equal((await send('printer', 'Tray2@LAN.test')).code, 250);
    assert.equal(await jobs(), before + 2);
  });

  it('another address: 553 5.7.1, logged, and nothing is queued', async () => {
    const before = await jobs();
    const since = stack.ingress.logs.length;
    const reply = await send('printer', 'ceo@example.test');
    assert.equal(reply.code, 553);
    assert.equal(reply.text, '5.7.1 Sender address not allowed for this user');
    const refused = await waitForLogAfter(since, (line) => line.event === 'smtp.sender.refused');
    assert.equal(refused['user'], 'printer');
    assert.equal(refused['from'], 'ceo@example.test');
    assert.equal(await jobs(), before);
  });

  it('the null sender <> is allowed to a listed user', async () => {
    const client = await session('fax');
    assert.equal((await client.send('MAIL FROM:<>')).code, 250);
    await client.close();
  });

  it('a user not listed, and a session without AUTH, may use any address', async () => {
    const before = await jobs();
    assert.equal((await send('scanner', 'ceo@example.test')).code, 250);
    assert.equal((await send(undefined, 'ceo@example.test')).code, 250);
    assert.equal(await jobs(), before + 2);
  });

  it('re-reads the file when it changes: an added pattern applies without a restart', async () => {
    assert.equal((await send('fax', 'reports@example.test')).code, 553);
    const since = stack.ingress.logs.length;
    const replacement = `${sendersFile}.new`;
    await writeFile(replacement, `${SENDERS}fax reports@example.test\n`);
    await rename(replacement, sendersFile);
    const reloaded = await waitForLogAfter(since, (line) => line.event === 'senders.reloaded');
    assert.equal(reloaded['users'], 3);
    const before = await jobs();
    assert.equal((await send('fax', 'reports@example.test')).code, 250);
    assert.equal((await send('fax', 'fax@example.test')).code, 250, 'its first line still counts');
    assert.equal(await jobs(), before + 2);
  });
});
