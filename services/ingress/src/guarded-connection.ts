import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type tls from 'node:tls';
import { INGRESS_REPLIES, type SmtpReply } from '@smtp-relay/smtp-errors';
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { GuardedSmtpServer, type SessionGuards } from './guarded-server.ts';
import {
  createSlowClientGuard,
  type SlowClientGuard,
  type SlowClientViolation,
} from './slow-client-guard.ts';

// smtp-server's own limit on unknown commands ends with this 421; for an
// untrusted session it is one more refusal and becomes our 421 4.7.0.
const LIBRARY_UNRECOGNIZED_LIMIT = /too many unrecognized commands/i;

/**
 * One SMTP connection with the per-session abuse guards of SPEC "Abuse
 * protection (ingress)": the slow-client deadlines (slow-client-guard.ts) fed
 * from the command parser, and the refused-command limit counted where replies
 * are sent. Follows internals of the pinned smtp-server 3.21 (ADRs 004, 009): the
 * parser's `_write`, `startDataMode` and `_endDataMode`, `_handlerPending`.
 */
export class GuardedConnection extends SMTPConnection {
  readonly #guards: SessionGuards | undefined;
  readonly #slow: SlowClientGuard | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #refused = 0;
  #trustedClient: boolean | undefined;

  constructor(
    server: SMTPServer,
    socket: net.Socket | tls.TLSSocket,
    options?: SMTPConnectionOptions | null,
  ) {
    super(server, socket, options);
    this.#guards = server instanceof GuardedSmtpServer ? server.guards : undefined;
    if (this.#guards) {
      this.#slow = createSlowClientGuard({
        timeoutMs: this.#guards.socketTimeoutMs,
        minDataBytes: this.#guards.minDataBytes,
      });
      // The base constructor created the first parser; STARTTLS creates another.
      if (this._parser) this.#watch(this._parser);
    }
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    const guards = this.#guards;
    if (guards && this.#countsAsRefusal(code, data)) {
      this.#refused += 1;
      if (this.#refused >= guards.maxRefusedCommands) {
        guards.events.tooManyRefusals(this.session, this.#refused);
        this.#sendReply(INGRESS_REPLIES.tooManyRefusedCommands);
        return;
      }
    }
    super.send(code, data, context);
  }

  override upgrade(callback: () => void, secureCallback?: () => void): void {
    const slow = this.#slow;
    if (!slow) {
      super.upgrade(callback, secureCallback);
      return;
    }
    slow.handshakeStarted(performance.now());
    super.upgrade(callback, () => {
      slow.handshakeEnded();
      secureCallback?.();
    });
    if (this._parser) this.#watch(this._parser);
    this.#schedule();
  }

  override close(): void {
    this.#stopTimer();
    super.close();
  }

  override _onClose(): void {
    this.#stopTimer();
    super._onClose();
  }

  #countsAsRefusal(code: number, data: string | string[] | null | undefined): boolean {
    if (code < 400 || this._closing || this._closed || this.session.user) return false;
    if (code === 421 && !(typeof data === 'string' && LIBRARY_UNRECOGNIZED_LIMIT.test(data))) {
      return false; // the library closing for its own reasons (timeout, shutdown)
    }
    this.#trustedClient ??=
      this.#guards?.isTrustedClient({ id: this.id, remoteAddress: this.remoteAddress }) ?? false;
    return !this.#trustedClient;
  }

  /** Our replies carry their enhanced code in the text (ADR 004). */
  #sendReply(reply: SmtpReply): void {
    super.send(reply.code, `${reply.enhanced} ${reply.text}`, false);
  }

  #watch(parser: SMTPStream): void {
    const slow = this.#slow;
    if (!slow) return;
    const write = parser._write.bind(parser);
    parser._write = (chunk, encoding, next) => {
      if (!parser.isClosed && parser === this._parser) {
        const now = performance.now();
        if (parser._dataMode) slow.dataBytes(chunk.length, now);
        else slow.commandBytes(chunk, now);
        this.#schedule(now);
      }
      write(chunk, encoding, next);
    };
    const startDataMode = parser.startDataMode.bind(parser);
    parser.startDataMode = (maxBytes) => {
      slow.dataStarted(performance.now());
      this.#schedule();
      return startDataMode(maxBytes);
    };
    const endDataMode = parser._endDataMode.bind(parser);
    parser._endDataMode = (chunk, remainder, callback) => {
      slow.dataEnded();
      endDataMode(chunk, remainder, callback);
    };
  }

  /** One timer per connection, moved only when a deadline comes earlier. */
  #schedule(now = performance.now()): void {
    const due = this.#slow?.nextDeadline();
    if (due === undefined || this._closing || this._closed) return;
    if (this.#timer !== undefined && this.#timerDue <= due) return;
    clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(
      () => {
        this.#onDeadline();
      },
      Math.max(0, due - now),
    );
    this.#timer.unref();
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  #onDeadline(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const slow = this.#slow;
    if (!slow || this._closing || this._closed) return;
    const now = performance.now();
    if (this.#serverIsBehind()) {
      slow.postpone(now);
    } else {
      const violation = slow.check(now);
      if (violation) {
        this.#tooSlow(violation);
        return;
      }
    }
    this.#schedule(now);
  }

  /**
   * A handler is still running, or received bytes wait in the parser (a slow
   * onData stream holds it back): the client is waiting for us, as smtp-server's
   * own idle timeout also allows (RFC 5321 §4.5.3.2).
   */
  #serverIsBehind(): boolean {
    return this._handlerPending || (this._parser !== false && this._parser.writableLength > 0);
  }

  #tooSlow(violation: SlowClientViolation): void {
    this.#guards?.events.tooSlow(this.session, violation);
    this.#sendReply(
      violation === 'data-rate' ? INGRESS_REPLIES.dataTooSlow : INGRESS_REPLIES.commandTooSlow,
    );
  }
}
