import { performance } from 'node:perf_hooks';
import { INGRESS_REPLIES, type SmtpReply } from '@smtp-relay/smtp-errors';
import type { SessionGuards } from './guarded-server.ts';
import { createSlowClientGuard, type SlowClientViolation } from './slow-client-guard.ts';
import type {
  ClientConnection,
  ConnectionWatcher,
  OutgoingReply,
} from './smtp-server-adapter/index.ts';

/** Our replies carry their enhanced code in the text (docs/adr/004). */
function asIs(reply: SmtpReply): { code: number; text: string } {
  return { code: reply.code, text: `${reply.enhanced} ${reply.text}` };
}

/**
 * The per-session abuse guards of docs/reference.md "Abuse protection (ingress)" for one
 * connection (docs/adr/009): the slow-client deadlines (slow-client-guard.ts)
 * fed from the command parser, and the refused-command limit counted where
 * replies are written. The adapter calls it at smtp-server's seams.
 */
export function createConnectionGuard(
  guards: SessionGuards,
  connection: ClientConnection,
): ConnectionWatcher {
  const slow = createSlowClientGuard({
    timeoutMs: guards.socketTimeoutMs,
    minDataBytes: guards.minDataBytes,
  });
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Number.POSITIVE_INFINITY;
  let refused = 0;
  let trustedClient: boolean | undefined;

  const countsAsRefusal = (reply: OutgoingReply): boolean => {
    if (reply.code < 400 || connection.closing || connection.session.user) return false;
    // smtp-server's own limit on unknown commands ends with a 421; for an
    // untrusted session it is one more refusal and becomes our 421 4.7.0.
    if (reply.code === 421 && !reply.unrecognizedCommandLimit) {
      return false; // the library closing for its own reasons (timeout, shutdown)
    }
    trustedClient ??= guards.isTrustedClient({
      id: connection.id,
      remoteAddress: connection.remoteAddress,
    });
    return !trustedClient;
  };

  const stopTimer = (): void => {
    clearTimeout(timer);
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
  };

  /** One timer per connection, moved only when a deadline comes earlier. */
  const schedule = (now = performance.now()): void => {
    const due = slow.nextDeadline();
    if (due === undefined || connection.closing) return;
    if (timer !== undefined && timerDue <= due) return;
    clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(
      () => {
        onDeadline();
      },
      Math.max(0, due - now),
    );
    timer.unref();
  };

  const tooSlow = (violation: SlowClientViolation): void => {
    guards.events.tooSlow(connection.session, violation);
    const { code, text } = asIs(
      violation === 'data-rate' ? INGRESS_REPLIES.dataTooSlow : INGRESS_REPLIES.commandTooSlow,
    );
    connection.sendReply(code, text);
  };

  const onDeadline = (): void => {
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
    if (connection.closing) return;
    const now = performance.now();
    // The client waits for us, as smtp-server's own idle timeout also allows
    // (RFC 5321 §4.5.3.2): every clock starts again.
    if (connection.serverIsBehind) {
      slow.postpone(now);
    } else {
      const violation = slow.check(now);
      if (violation) {
        tooSlow(violation);
        return;
      }
    }
    schedule(now);
  };

  return {
    replacingReply(reply) {
      if (!countsAsRefusal(reply)) return undefined;
      refused += 1;
      if (refused < guards.maxRefusedCommands) return undefined;
      guards.events.tooManyRefusals(connection.session, refused);
      return asIs(INGRESS_REPLIES.tooManyRefusedCommands);
    },
    commandBytes(chunk) {
      const now = performance.now();
      slow.commandBytes(chunk, now);
      schedule(now);
    },
    dataStarted() {
      slow.dataStarted(performance.now());
      schedule();
    },
    dataBytes(count) {
      const now = performance.now();
      slow.dataBytes(count, now);
      schedule(now);
    },
    dataEnded() {
      slow.dataEnded();
    },
    tlsHandshakeStarted() {
      slow.handshakeStarted(performance.now());
      schedule();
    },
    tlsHandshakeEnded() {
      slow.handshakeEnded();
    },
    closed: stopTimer,
  };
}
