import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { hashPassword } from '@smtp-relay/policy';
import {
  generateCertificates,
  smtpConversation,
  startFakeSmartHost,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { queuedId, submit } from './harness/submit.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

const RAW = Buffer.from(
  'From: Printer <printer@office.test>\r\n' +
    'To: boss@example.test\r\n' +
    'Subject: Scan 42\r\n' +
    'Message-ID: <scan-42@office.test>\r\n' +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Content-Transfer-Encoding: 8bit\r\n' +
    '\r\n' +
    'Grüße from the printer.\r\n' +
    '.leading dot line\r\n' +
    '..two dots\r\n' +
    'last line\r\n',
  'utf8',
);

/** RFC 5321 §4.5.2: a line that starts with a dot gets one more on the wire. */
function dotStuffed(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/(^|\r\n)\./g, '$1..'), 'latin1');
}

/**
 * Submits `raw` as printer over STARTTLS with a MAIL FROM line of our choosing
 * (nodemailer's sendMail never sends BODY=8BITMIME); resolves with the queued id.
 */
async function submitWithParams(port: number, ca: string, mailFrom: string): Promise<string> {
  const session = await smtpConversation({ port });
  try {
    assert.equal((await session.send('EHLO device.test')).code, 250);
    await session.startTls({ ca, servername: 'localhost' });
    assert.equal((await session.send('EHLO device.test')).code, 250);
    const plain = Buffer.from('\0printer\0printer-pass').toString('base64');
    assert.equal((await session.send(`AUTH PLAIN ${plain}`)).code, 235);
    const mail = await session.send(Buffer.from(`${mailFrom}\r\n`, 'utf8'));
    assert.equal(mail.code, 250, mail.text);
    assert.equal((await session.send('RCPT TO:<boss@example.test>')).code, 250);
    assert.equal((await session.send('DATA')).code, 354);
    const queued = await session.send(Buffer.concat([dotStuffed(RAW), Buffer.from('.\r\n')]));
    return queuedId(`${String(queued.code)} ${queued.text}`);
  } finally {
    await session.close();
  }
}

/** Splits a delivered message into our Received: header and the rest. */
function splitReceived(data: Buffer): { header: string; rest: Buffer } {
  const text = data.toString('latin1');
  assert.ok(text.startsWith('Received: '), `starts with Received:, got ${text.slice(0, 60)}`);
  // The header ends at the first line that does not start with white space.
  const lines = text.split('\r\n');
  let count = 1;
  while (lines[count]?.startsWith('\t')) count++;
  const headerLength = lines.slice(0, count).join('\r\n').length + 2;
  return { header: text.slice(0, headerLength), rest: data.subarray(headerLength) };
}

describe('relay end to end: ingress -> Redis -> sender -> smart host', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let dir: string;

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    smartHost = await startFakeSmartHost({
      tls: 'starttls',
      certificate: { key: certs.key, cert: certs.cert },
      auth: { username: 'relay-account', password: 'smart-host-secret' },
    });
    dir = await mkdtemp(join(tmpdir(), 'relay-e2e-'));
    const usersFile = join(dir, 'users');
    await writeFile(
      usersFile,
      `printer ${await hashPassword('printer-pass', 'bcrypt')}\nscanner scanner-pass\n`,
    );
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'starttls' },
      smtps: true,
      variables: {
        SMTP_AUTH_FILE: usersFile,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
        SMART_HOST_USER: 'relay-account',
        SMART_HOST_PASSWORD: 'smart-host-secret',
        SMART_HOST_CA_FILE: certs.caFile,
        HELO_NAME: 'relay-helo.test',
      },
    });
  });

  after(async () => {
    // Set-up may have failed half-way: close what was opened, or the file never ends.
    const opened = { stack, smartHost, certs, dir, redis } as Partial<{
      stack: RelayStack;
      smartHost: FakeSmartHost;
      certs: GeneratedCertificates;
      dir: string;
      redis: TestRedis;
    }>;
    const codes = (await opened.stack?.stop()) ?? [];
    await opened.smartHost?.close();
    await opened.certs?.cleanup();
    if (opened.dir !== undefined) await rm(opened.dir, { recursive: true, force: true });
    await opened.redis?.cleanup();
    assert.deepEqual(codes, [0, 0], 'both services exit 0 on SIGTERM');
  });

  beforeEach(() => {
    smartHost.reset();
  });

  it('relays a message submitted with AUTH PLAIN over STARTTLS byte for byte, plus one Received: header', async () => {
    const response = await submit({
      port: stack.smtpPort,
      tls: 'starttls',
      ca: certs.caCert,
      auth: { user: 'printer', pass: 'printer-pass', method: 'PLAIN' },
      from: 'printer@office.test',
      to: ['boss@example.test', 'archive@example.test'],
      raw: RAW,
    });
    const id = queuedId(response);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.mailFrom, 'printer@office.test');
    assert.deepEqual(message.rcptTo, ['boss@example.test', 'archive@example.test']);
    const { header, rest } = splitReceived(message.data);
    assert.ok(rest.equals(RAW), 'content after the Received: header is unchanged');
    assert.match(header, /^Received: from device\.test \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n/);
    assert.match(header, new RegExp(`by relay\\.test \\(smtp-relay\\) with ESMTPSA id ${id}`));
    assert.doesNotMatch(header, /\tfor </, 'several recipients are not disclosed in the header');
    assert.equal(message.data.toString('latin1').match(/^Received: /gm)?.length, 1);
    assert.equal(message.ehloName, 'relay-helo.test');
    assert.equal(message.secure, true);
    assert.equal(message.authUser, 'relay-account');

    const queued = await stack.ingress.waitForLog(
      (l) => l.event === 'message.queued' && l['messageId'] === id,
    );
    assert.equal(queued['user'], 'printer');
    await stack.sender.waitForLog((l) => l.event === 'delivery.delivered' && l['messageId'] === id);
  });

  it('accepts AUTH LOGIN with a Mercury plain-text password line', async () => {
    const response = await submit({
      port: stack.smtpPort,
      tls: 'starttls',
      ca: certs.caCert,
      auth: { user: 'scanner', pass: 'scanner-pass', method: 'LOGIN' },
      from: 'scanner@office.test',
      to: ['boss@example.test'],
      raw: RAW,
    });
    queuedId(response);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.match(splitReceived(message.data).header, /\tfor <boss@example\.test>; /);
  });

  it('accepts submission over implicit TLS (SMTPS)', async () => {
    assert.ok(stack.smtpsPort);
    const response = await submit({
      port: stack.smtpsPort,
      tls: 'implicit',
      ca: certs.caCert,
      auth: { user: 'printer', pass: 'printer-pass' },
      from: 'printer@office.test',
      to: ['boss@example.test'],
      raw: RAW,
    });
    queuedId(response);
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.ok(splitReceived(message.data).rest.equals(RAW));
  });

  it('relays the null sender', async () => {
    await submit({
      port: stack.smtpPort,
      tls: 'starttls',
      ca: certs.caCert,
      auth: { user: 'printer', pass: 'printer-pass' },
      from: '',
      to: ['boss@example.test'],
      raw: RAW,
    });
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.mailFrom, '');
    assert.ok(splitReceived(message.data).rest.equals(RAW));
  });

  it('relays 8-bit content declared BODY=8BITMIME with BODY=8BITMIME, bytes unchanged', async () => {
    const id = await submitWithParams(
      stack.smtpPort,
      certs.caCert,
      'MAIL FROM:<printer@office.test> BODY=8BITMIME',
    );
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.mailParams['BODY'], '8BITMIME');
    assert.equal(message.mailParams['SMTPUTF8'], undefined, 'ASCII addresses: no SMTPUTF8');
    const { header, rest } = splitReceived(message.data);
    assert.deepEqual(rest, RAW, 'the 8-bit bytes after the Received: header are unchanged');
    assert.match(header, new RegExp(`with ESMTPSA id ${id}\\r\\n`));
  });

  it('relays an SMTPUTF8 sender with SMTPUTF8 and says UTF8SMTPSA in Received:', async () => {
    const id = await submitWithParams(
      stack.smtpPort,
      certs.caCert,
      'MAIL FROM:<drucker-grüße@office.test> SMTPUTF8 BODY=8BITMIME',
    );
    const [message] = await smartHost.waitForMessages(1);
    assert.ok(message);
    assert.equal(message.mailFrom, 'drucker-grüße@office.test');
    assert.equal(message.mailParams['SMTPUTF8'], true);
    assert.equal(message.mailParams['BODY'], '8BITMIME');
    const { header, rest } = splitReceived(message.data);
    assert.deepEqual(rest, RAW);
    assert.match(header, new RegExp(`with UTF8SMTPSA id ${id}\\r\\n`));
  });
});
