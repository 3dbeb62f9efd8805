import { decideSender, type SenderRules } from '@smtp-relay/policy';
import type { IngressReply } from '@smtp-relay/smtp-errors';
import type { SMTPServerSession } from 'smtp-server';
import { authenticatedUser } from '../hooks/on-rcpt-to.ts';
import type { SessionStates } from '../session-state.ts';

/** SMTP_SENDERS_FILE as the MAIL hook asks it. */
export interface SenderCheck {
  /** The MAIL FROM address in (empty for `<>`); the reply that refuses it, or undefined, out. */
  check(from: string, session: SMTPServerSession): IngressReply | undefined;
}

/**
 * Decides with the rules loaded now (docs/reference.md "Sender address rules")
 * and logs each refusal on the session's logger, with the user and the address
 * it may not use.
 */
export function createSenderCheck(rules: () => SenderRules, sessions: SessionStates): SenderCheck {
  return {
    check(from, session) {
      const user = authenticatedUser(session);
      const decision = decideSender(rules(), { user, from });
      if (decision.allowed) return undefined;
      sessions
        .get(session)
        ?.log.warn(
          { event: 'smtp.sender.refused', user, from },
          'MAIL FROM an address this user may not use',
        );
      return decision.reply;
    },
  };
}
