import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type { SMTPServer, SMTPServerEnvelope } from 'smtp-server';

/**
 * Graceful stop of one listener's sessions: a session in the middle of a
 * transaction (after MAIL, DATA included) may finish it; an idle one is told
 * `421 4.3.2` and disconnected (the client retries elsewhere or later). New
 * connections and new MAIL commands are refused with 421 by the hooks
 * meanwhile. Resolves when no session is left or at the deadline.
 */
export async function drainSessions(
  server: SMTPServer,
  options: { readonly deadlineMs: number; readonly pollMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.deadlineMs;
  const reply = INGRESS_REPLIES.shuttingDown;
  const text = `${reply.enhanced} ${reply.text}`;
  for (;;) {
    for (const connection of server.connections) {
      // smtp-server resets the envelope when a transaction ends; a connection
      // still waiting for its greeting has none yet (typed as always present).
      const envelope = connection.session.envelope as SMTPServerEnvelope | undefined;
      if (!envelope?.mailFrom) connection.send(reply.code, text);
    }
    if (server.connections.size === 0 || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}
