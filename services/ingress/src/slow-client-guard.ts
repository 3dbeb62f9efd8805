// Absolute deadlines for slow clients (docs/reference.md "Abuse protection"). smtp-server's
// socketTimeout is an idle timer that every received byte restarts, so a client
// trickling one byte every few seconds held its connection slot forever. Here a
// command line (and a STARTTLS handshake) must be complete within the timeout
// however its bytes arrive, and DATA must move at least `minDataBytes` in every
// timeout-long window. Pure: the caller passes the time and owns the timer.

export type SlowClientViolation = 'command-line' | 'tls-handshake' | 'data-rate';

export interface SlowClientGuardOptions {
  /** SMTP_SOCKET_TIMEOUT in ms. */
  readonly timeoutMs: number;
  /** Bytes DATA must move per timeoutMs (docs/reference.md: 1 KiB). */
  readonly minDataBytes: number;
}

export interface SlowClientGuard {
  /** Command-mode bytes as the parser consumes them (a line ends at LF). */
  commandBytes(chunk: Uint8Array, now: number): void;
  /** 354 was sent: the message is owed from now on. */
  dataStarted(now: number): void;
  dataBytes(count: number, now: number): void;
  /** The end-of-data dot arrived (or the transfer was abandoned). */
  dataEnded(): void;
  /** STARTTLS answered: the handshake is owed like a command line. */
  handshakeStarted(now: number): void;
  handshakeEnded(): void;
  /**
   * The server, not the client, is behind (a handler is running, or received
   * bytes wait to be processed): every clock starts again from `now`.
   */
  postpone(now: number): void;
  /** When check() may next report a violation; undefined while nothing is owed. */
  nextDeadline(): number | undefined;
  /** The violation at `now`, if any. A DATA window that passed opens the next one. */
  check(now: number): SlowClientViolation | undefined;
}

const LF = 0x0a;

interface DataWindow {
  start: number;
  bytes: number;
}

export function createSlowClientGuard(options: SlowClientGuardOptions): SlowClientGuard {
  const { timeoutMs, minDataBytes } = options;
  // When the command line in progress started (first byte after the last LF).
  let lineSince: number | undefined;
  let handshakeSince: number | undefined;
  let data: DataWindow | undefined;

  return {
    commandBytes(chunk, now) {
      if (chunk.length === 0 || data !== undefined) return;
      const lastLf = chunk.lastIndexOf(LF);
      if (lastLf === -1) lineSince ??= now;
      else lineSince = lastLf < chunk.length - 1 ? now : undefined;
    },
    dataStarted(now) {
      // Bytes pipelined after "DATA\r\n" are message content, not a command line.
      lineSince = undefined;
      data = { start: now, bytes: 0 };
    },
    dataBytes(count) {
      if (data) data.bytes += count;
    },
    dataEnded() {
      data = undefined;
    },
    handshakeStarted(now) {
      lineSince = undefined;
      handshakeSince = now;
    },
    handshakeEnded() {
      handshakeSince = undefined;
    },
    postpone(now) {
      if (lineSince !== undefined) lineSince = now;
      if (handshakeSince !== undefined) handshakeSince = now;
      if (data) data = { start: now, bytes: 0 };
    },
    nextDeadline() {
      const starts = [lineSince, handshakeSince, data?.start].filter(
        (start): start is number => start !== undefined,
      );
      return starts.length === 0 ? undefined : Math.min(...starts) + timeoutMs;
    },
    check(now) {
      if (lineSince !== undefined && now - lineSince >= timeoutMs) return 'command-line';
      if (handshakeSince !== undefined && now - handshakeSince >= timeoutMs) {
        return 'tls-handshake';
      }
      if (data && now - data.start >= timeoutMs) {
        if (data.bytes < minDataBytes) return 'data-rate';
        data = { start: now, bytes: 0 };
      }
      return undefined;
    },
  };
}
