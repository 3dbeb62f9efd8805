import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@smtp-relay/policy';
import {
  generateCertificates,
  smtpConversation,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import type { LogLine } from './harness/relay-process.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// SMTP_AUTH_FILE on a real ingress process: what the file holds now is who may log
// in (emptied or deleted: nobody), and a hash too costly to check (memory or time)
// is refused at load.

// Well-formed, never computed: N = 2^20, r = 8 would take 1 GiB per check.
const SCRYPT_1_GIB =
  '$scrypt$ln=20,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI';
// Well-formed, tiny in memory, never computed: cost 20 would hold a hashing slot
// for about a minute per AUTH (this test would time out if it were computed).
const BCRYPT_COST_20 = '$2b$20$usesomesillystringfore2uDLvp1Ii2e./U9C8sBjqp8I90dH6hi';

describe('ingress credentials file', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  let stack: RelayStack;
  let dir: string;
  let usersFile: string;
  let printerLine: string;

  /** AUTH PLAIN after STARTTLS on a new connection; the reply code. */
  const authCode = async (user: string, password: string): Promise<number> => {
    const session = await smtpConversation({ port: stack.smtpPort });
    try {
      await session.send('EHLO device.test');
      await session.startTls({ ca: certs.caCert, servername: 'localhost' });
      await session.send('EHLO device.test');
      const token = Buffer.from(`\0${user}\0${password}`).toString('base64');
      return (await session.send(`AUTH PLAIN ${token}`)).code;
    } finally {
      await session.close();
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

  /** Writes the file (or deletes it, for undefined) and waits for ingress to log `event`. */
  const changeFile = async (text: string | undefined, event: string): Promise<LogLine> => {
    const since = stack.ingress.logs.length;
    if (text === undefined) await unlink(usersFile);
    else await writeFile(usersFile, text);
    return waitForLogAfter(since, (line) => line.event === event);
  };

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
    dir = await mkdtemp(join(tmpdir(), 'ingress-credentials-'));
    usersFile = join(dir, 'users');
    printerLine = `printer ${await hashPassword('printer-pass')}`;
    await writeFile(
      usersFile,
      `# devices\n${printerLine}\nfax ${SCRYPT_1_GIB}\ncopier ${BCRYPT_COST_20}\nscanner scanner-pass\n`,
    );
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_AUTH_FILE: usersFile,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
        // The wrong passwords below must not get the test client blocked.
        SMTP_AUTH_MAX_FAILURES: '1000',
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

  it('refuses lines too costly in memory or time at load, naming each line; the other lines work', async () => {
    const loaded = await stack.ingress.waitForLog((line) => line.event === 'credentials.loaded');
    // Logged before credentials.loaded, in line order.
    const invalidLines = stack.ingress.logs.filter((l) => l.event === 'credentials.invalid-line');
    assert.deepEqual(
      invalidLines.map((line) => [line['line'], line.level]),
      [
        [3, 'warn'],
        [4, 'warn'],
      ],
    );
    assert.match(invalidLines[0]?.msg ?? '', /1024 MiB .* more than the 64 MiB allowed/);
    assert.match(invalidLines[1]?.msg ?? '', /bcrypt hash has cost = 20, more than the 15 allowed/);
    assert.equal(loaded['users'], 2);
    assert.equal(await authCode('printer', 'printer-pass'), 235);
    assert.equal(await authCode('scanner', 'scanner-pass'), 235);
    // Not "wrong password" (535, counted towards a block of the device's address):
    // the fault is the file's, so the device hears "try later" while it is fixed.
    assert.equal(await authCode('fax', 'anything'), 454);
    assert.equal(await authCode('copier', 'anything'), 454);
    assert.equal(await authCode('nobody', 'anything'), 535);
  });

  it('emptying the file revokes every user, also one whose login is remembered', async () => {
    assert.equal(await authCode('printer', 'printer-pass'), 235); // remembered now
    const reloaded = await changeFile('', 'credentials.reloaded');
    assert.equal(reloaded['users'], 0);
    const noUsers = stack.ingress.logs.find((l) => l.event === 'credentials.no-users');
    assert.equal(noUsers?.level, 'warn');
    assert.equal(await authCode('printer', 'printer-pass'), 535);
    assert.equal(await authCode('scanner', 'scanner-pass'), 535);
  });

  it('deleting the file revokes every user and logs an error', async () => {
    const restored = await changeFile(`${printerLine}\n`, 'credentials.reloaded');
    assert.equal(restored['users'], 1);
    assert.equal(await authCode('printer', 'printer-pass'), 235);

    const missing = await changeFile(undefined, 'credentials.missing');
    assert.equal(missing.level, 'error');
    assert.equal(missing['previousUsers'], 1);
    assert.equal(await authCode('printer', 'printer-pass'), 535);

    const back = await changeFile(`${printerLine}\n`, 'credentials.reloaded');
    assert.equal(back['users'], 1);
    assert.equal(await authCode('printer', 'printer-pass'), 235);
  });
});
