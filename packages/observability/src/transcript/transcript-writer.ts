import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { formatTranscriptLine, type TranscriptDirection } from './transcript-lines.ts';

/** The transcript of one SMTP session: `<dir>/<YYYY-MM-DD>/<session id>.log`. */
export interface SessionTranscript {
  readonly path: string;
  /**
   * Queues one line; never blocks, never throws. Lines over the bounds are dropped
   * and counted; the count is logged when the session ends.
   */
  write(direction: TranscriptDirection, text: string): void;
  /**
   * The session is over: what is queued is written, then the file is closed; lines
   * dropped are logged (`transcript.lines-dropped`).
   */
  end(): void;
}

export interface TranscriptWriter {
  /** Starts a session's transcript; its date folder is the UTC date of this call. */
  open(sessionId: string): SessionTranscript;
  /** Bytes queued in memory or being written, all sessions together. */
  pendingBytes(): number;
  /** Ends every session, waits until their lines are written; later lines are ignored. */
  close(): Promise<void>;
}

export interface TranscriptWriterOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Per session, bytes queued while the disk lags (default 64 KiB). */
  readonly maxSessionBytes?: number;
  /** All sessions together (default 8 MiB): 1,000 slow sessions must not hold 64 MiB. */
  readonly maxTotalBytes?: number;
  /**
   * One session's file (default 1 MiB): a client that sends NOOP forever (2xx replies,
   * never refused, never slow) must not fill the disk.
   */
  readonly maxFileBytes?: number;
  /** Clock for the lines' timestamps and the date folder (tests). */
  readonly now?: () => Date;
}

// Readable by the service user only: transcripts name senders, recipients and
// client addresses.
const FILE_MODE = 0o600;
const FOLDER_MODE = 0o700;

/**
 * Writes transcripts without ever making an SMTP session wait: lines go to an
 * in-memory queue per session, flushed by one append at a time. When the disk
 * falls behind or a file reaches its cap, lines beyond the bounds are dropped
 * and counted; a file holds only `<` and `>` lines, so the count goes to the
 * log, one `transcript.lines-dropped` warning per session at its end (one line
 * per session however long a flood lasts). A disk error is logged once
 * (`transcript.failed`) and ends writing for that session.
 */
export function createTranscriptWriter(options: TranscriptWriterOptions): TranscriptWriter {
  const maxSessionBytes = options.maxSessionBytes ?? 64 * 1024;
  const maxTotalBytes = options.maxTotalBytes ?? 8 * 1024 * 1024;
  const maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
  const now = options.now ?? (() => new Date());
  const live = new Set<Promise<void>>();
  const sessions = new Set<SessionTranscript>();
  let totalBytes = 0;
  let closed = false;

  function openSession(sessionId: string): SessionTranscript {
    const path = join(
      options.dir,
      now().toISOString().slice(0, 10),
      `${fileNameOf(sessionId)}.log`,
    );
    let queue: string[] = [];
    let queuedBytes = 0;
    /** Queued plus being written. */
    let sessionBytes = 0;
    /** Everything accepted for this session's file so far. */
    let fileBytes = 0;
    /** Lines refused because the file would pass maxFileBytes. */
    let droppedOverFile = 0;
    /** Lines refused because this session's or all sessions' queue was full. */
    let droppedOverQueue = 0;
    let handle: FileHandle | undefined;
    let pumping = false;
    let ended = false;
    let failed = false;
    let finished: (() => void) | undefined;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    live.add(done);
    void done.then(() => live.delete(done));

    const enqueue = (line: string): void => {
      const bytes = Buffer.byteLength(line);
      queue.push(line);
      queuedBytes += bytes;
      sessionBytes += bytes;
      totalBytes += bytes;
    };
    const release = (bytes: number): void => {
      sessionBytes -= bytes;
      totalBytes -= bytes;
    };
    const reportDropped = (): void => {
      const lines = droppedOverFile + droppedOverQueue;
      if (lines === 0) return;
      options.logger.warn(
        {
          event: 'transcript.lines-dropped',
          sessionId,
          path,
          lines,
          overFileSize: droppedOverFile,
          overBacklog: droppedOverQueue,
        },
        `${String(lines)} line(s) of this session are missing from its transcript ` +
          `(${String(droppedOverFile)} over the ${String(maxFileBytes)}-byte file cap, ` +
          `${String(droppedOverQueue)} while the disk fell behind)`,
      );
    };

    const fail = (error: unknown): void => {
      failed = true;
      release(queuedBytes);
      queue = [];
      queuedBytes = 0;
      options.logger.warn(
        { event: 'transcript.failed', path, err: error },
        'cannot write the session transcript; this session is not recorded further',
      );
      const current = handle;
      handle = undefined;
      void current?.close().catch(() => undefined);
    };

    async function pump(): Promise<void> {
      while (!failed && (queue.length > 0 || (ended && handle))) {
        if (queue.length === 0 && handle) {
          const current = handle;
          handle = undefined;
          await current.close();
          continue;
        }
        handle ??= await openAppend(path);
        const batch = queue.join('');
        const bytes = queuedBytes;
        queue = [];
        queuedBytes = 0;
        try {
          // Whole batch (write() may write part of it).
          await handle.appendFile(batch);
        } finally {
          release(bytes);
        }
      }
    }

    const kick = (): void => {
      if (pumping || failed) return;
      pumping = true;
      pump()
        .catch(fail)
        .finally(() => {
          pumping = false;
          if (!failed && (queue.length > 0 || (ended && handle))) kick();
          else if (ended) finished?.();
        });
    };

    const transcript: SessionTranscript = {
      path,
      write(direction, text) {
        if (ended || failed) return;
        const line = formatTranscriptLine(now(), direction, text);
        const bytes = Buffer.byteLength(line);
        if (fileBytes + bytes > maxFileBytes) {
          droppedOverFile++;
          return;
        }
        if (sessionBytes + bytes > maxSessionBytes || totalBytes + bytes > maxTotalBytes) {
          droppedOverQueue++;
          return;
        }
        fileBytes += bytes;
        enqueue(line);
        kick();
      },
      end() {
        if (ended) return;
        ended = true;
        sessions.delete(transcript);
        reportDropped();
        if (pumping) return;
        if (failed || (queue.length === 0 && handle === undefined)) {
          finished?.();
          return;
        }
        kick();
      },
    };
    return transcript;
  }

  return {
    open(sessionId) {
      if (closed) return INERT;
      const session = openSession(sessionId);
      sessions.add(session);
      return session;
    },
    pendingBytes: () => totalBytes,
    async close() {
      closed = true;
      for (const session of [...sessions]) session.end();
      await Promise.all(live);
    },
  };
}

const INERT: SessionTranscript = {
  path: '',
  write: () => undefined,
  end: () => undefined,
};

async function openAppend(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'a', FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // First session of the day (or the retention job just removed the folder).
    await mkdir(dirname(path), { recursive: true, mode: FOLDER_MODE });
    return open(path, 'a', FILE_MODE);
  }
}

/** Session ids come from smtp-server and nodemailer; still, never a path. */
function fileNameOf(sessionId: string): string {
  const safe = sessionId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);
  return safe === '' ? 'session' : safe;
}
