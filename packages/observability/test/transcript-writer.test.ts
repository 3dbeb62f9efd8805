import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@smtp-relay/testkit';
import { createLogger, flushLogger } from '../src/logger.ts';
import { createTranscriptWriter } from '../src/transcript/transcript-writer.ts';

function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const logger = createLogger({ service: 'test', version: '0', level: 'info', destination });
  return { logger, lines: () => text.split('\n').filter((line) => line !== '') };
}

interface DroppedReport {
  readonly event?: string;
  readonly level?: string;
  readonly sessionId?: string;
  readonly path?: string;
  readonly lines?: number;
  readonly overFileSize?: number;
  readonly overBacklog?: number;
}

/** The `transcript.lines-dropped` log lines, once the logger has written them. */
async function droppedReports(
  captured: ReturnType<typeof capturedLogger>,
): Promise<DroppedReport[]> {
  await flushLogger(captured.logger);
  return captured
    .lines()
    .map((line) => JSON.parse(line) as DroppedReport)
    .filter((line) => line.event === 'transcript.lines-dropped');
}

/** The transcript line format (README "Session transcripts"): nothing else may be in a file. */
const TRANSCRIPT_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z [<>] /;

function assertOnlyTranscriptLines(text: string): void {
  for (const line of text.trimEnd().split('\n')) assert.match(line, TRANSCRIPT_LINE);
}

const AT = new Date('2026-12-04T09:14:03.127Z');

describe('transcript writer', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transcripts-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one file per session under the UTC date of its start, readable by the owner only', async () => {
    const root = join(dir, 'layout', 'not-yet-there');
    const writer = createTranscriptWriter({
      dir: root,
      logger: capturedLogger().logger,
      now: () => AT,
    });
    const session = writer.open('k3j5h6g7f8d9');
    session.write('>', '220 relay.test ESMTP');
    session.write('<', 'EHLO printer.test');
    session.write('>', '250-relay.test');
    session.end();
    await writer.close();
    const path = join(root, '2026-12-04', 'k3j5h6g7f8d9.log');
    assert.equal(session.path, path);
    assert.equal(
      await readFile(path, 'utf8'),
      '2026-12-04T09:14:03.127Z > 220 relay.test ESMTP\n' +
        '2026-12-04T09:14:03.127Z < EHLO printer.test\n' +
        '2026-12-04T09:14:03.127Z > 250-relay.test\n',
    );
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(root, '2026-12-04'))).mode & 0o777, 0o700);
  });

  it('never makes a path of a session id', async () => {
    const root = join(dir, 'ids');
    const writer = createTranscriptWriter({
      dir: root,
      logger: capturedLogger().logger,
      now: () => AT,
    });
    const session = writer.open('../../etc/passwd');
    session.write('<', 'QUIT');
    session.end();
    await writer.close();
    assert.deepEqual(await readdir(join(root, '2026-12-04')), ['______etc_passwd.log']);
  });

  it('drops lines beyond the per-session bound, logs how many at the end, and goes on once written', async () => {
    const root = join(dir, 'flood');
    const captured = capturedLogger();
    const writer = createTranscriptWriter({
      dir: root,
      logger: captured.logger,
      maxSessionBytes: 4096,
      now: () => AT,
    });
    const session = writer.open('flood');
    const total = 20_000;
    let highest = 0;
    for (let i = 0; i < total; i++) {
      session.write('<', `NOOP ${String(i).padStart(6, '0')}`);
      highest = Math.max(highest, writer.pendingBytes());
    }
    assert.ok(highest <= 4096, `queued ${highest} bytes, bound 4096`);
    await waitFor(() => writer.pendingBytes() === 0, { description: 'the queue written' });
    session.write('>', '250 2.0.0 Ok');
    assert.deepEqual(await droppedReports(captured), [], 'reported when the session ends');
    session.end();
    await writer.close();

    const text = await readFile(session.path, 'utf8');
    assertOnlyTranscriptLines(text);
    const lines = text.trimEnd().split('\n');
    const kept = lines.filter((line) => / < NOOP \d{6}$/.test(line));
    // Written synchronously, before any flush: exactly what fits into the bound.
    const lineBytes = '2026-12-04T09:14:03.127Z < NOOP 000000\n'.length;
    assert.equal(kept.length, Math.floor(4096 / lineBytes));
    assert.equal(lines.at(-1), '2026-12-04T09:14:03.127Z > 250 2.0.0 Ok');
    assert.equal(lines.length, kept.length + 1);
    const reports = await droppedReports(captured);
    assert.equal(reports.length, 1, 'one log line for the session, not one per line dropped');
    const [report] = reports;
    assert.equal(report?.level, 'warn');
    assert.equal(report.sessionId, 'flood');
    assert.equal(report.path, session.path);
    assert.equal(report.lines, total - kept.length);
    assert.equal(report.overBacklog, total - kept.length);
    assert.equal(report.overFileSize, 0);
  });

  it('caps one file however slowly the lines come (a client sending NOOP forever)', async () => {
    const root = join(dir, 'file-cap');
    const captured = capturedLogger();
    const writer = createTranscriptWriter({
      dir: root,
      logger: captured.logger,
      maxFileBytes: 2048,
      now: () => AT,
    });
    const session = writer.open('noop-forever');
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 10; i++)
        session.write('<', `NOOP ${String(batch * 10 + i).padStart(6, '0')}`);
      // The disk keeps up: only the file cap can drop anything.
      await waitFor(() => writer.pendingBytes() === 0, { description: 'the batch written' });
    }
    session.end();
    await writer.close();
    const text = await readFile(session.path, 'utf8');
    assertOnlyTranscriptLines(text);
    const lineBytes = '2026-12-04T09:14:03.127Z < NOOP 000000\n'.length;
    const kept = Math.floor(2048 / lineBytes);
    assert.equal(text.split('\n').filter((line) => / < NOOP \d{6}$/.test(line)).length, kept);
    assert.ok(Buffer.byteLength(text) <= 2048);
    const reports = await droppedReports(captured);
    assert.deepEqual(
      reports.map(({ path, lines, overFileSize, overBacklog }) => ({
        path,
        lines,
        overFileSize,
        overBacklog,
      })),
      [{ path: session.path, lines: 200 - kept, overFileSize: 200 - kept, overBacklog: 0 }],
    );
  });

  it('bounds all sessions together, each session reporting its own losses', async () => {
    const root = join(dir, 'total');
    const captured = capturedLogger();
    const writer = createTranscriptWriter({
      dir: root,
      logger: captured.logger,
      maxSessionBytes: 4096,
      maxTotalBytes: 6144,
      now: () => AT,
    });
    const sessions = Array.from({ length: 10 }, (_, i) => writer.open(`s${i}`));
    for (let i = 0; i < 1000; i++) {
      for (const session of sessions) session.write('<', `NOOP ${String(i).padStart(6, '0')}`);
      assert.ok(writer.pendingBytes() <= 6144);
    }
    for (const session of sessions) session.end();
    await writer.close();
    assert.equal(writer.pendingBytes(), 0);
    for (const session of sessions) assertOnlyTranscriptLines(await readFile(session.path, 'utf8'));
    const reports = await droppedReports(captured);
    assert.deepEqual(
      reports.map((report) => report.path).sort(),
      sessions.map((session) => session.path).sort(),
      'every session says it lost lines, once',
    );
    for (const report of reports) {
      assert.ok(
        (report.lines ?? 0) > 0 && report.lines === report.overBacklog,
        String(report.path),
      );
    }
  });

  it('logs nothing about dropped lines for a session that lost none', async () => {
    const captured = capturedLogger();
    const writer = createTranscriptWriter({ dir: join(dir, 'quiet'), logger: captured.logger });
    const session = writer.open('quiet');
    session.write('<', 'QUIT');
    session.write('>', '221 2.0.0 Bye');
    session.end();
    await writer.close();
    assert.deepEqual(await droppedReports(captured), []);
  });

  it('logs a disk error once per session and stops writing it, without throwing', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    const { logger, lines } = capturedLogger();
    const writer = createTranscriptWriter({ dir: join(blocker, 'transcripts'), logger });
    const first = writer.open('one');
    const second = writer.open('two');
    for (let i = 0; i < 100; i++) {
      first.write('<', 'NOOP');
      second.write('>', '250 2.0.0 Ok');
      // Let the failing opens come back in between.
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    first.end();
    second.end();
    await writer.close();
    await flushLogger(logger);
    const failures = lines()
      .map((line) => JSON.parse(line) as { event?: string; path?: string })
      .filter((line) => line.event === 'transcript.failed');
    assert.deepEqual(failures.map((f) => f.path).sort(), [first.path, second.path].sort());
    assert.equal(writer.pendingBytes(), 0);
  });

  it('writes what is queued on close and ignores sessions opened after it', async () => {
    const root = join(dir, 'close');
    const writer = createTranscriptWriter({
      dir: root,
      logger: capturedLogger().logger,
      now: () => AT,
    });
    const open = writer.open('open-at-close');
    open.write('<', 'MAIL FROM:<a@example.test>');
    await writer.close();
    assert.equal(
      await readFile(open.path, 'utf8'),
      '2026-12-04T09:14:03.127Z < MAIL FROM:<a@example.test>\n',
    );
    const late = writer.open('late');
    late.write('<', 'QUIT');
    late.end();
    assert.deepEqual(await readdir(join(root, '2026-12-04')), ['open-at-close.log']);
  });
});
