import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@smtp-relay/testkit';
import { createFilterFile, type FilterFile } from '../src/filter/filter-file.ts';

// SMTP_FILTER_FILE on a real file system: line-numbered problems, hot reload,
// and the last good rules kept when the file goes bad.

interface LogRecord {
  readonly level: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string | undefined;
}

function recordingLogger() {
  const records: LogRecord[] = [];
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      records.push({ level, fields: { ...fields }, message });
    };
  return { records, info: at('info'), warn: at('warn'), error: at('error') };
}

const events = (records: readonly LogRecord[], event: string): LogRecord[] =>
  records.filter((record) => record.fields['event'] === event);

const GOOD = 'H, "EHLO *.bad", R, "554 Invalid HELO"\nM, "spam@*", R, "550 No"\n';

describe('filter file', () => {
  let directory = '';
  let number = 0;
  const opened: FilterFile[] = [];

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'smtp-relay-filter-'));
  });
  after(async () => {
    for (const file of opened) file.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function open(text: string) {
    const path = join(directory, `transflt-${String(++number)}.mer`);
    await writeFile(path, text);
    const logger = recordingLogger();
    const file = await createFilterFile({ path, logger, pollIntervalMs: 20 });
    opened.push(file);
    return { path, logger, file };
  }

  it('loads the good lines and reports each bad one with its number', async () => {
    const { file, logger } = await open(`# rules\n${GOOD}X, "nonsense"\n\nR, "a@b", Q, ""\n`);
    assert.deepEqual(
      file.rules().map((rule) => rule.line),
      [2, 3],
    );
    const invalid = events(logger.records, 'filter.invalid-line');
    assert.deepEqual(
      invalid.map((record) => record.fields['line']),
      [4, 6],
    );
    assert.match(invalid[0]?.message ?? '', /line 4/);
    const loaded = events(logger.records, 'filter.loaded');
    assert.equal(loaded[0]?.fields['rules'], 2);
    assert.equal(loaded[0].fields['skipped'], 2);
  });

  it('picks up a changed file, also when replaced by rename', async () => {
    const { path, file, logger } = await open(GOOD);
    await writeFile(path, `${GOOD}R, "*@trap.test", RS, ""\n`);
    await waitFor(() => file.rules().length === 3, { description: 'the edited rules' });
    const replacement = `${path}.new`;
    await writeFile(replacement, 'S, "*spam*", R, ""\n');
    await rename(replacement, path);
    await waitFor(() => file.rules().length === 1, { description: 'the replaced rules' });
    assert.equal(file.rules()[0]?.type, 'S');
    assert.equal(events(logger.records, 'filter.reloaded').length, 2);
  });

  it('keeps the last good rules when the file is removed, emptied or unreadable', async () => {
    const { path, file, logger } = await open(GOOD);
    await unlink(path);
    await waitFor(() => events(logger.records, 'filter.reload-failed').length === 1, {
      description: 'the removal to be reported',
    });
    assert.equal(file.rules().length, 2);
    assert.equal(events(logger.records, 'filter.reload-failed')[0]?.level, 'error');

    await writeFile(path, '');
    await waitFor(() => events(logger.records, 'filter.reload-failed').length === 2, {
      description: 'the empty file to be reported',
    });
    assert.equal(file.rules().length, 2);

    await writeFile(path, '# no rules\n');
    await waitFor(() => file.rules().length === 0, { description: 'an intentionally empty set' });
    await writeFile(path, GOOD);
    await waitFor(() => file.rules().length === 2, { description: 'the rules again' });
    // Unreadable even for root: a directory where the file was.
    await unlink(path);
    await mkdir(path);
    await waitFor(() => events(logger.records, 'filter.reload-failed').length >= 3, {
      description: 'the unreadable file to be reported',
    });
    assert.equal(file.rules().length, 2, 'the rules loaded last stay');
    await rmdir(path);
    await writeFile(path, 'M, "x@*", R, ""\n');
    await waitFor(() => file.rules().length === 1, { description: 'readable again' });
  });

  it('refuses to start without a readable file', async () => {
    await assert.rejects(
      createFilterFile({
        path: join(directory, 'missing.mer'),
        logger: recordingLogger(),
      }),
      /cannot read the filter file .*missing\.mer \(SMTP_FILTER_FILE\)/,
    );
  });
});
