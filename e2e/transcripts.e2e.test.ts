import assert from 'node:assert/strict';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  startFakeSmartHost,
  waitFor,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { openRawClient } from './harness/raw-client.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { queuedId, submit } from './harness/submit.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// Session transcripts (README "Session transcripts"): SMTP_TRANSCRIPT_DIR and
// SMART_HOST_TRANSCRIPT_DIR through docker-compose.yml's environment, read back
// from disk. Every line of every file is `<timestamp> <` or `<timestamp> >`.

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const BODY_LINE = 'Confidential scan of the quarterly figures';
const RAW = Buffer.from(
  'From: Printer <printer@office.test>\r\nTo: boss@example.test\r\nSubject: Scan\r\n\r\n' +
    `${BODY_LINE}\r\n`,
);
const SECRETS = [
  'printer-pass',
  'scanner-pass',
  'smart-host-secret',
  BODY_LINE,
  b64('printer-pass'),
  b64('scanner-pass'),
  b64('smart-host-secret'),
  b64('\0printer\0printer-pass'),
  b64('scanner'),
  b64('relay-account'),
  b64(BODY_LINE),
];
const LINE = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}\.\d{3}Z ([<>]) (.*)$/;
const DATE_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

interface Transcript {
  readonly path: string;
  readonly day: string;
  readonly text: string;
  /** `<direction> <line>`, without the timestamp. */
  readonly lines: string[];
}

async function transcriptsIn(dir: string): Promise<Transcript[]> {
  const found: Transcript[] = [];
  for (const day of await readdir(dir)) {
    assert.match(day, DATE_FOLDER);
    for (const name of await readdir(join(dir, day))) {
      assert.match(name, /^[A-Za-z0-9_-]+\.log$/);
      const path = join(dir, day, name);
      const text = await readFile(path, 'utf8');
      const lines = text
        .trimEnd()
        .split('\n')
        .map((line) => {
          const match = LINE.exec(line);
          assert.ok(match, `transcript line format: ${line}`);
          assert.equal(match[1], day, 'the file is in the folder of its date');
          return `${match[2] ?? ''} ${match[3] ?? ''}`;
        });
      found.push({ path, day, text, lines });
    }
  }
  return found;
}

/**
 * Whether process `pid` holds `path` open (Linux: /proc/<pid>/fd). A transcript
 * file is closed once its session has ended and every line is written, so a
 * closed file is a finished one.
 */
async function isOpenBy(pid: number, path: string): Promise<boolean> {
  const target = await realpath(path);
  const fds = await readdir(`/proc/${String(pid)}/fd`);
  const links = await Promise.all(
    fds.map((fd) => readlink(`/proc/${String(pid)}/fd/${fd}`).catch(() => '')),
  );
  return links.includes(target);
}

/** Asserts `expected` appear in order (not necessarily adjacent). */
function assertInOrder(lines: readonly string[], expected: readonly (string | RegExp)[]): void {
  let at = 0;
  for (const wanted of expected) {
    const index = lines.findIndex(
      (line, i) => i >= at && (typeof wanted === 'string' ? line === wanted : wanted.test(line)),
    );
    assert.ok(index >= 0, `${String(wanted)} after line ${at} in\n${lines.join('\n')}`);
    at = index + 1;
  }
}

describe('session transcripts end to end', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let smartHost: FakeSmartHost;
  let stack: RelayStack;
  let dir: string;
  let ingressDir: string;
  let senderDir: string;

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    smartHost = await startFakeSmartHost({
      tls: 'starttls',
      certificate: { key: certs.key, cert: certs.cert },
      auth: { username: 'relay-account', password: 'smart-host-secret' },
    });
    dir = await mkdtemp(join(tmpdir(), 'transcripts-e2e-'));
    ingressDir = join(dir, 'ingress');
    senderDir = join(dir, 'sender');
    // Left over from a month ago: TRANSCRIPT_RETENTION removes them at start.
    for (const old of [join(ingressDir, '2020-01-01'), join(senderDir, '2020-01-01')]) {
      await mkdir(old, { recursive: true });
      await writeFile(join(old, 'expired.log'), 'old\n');
      const monthAgo = (Date.now() - 30 * 86_400_000) / 1000;
      await utimes(join(old, 'expired.log'), monthAgo, monthAgo);
    }
    const usersFile = join(dir, 'users');
    await writeFile(usersFile, 'printer printer-pass\nscanner scanner-pass\n');
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'starttls' },
      variables: {
        SMTP_AUTH_FILE: usersFile,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
        SMART_HOST_USER: 'relay-account',
        SMART_HOST_PASSWORD: 'smart-host-secret',
        // LOGIN: nodemailer's own log would show the user's base64 line.
        SMART_HOST_AUTH_METHODS: 'LOGIN',
        SMART_HOST_CA_FILE: certs.caFile,
        HELO_NAME: 'relay-helo.test',
        // The raw client below relays by network (127.0.0.2) instead of AUTH: it
        // has no STARTTLS; the submissions from 127.0.0.1 still log in.
        SMTP_RELAY_NETWORKS: '127.0.0.2/32',
        SMTP_TRANSCRIPT_DIR: ingressDir,
        SMART_HOST_TRANSCRIPT_DIR: senderDir,
        TRANSCRIPT_RETENTION: '1d',
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await smartHost.close();
    await certs.cleanup();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0, 0], 'both services exit 0 on SIGTERM');
  });

  it('removes transcripts older than TRANSCRIPT_RETENTION at start, in both services', async () => {
    for (const root of [ingressDir, senderDir]) {
      await waitFor(async () => !(await readdir(root)).includes('2020-01-01'), {
        description: `the expired date folder gone from ${root}`,
      });
    }
    for (const service of [stack.ingress, stack.sender]) {
      await service.waitForLog((l) => l.event === 'transcript.pruned' && l['files'] === 1);
    }
  });

  it('records both sides of two submissions, AUTH masked, content as its size', async () => {
    const sessionIds: string[] = [];
    for (const [user, pass, method] of [
      ['printer', 'printer-pass', 'PLAIN'],
      ['scanner', 'scanner-pass', 'LOGIN'],
    ] as const) {
      const response = await submit({
        port: stack.smtpPort,
        tls: 'starttls',
        ca: certs.caCert,
        auth: { user, pass, method },
        from: `${user}@office.test`,
        to: ['boss@example.test'],
        raw: RAW,
      });
      const id = queuedId(response);
      const queued = await stack.ingress.waitForLog(
        (l) => l.event === 'message.queued' && l['messageId'] === id,
      );
      const sessionId = queued['sessionId'];
      assert.ok(typeof sessionId === 'string');
      sessionIds.push(sessionId);
    }
    await smartHost.waitForMessages(2);

    // Ingress: one file per session (nodemailer's transport hangs up without QUIT).
    const ingress = await waitFor(
      async () => {
        const files = await transcriptsIn(ingressDir);
        return files.length === 2 &&
          files.every((f) => f.lines.some((l) => l.startsWith('> 250 2.0.0 Ok: queued as ')))
          ? files
          : undefined;
      },
      { description: 'two complete ingress transcripts' },
    );
    const plain = ingress.find((f) => f.lines.includes('< AUTH PLAIN ****'));
    const login = ingress.find((f) => f.lines.includes('< AUTH LOGIN ****'));
    assert.ok(plain && login, ingress.map((f) => f.text).join('\n---\n'));
    // Named by smtp-server's session id, the `sessionId` of ingress's log lines.
    assert.deepEqual(
      [plain, login].map((file) => file.path.split('/').at(-1)),
      sessionIds.map((id) => `${id}.log`),
    );
    const submission = (user: string, auth: readonly string[]): (string | RegExp)[] => [
      /^> 220 relay\.test ESMTP/,
      '< EHLO device.test',
      '< STARTTLS',
      /^> 220 /,
      '< EHLO device.test',
      ...auth,
      /^> 235 2\.7\.0 /,
      new RegExp(`^< MAIL FROM:<${user}@office\\.test>`),
      /^> 250 /,
      '< RCPT TO:<boss@example.test>',
      /^> 250 /,
      '< DATA',
      /^> 354 /,
      `< [message content, ${RAW.length} bytes]`,
      /^> 250 2\.0\.0 Ok: queued as /,
    ];
    assertInOrder(plain.lines, submission('printer', ['< AUTH PLAIN ****']));
    assertInOrder(
      login.lines,
      submission('scanner', [
        '< AUTH LOGIN ****',
        '> 334 VXNlcm5hbWU6',
        '< ****',
        '> 334 UGFzc3dvcmQ6',
        '< ****',
      ]),
    );

    // Sender: one file per connection to the smart host (pooled: it may carry both).
    const sender = await waitFor(
      async () => {
        const files = await transcriptsIn(senderDir);
        const sizes = files.flatMap((f) =>
          f.lines.filter((l) => l.startsWith('> [message content')),
        );
        const replies = files.flatMap((f) => f.lines.filter((l) => l.startsWith('< 250 2.0.0 Ok')));
        return sizes.length === 2 && replies.length === 2 ? files : undefined;
      },
      { description: 'both deliveries in the sender transcripts' },
    );
    for (const file of sender) {
      assertInOrder(file.lines, [
        /^< 220 /,
        '> EHLO relay-helo.test',
        '> STARTTLS',
        /^< 220 /,
        '> EHLO relay-helo.test',
        '> AUTH LOGIN ****',
        '< 334 VXNlcm5hbWU6',
        '> ****',
        '< 334 UGFzc3dvcmQ6',
        '> ****',
        /^< 235 /,
        /^> MAIL FROM:<(printer|scanner)@office\.test>/,
        '> RCPT TO:<boss@example.test>',
        '> DATA',
        /^< 354 /,
        /^> \[message content, \d+ bytes\]$/,
        /^< 250 2\.0\.0 Ok: queued as /,
      ]);
    }

    for (const file of [...ingress, ...sender]) {
      assert.equal((await stat(file.path)).mode & 0o777, 0o600, `${file.path} is private`);
      for (const secret of SECRETS) {
        assert.ok(!file.text.includes(secret), `${JSON.stringify(secret)} not in ${file.path}`);
      }
    }
  });

  it('records a client gone in the middle of DATA up to 354, without content, and queues nothing', async (t) => {
    if (process.platform !== 'linux') {
      t.skip('reads /proc to see that ingress has closed the file');
      return;
    }
    const jobsBefore = (await readQueueState(redis.url, stack.prefix)).jobs;
    const client = await openRawClient({ port: stack.smtpPort, localAddress: '127.0.0.2' });
    try {
      assert.match(await client.nextReply(), /^220 /);
      for (const [command, reply] of [
        ['EHLO gone.test', /^250 /],
        ['MAIL FROM:<gone@office.test>', /^250 /],
        ['RCPT TO:<boss@example.test>', /^250 /],
        ['DATA', /^354 /],
      ] as const) {
        client.write(`${command}\r\n`);
        assert.match(await client.nextReply(), reply, command);
      }
      // Headers and part of the body, no end-of-data dot: then the client is gone.
      client.write(`Subject: Scan\r\n\r\n${BODY_LINE}\r\n`);
    } finally {
      client.destroy();
    }

    const pid = stack.ingress.child.pid;
    assert.ok(pid !== undefined);
    const transcript = await waitFor(
      async () => {
        const found = (await transcriptsIn(ingressDir)).find((file) =>
          file.lines.includes('< MAIL FROM:<gone@office.test>'),
        );
        return found &&
          found.lines.some((line) => line.startsWith('> 354 ')) &&
          !(await isOpenBy(pid, found.path))
          ? found
          : undefined;
      },
      { description: 'the transcript of the session gone mid-DATA, written and closed' },
    );
    // Read again now that it is closed, so it is complete; transcriptsIn has
    // checked every line's format, `<` or `>` included.
    const [finished] = (await transcriptsIn(ingressDir)).filter((f) => f.path === transcript.path);
    assert.ok(finished);
    // Commands as sent, replies as their code; the EHLO reply's continuation
    // lines (`250-PIPELINING`...) left out. Nothing after 354.
    const shape = finished.lines
      .map((line) => (line.startsWith('> ') ? line.slice(0, 6) : line))
      .filter((line) => line !== '> 250-');
    assert.deepEqual(
      shape,
      [
        '> 220 ',
        '< EHLO gone.test',
        '> 250 ',
        '< MAIL FROM:<gone@office.test>',
        '> 250 ',
        '< RCPT TO:<boss@example.test>',
        '> 250 ',
        '< DATA',
        '> 354 ',
      ],
      finished.text,
    );
    assert.ok(!finished.text.includes('[message content'), finished.text);
    assert.ok(!finished.text.includes(BODY_LINE), finished.text);
    assert.ok(!finished.text.includes('Subject: Scan'), finished.text);

    // Nothing queued: ingress says so for this session (its id names the file),
    // no job was added and no body is left in the store.
    const sessionId = finished.path
      .split('/')
      .at(-1)
      ?.replace(/\.log$/, '');
    const noqueue = await stack.ingress.waitForLog(
      (l) => l.event === 'message.noqueue' && l['sessionId'] === sessionId,
    );
    assert.equal(noqueue['reason'], 'client-disconnected');
    assert.ok(
      !stack.ingress.logs.some((l) => l.event === 'message.queued' && l['sessionId'] === sessionId),
    );
    await waitFor(
      async () => {
        const state = await readQueueState(redis.url, stack.prefix);
        return state.jobs === jobsBefore && state.bodies === 0 ? state : undefined;
      },
      { description: 'no job added and no body left in Redis' },
    );
  });
});
