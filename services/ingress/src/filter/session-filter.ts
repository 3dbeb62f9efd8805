import type { FilterItem } from '@smtp-relay/policy';
import { asIngressReply, type IngressReply } from '@smtp-relay/smtp-errors';
import type { SMTPServerSession } from 'smtp-server';
import type { ContentCheck } from '../message-intake.ts';
import { ReplyError } from '../reply.ts';
import type { SessionStates } from '../session-state.ts';
import { createSubjectReader } from './subject-reader.ts';
import type { TransactionFilter } from './transaction-filter.ts';

/** The transaction filter (SMTP_FILTER_FILE) as the SMTP hooks call it. */
export interface SessionFilter {
  /** One item of a session in; the reply that refuses it (counted as 'filter'), or undefined, out. */
  check(item: FilterItem, session: SMTPServerSession): Promise<IngressReply | undefined>;
  /** For DATA: what S rules need to see of the message. */
  content(session: SMTPServerSession): ContentCheck;
}

export function createSessionFilter(
  filter: TransactionFilter,
  sessions: SessionStates,
): SessionFilter {
  const check: SessionFilter['check'] = (item, session) => {
    const state = sessions.get(session);
    // Every session that reaches a command went through onConnect, which sets it.
    if (state === undefined) return Promise.resolve(undefined);
    return filter
      .check(item, { address: state.clientAddress, log: state.log })
      .then((reply) => reply && asIngressReply(reply, 'filter'));
  };
  return { check, content: (session) => subjectCheck(check, session) };
}

/**
 * S rules: the Subject is picked out of the header section as the message streams
 * into the store, and the rules are applied at the end of DATA, before the job is
 * queued. A refusal throws a ReplyError: the intake removes the stored body and
 * nothing is queued.
 */
function subjectCheck(check: SessionFilter['check'], session: SMTPServerSession): ContentCheck {
  const reader = createSubjectReader();
  return {
    push: (chunk) => {
      reader.push(chunk);
    },
    async verdict() {
      const reply = await check({ type: 'S', value: reader.subject() }, session);
      if (reply !== undefined) throw new ReplyError(reply);
    },
  };
}
