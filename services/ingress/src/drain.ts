import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServer } from 'smtp-server';
import { countReply, type ReplyMetrics } from './reply.ts';
import { forEachConnection, openConnectionCount } from './smtp-server-adapter/index.ts';

/**
 * Graceful stop of one listener's sessions: a session in the middle of a
 * transaction (after MAIL, DATA included) may finish it; an idle one is told
 * `421 4.3.2` and disconnected (the client retries elsewhere or later). New
 * connections and new MAIL commands are refused with 421 by the hooks
 * meanwhile. Resolves when no session is left or at the deadline.
 */
export async function drainSessions(
  server: SMTPServer,
  options: {
    readonly deadlineMs: number;
    readonly pollMs?: number;
    /** Each 421 is counted like every other reply (reply.ts). */
    readonly metrics?: ReplyMetrics;
  },
): Promise<void> {
  const deadline = Date.now() + options.deadlineMs;
  const reply = INGRESS_REPLIES.shuttingDown;
  const text = `${reply.enhanced} ${reply.text}`;
  for (;;) {
    forEachConnection(server, (connection) => {
      // A 421 also closes the connection: told once, then left to close.
      if (connection.inTransaction || connection.closing) return;
      if (options.metrics) countReply(options.metrics, 'session', reply);
      connection.sendReply(reply.code, text);
    });
    if (openConnectionCount(server) === 0 || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}
