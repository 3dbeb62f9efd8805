import net from 'node:net';
import tls from 'node:tls';
import type { FuzzSession, FuzzStep } from './session-arbitrary.ts';

// Plays one generated session against ingress and records what the server
// said: every reply, the ids it queued, the markers of the bodies the client
// ended with CRLF.CRLF, and whether the server closed a stalled connection.

export interface SessionOutcome {
  readonly replies: readonly string[];
  /** Ids from `250 ... queued as <id>` replies. */
  readonly queuedIds: readonly string[];
  /**
   * Markers (`<session>-<n>`) of bodies the client terminated: a CRLF.CRLF
   * somewhere after the marker in what it wrote (a later step's bytes can end
   * a body that its own step left open).
   */
  readonly terminatedMarkers: readonly string[];
  /** For a stalled session: ms until the server closed it (undefined: it did not). */
  readonly stallClosedAfterMs: number | undefined;
}

interface Timing {
  /** How long a reply may take before the step is taken as unanswered. */
  readonly replyMs: number;
  /** How long to wait for the server to close a stalled session. */
  readonly stallLimitMs: number;
}

const QUEUED = /^250 2\.0\.0 Ok: queued as (\S+)/;

export async function runSession(
  port: number,
  session: FuzzSession,
  sessionId: string,
  timing: Timing,
): Promise<SessionOutcome> {
  const replies: string[] = [];
  const written: Buffer[] = [];
  let socket: net.Socket | tls.TLSSocket = net.connect({ host: '127.0.0.1', port });
  // An object, not a `let`: callbacks change it between awaits.
  const connection = { closed: false };
  let pending = '';
  let wake: (() => void) | undefined;
  const listen = (stream: net.Socket | tls.TLSSocket): void => {
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let end = pending.indexOf('\r\n');
      while (end !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (/^\d{3}(?: |$)/.test(line)) replies.push(line);
        end = pending.indexOf('\r\n');
      }
      wake?.();
    });
    stream.on('close', () => {
      connection.closed = true;
      wake?.();
    });
    stream.on('error', () => undefined);
  };
  listen(socket);

  /** Resolves when `count` replies are in, the socket closed, or `ms` passed. */
  const repliesOrTimeout = (count: number, ms: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (replies.length >= count || connection.closed) {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
      };
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = check;
      check();
    });

  const write = (bytes: Buffer | string): void => {
    if (connection.closed) return;
    written.push(Buffer.from(bytes));
    socket.write(bytes);
  };

  await repliesOrTimeout(1, timing.replyMs); // the greeting
  for (const step of session.steps) {
    if (connection.closed) break;
    await play(step);
  }
  let stallClosedAfterMs: number | undefined;
  if (session.stall) {
    // Already closed (the server ended the session on its own): 0.
    const started = Date.now();
    await repliesOrTimeout(Number.POSITIVE_INFINITY, timing.stallLimitMs);
    if (connection.closed) stallClosedAfterMs = Date.now() - started;
  }
  socket.destroy();
  return {
    replies,
    queuedIds: replies.flatMap((reply) => QUEUED.exec(reply)?.[1] ?? []),
    terminatedMarkers: terminated(Buffer.concat(written), sessionId),
    stallClosedAfterMs,
  };

  async function play(step: FuzzStep): Promise<void> {
    const before = replies.length;
    switch (step.kind) {
      case 'line':
        write(`${step.text}\r\n`);
        // In DATA a line is message text and gets no reply: a short wait then.
        await repliesOrTimeout(before + 1, inData() ? 50 : timing.replyMs);
        return;
      case 'pipelined':
        write(step.lines.map((line) => `${line}\r\n`).join(''));
        await repliesOrTimeout(before + step.lines.length, timing.replyMs);
        return;
      case 'raw':
        write(step.bytes);
        await repliesOrTimeout(before + 1, 100);
        return;
      case 'body': {
        const bytes = Buffer.from(
          step.bytes.toString('latin1').replace('X-Fuzz-Marker: ', `X-Fuzz-Marker: ${sessionId}-`),
          'latin1',
        );
        write(bytes);
        // A terminated body is answered once it is stored (or refused).
        await repliesOrTimeout(before + 1, step.complete ? timing.replyMs * 3 : 50);
        return;
      }
      case 'starttls': {
        write('STARTTLS\r\n');
        await repliesOrTimeout(before + 1, timing.replyMs);
        const answer = replies[before];
        if (connection.closed || answer === undefined || !answer.startsWith('220') || step.stay)
          return;
        await upgrade();
        return;
      }
    }
  }

  function inData(): boolean {
    return replies.at(-1)?.startsWith('354') === true;
  }

  async function upgrade(): Promise<void> {
    const plain = socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    socket = secure;
    listen(secure);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timing.replyMs);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The markers in `written` that a CRLF.CRLF follows. */
function terminated(written: Buffer, sessionId: string): string[] {
  const text = written.toString('latin1');
  const found: string[] = [];
  const pattern = new RegExp(`X-Fuzz-Marker: (${sessionId}-\\d+)`, 'g');
  for (const match of text.matchAll(pattern)) {
    if (text.indexOf('\r\n.\r\n', match.index) !== -1 && match[1] !== undefined)
      found.push(match[1]);
  }
  return found;
}
