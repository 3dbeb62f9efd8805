import assert from 'node:assert/strict';
import { mkdir, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { waitFor } from '@smtp-relay/testkit';
import { createFilterFile } from '../src/filter/filter-file.ts';
import { events, recordingLogger, useRulesFiles } from './rules-file-fixtures.ts';

// SMTP_FILTER_FILE on a real file system: line-numbered problems, hot reload,
// and the last good rules kept when the file goes bad.

const GOOD = 'H, "EHLO *.bad", R, "554 Invalid HELO"\nM, "spam@*", R, "550 No"\n';

describe('filter file', () => {
  const { open, pathOf } = useRulesFiles(
    'smtp-relay-filter-',
    (number) => `transflt-${String(number)}.mer`,
    createFilterFile,
  );

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
        path: pathOf('missing.mer'),
        logger: recordingLogger(),
      }),
      /cannot read the filter file .*missing\.mer \(SMTP_FILTER_FILE\)/,
    );
  });
});
