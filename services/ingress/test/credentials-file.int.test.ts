import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createConcurrencyLimit, hashPassword } from '@smtp-relay/policy';
import {
  createCredentialsFile,
  CredentialsUnavailableError,
  type CredentialsFile,
  type CredentialsFileLogger,
} from '../src/credentials-file.ts';

interface LogRecord {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string | undefined;
}

function createRecordingLogger(): CredentialsFileLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const record =
    (level: LogRecord['level']) =>
    (fields: object, message?: string): void => {
      records.push({ level, fields: { ...fields }, message });
    };
  return { records, info: record('info'), warn: record('warn'), error: record('error') };
}

function eventsOf(logger: { records: LogRecord[] }, event: string): LogRecord[] {
  return logger.records.filter((record) => record.fields['event'] === event);
}

/** Polls until `probe` answers true; fails naming `what` after the deadline. */
async function waitUntil(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const POLL_INTERVAL_MS = 20;

describe('createCredentialsFile', () => {
  let directory = '';
  const opened: CredentialsFile[] = [];
  let fileNumber = 0;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'smtp-relay-credentials-'));
  });
  after(async () => {
    for (const credentials of opened) credentials.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function openFile(text: string, hashLimit = createConcurrencyLimit(2)) {
    const path = join(directory, `users-${String(++fileNumber)}.txt`);
    await writeFile(path, text);
    const logger = createRecordingLogger();
    const credentials = await createCredentialsFile({
      path,
      logger,
      pollIntervalMs: POLL_INTERVAL_MS,
      hashLimit,
    });
    opened.push(credentials);
    return { path, logger, credentials };
  }

  it('refuses to start when the file cannot be read, naming the path', async () => {
    const path = join(directory, 'missing.txt');
    await assert.rejects(
      createCredentialsFile({ path, logger: createRecordingLogger() }),
      (error: unknown) => error instanceof Error && error.message.includes(path),
    );
  });

  it('verifies hashed and plain-text passwords and warns about plain text by count only', async () => {
    const hash = await hashPassword('scanner-secret');
    const { path, logger, credentials } = await openFile(
      `# devices\nprinter printer-secret\nscanner ${hash}\n`,
    );
    assert.equal(credentials.userCount(), 2);
    assert.equal(await credentials.verify('printer', 'printer-secret'), true);
    assert.equal(await credentials.verify('scanner', 'scanner-secret'), true);
    assert.equal(await credentials.verify('printer', 'scanner-secret'), false);
    assert.equal(await credentials.verify('nobody', 'printer-secret'), false);

    const [plainText, ...more] = eventsOf(logger, 'credentials.plain-text');
    assert.deepEqual(more, []);
    assert.deepEqual(plainText?.fields, { event: 'credentials.plain-text', path, users: 1 });
    assert.deepEqual(eventsOf(logger, 'credentials.loaded')[0]?.fields, {
      event: 'credentials.loaded',
      path,
      users: 2,
    });
    const logged = JSON.stringify(logger.records);
    for (const secret of ['printer-secret', 'scanner-secret', hash]) {
      assert.ok(!logged.includes(secret), 'a secret reached the log');
    }
  });

  it('reports a malformed line with its line number and loads the others', async () => {
    const { path, logger, credentials } = await openFile(
      'printer printer-secret\r\n\r\nscanner\r\nfax $2y$10$truncated\r\n',
    );
    assert.equal(credentials.userCount(), 1);
    const invalid = eventsOf(logger, 'credentials.invalid-line');
    assert.deepEqual(
      invalid.map(({ level, fields }) => ({ level, ...fields })),
      [
        { level: 'warn', event: 'credentials.invalid-line', line: 3, path },
        { level: 'warn', event: 'credentials.invalid-line', line: 4, path },
      ],
    );
    assert.ok(invalid.every(({ message }) => message !== undefined && message.length > 0));
  });

  it('reloads a file rewritten in place', async () => {
    const { path, logger, credentials } = await openFile('printer old-secret\n');
    // Verified once, so the success is cached: the reload must still revoke it.
    assert.equal(await credentials.verify('printer', 'old-secret'), true);
    await writeFile(path, 'printer new-secret\nfax fax-1\n');
    await waitUntil('the new password works', () => credentials.verify('printer', 'new-secret'));
    assert.equal(await credentials.verify('printer', 'old-secret'), false);
    assert.equal(credentials.userCount(), 2);
    assert.equal(eventsOf(logger, 'credentials.reloaded')[0]?.fields['users'], 2);
  });

  it('reloads a file replaced by write-temp-then-rename', async () => {
    const { path, credentials } = await openFile('printer old-secret\n');
    const temporary = `${path}.tmp`;
    await writeFile(temporary, 'printer renamed-secret\n');
    await rename(temporary, path);
    await waitUntil('the new password works', () =>
      credentials.verify('printer', 'renamed-secret'),
    );
    assert.equal(await credentials.verify('printer', 'old-secret'), false);
  });

  it('refuses a hash needing more than 64 MiB per check with its line number, loads the others', async () => {
    const huge =
      '$scrypt$ln=20,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$9NpAd/rtlEZWaqkMmxmEB+IlL8M/p3rHLnGE6EEASXI';
    const { logger, credentials } = await openFile(`# devices\nfax ${huge}\nprinter ok\n`);
    assert.equal(credentials.userCount(), 1);
    const [invalid, ...more] = eventsOf(logger, 'credentials.invalid-line');
    assert.deepEqual(more, []);
    assert.equal(invalid?.fields['line'], 2);
    assert.match(invalid.message ?? '', /needs 1024 MiB of memory per check, more than the 64 MiB/);
    assert.equal(await credentials.verify('printer', 'ok'), true);
    // Unavailable (454, not counted towards a block), not a wrong password (535).
    await assert.rejects(credentials.verify('fax', 'anything'), CredentialsUnavailableError);
  });

  it('checks at most two hashes at once: 8 parallel AUTHs, known and unknown users', async () => {
    const limit = createConcurrencyLimit(2);
    const hash = await hashPassword('pw', 'scrypt');
    const { credentials } = await openFile(`a ${hash}\nb ${hash}\n`, limit);
    const names = ['a', 'x1', 'b', 'x2', 'a', 'x3', 'b', 'x4'];
    const results = await Promise.all(names.map((name) => credentials.verify(name, 'wrong')));
    assert.deepEqual(
      results,
      names.map(() => false),
    );
    assert.equal(limit.peak, 2);
  });

  it('an emptied file has no users: cached logins are revoked, a warning is logged', async () => {
    const { path, logger, credentials } = await openFile('printer kept-secret\n');
    assert.equal(await credentials.verify('printer', 'kept-secret'), true); // now cached
    await writeFile(path, '');
    await waitUntil('the empty file is loaded', () => credentials.userCount() === 0);
    assert.equal(await credentials.verify('printer', 'kept-secret'), false);
    const [noUsers] = eventsOf(logger, 'credentials.no-users');
    assert.equal(noUsers?.level, 'warn');
    assert.equal(noUsers.fields['previousUsers'], 1);
    assert.equal(eventsOf(logger, 'credentials.reloaded').at(-1)?.fields['users'], 0);
  });

  it('a deleted file has no users, logged as an error; re-created, it is loaded again', async () => {
    const { path, logger, credentials } = await openFile('printer kept-secret\n');
    assert.equal(await credentials.verify('printer', 'kept-secret'), true); // now cached
    await unlink(path);
    await waitUntil(
      'the deletion is logged',
      () => eventsOf(logger, 'credentials.missing').length > 0,
    );
    assert.equal(eventsOf(logger, 'credentials.missing')[0]?.level, 'error');
    assert.equal(credentials.userCount(), 0);
    assert.equal(await credentials.verify('printer', 'kept-secret'), false);

    await writeFile(path, 'printer restored-secret\n');
    await waitUntil('the restored file is loaded', () =>
      credentials.verify('printer', 'restored-secret'),
    );
    assert.equal(eventsOf(logger, 'credentials.missing').length, 1);
  });

  it('an editor that moves the file away and writes a new one does not flap', async () => {
    const { path, logger, credentials } = await openFile('printer old-secret\n');
    await rename(path, `${path}~`);
    await delay(150); // several polls see no file
    assert.equal(await credentials.verify('printer', 'old-secret'), true);
    await writeFile(path, '');
    await delay(100); // ...then an empty one
    await writeFile(path, 'printer new-secret\n');
    await waitUntil('the new password works', () => credentials.verify('printer', 'new-secret'));
    assert.deepEqual(eventsOf(logger, 'credentials.missing'), []);
    assert.deepEqual(eventsOf(logger, 'credentials.no-users'), []);
  });

  it('a file that exists but cannot be read fails AUTH temporarily until it can be read', async () => {
    const { path, logger, credentials } = await openFile('printer kept-secret\n');
    await unlink(path);
    await mkdir(path); // reading a directory fails with EISDIR, whoever runs the test
    await waitUntil(
      'the failure is logged',
      () => eventsOf(logger, 'credentials.unreadable').length > 0,
    );
    assert.equal(eventsOf(logger, 'credentials.unreadable')[0]?.level, 'error');
    await assert.rejects(credentials.verify('printer', 'kept-secret'), CredentialsUnavailableError);
    await assert.rejects(credentials.verify('nobody', 'x'), CredentialsUnavailableError);

    await rmdir(path);
    await writeFile(path, 'printer kept-secret\n');
    await waitUntil('the file is readable again', () =>
      credentials.verify('printer', 'kept-secret').catch(() => false),
    );
  });
});
