import assert from 'node:assert/strict';
import { mkdir, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { decideSender } from '@smtp-relay/policy';
import { waitFor } from '@smtp-relay/testkit';
import { createSendersFile, type SendersFile } from '../src/sender-rules/senders-file.ts';
import { events, recordingLogger, useRulesFiles, type LogRecord } from './rules-file-fixtures.ts';

// SMTP_SENDERS_FILE on a real file system (docs/reference.md "Sender address
// rules"): line-numbered problems, hot reload, and the last good rules kept when
// the file goes bad.

const GOOD = 'printer scan@example.com\nfax *@fax.test\n';

/** Whether the file's rules now let `user` use `from`. */
const allows = (file: SendersFile, user: string, from: string): boolean =>
  decideSender(file.rules(), { user, from }).allowed;

describe('senders file', () => {
  const { open, pathOf } = useRulesFiles(
    'smtp-relay-senders-',
    (number) => `senders-${String(number)}`,
    createSendersFile,
  );

  it('loads the good lines and reports each bad one with its number', async () => {
    const { file, logger } = await open(`# devices\n${GOOD}copier scan@*\n\nscanner\n`);
    assert.deepEqual([...file.rules().keys()], ['printer', 'fax', 'copier', 'scanner']);
    const invalid = events(logger.records, 'senders.invalid-line');
    assert.deepEqual(
      invalid.map((record) => [record.level, record.fields['line']]),
      [
        ['warn', 4],
        ['warn', 6],
      ],
    );
    assert.match(invalid[0]?.message ?? '', /line 4: pattern "scan@\*"/);
    const loaded = events(logger.records, 'senders.loaded');
    assert.equal(loaded[0]?.fields['users'], 4);
    assert.equal(loaded[0].fields['problems'], 2);
    assert.equal(allows(file, 'copier', 'scan@example.com'), false, 'a bad line still restricts');
  });

  it('picks up a changed file, also when replaced by rename', async () => {
    const { path, file, logger } = await open(GOOD);
    assert.equal(allows(file, 'printer', 'other@example.com'), false);
    await writeFile(path, `${GOOD}printer other@example.com\n`);
    await waitFor(() => allows(file, 'printer', 'other@example.com'), {
      description: 'the added pattern',
    });
    const replacement = `${path}.new`;
    await writeFile(replacement, 'fax *@fax.test\n');
    await rename(replacement, path);
    await waitFor(() => !file.rules().has('printer'), { description: 'the replaced rules' });
    assert.equal(events(logger.records, 'senders.reloaded').length, 2);
  });

  it('keeps the last good rules when the file is removed, emptied or unreadable', async () => {
    const { path, file, logger } = await open(GOOD);
    const failures = (): LogRecord[] => events(logger.records, 'senders.reload-failed');
    await unlink(path);
    await waitFor(() => failures().length === 1, { description: 'the removal to be reported' });
    assert.equal(file.rules().size, 2);
    assert.equal(failures()[0]?.level, 'error');

    await writeFile(path, '');
    await waitFor(() => failures().length === 2, { description: 'the empty file to be reported' });
    assert.equal(file.rules().size, 2);

    await writeFile(path, '# nobody restricted\n');
    await waitFor(() => file.rules().size === 0, { description: 'an intentionally empty set' });
    await writeFile(path, GOOD);
    await waitFor(() => file.rules().size === 2, { description: 'the rules again' });
    // Unreadable even for root: a directory where the file was.
    await unlink(path);
    await mkdir(path);
    await waitFor(() => failures().length >= 3, {
      description: 'the unreadable file to be reported',
    });
    assert.equal(file.rules().size, 2, 'the rules loaded last stay');
    await rmdir(path);
    await writeFile(path, 'printer *\n');
    await waitFor(() => file.rules().size === 1, { description: 'readable again' });
  });

  it('refuses to start without a readable file', async () => {
    await assert.rejects(
      createSendersFile({ path: pathOf('missing'), logger: recordingLogger() }),
      /cannot read the senders file .*missing \(SMTP_SENDERS_FILE\)/,
    );
  });
});
