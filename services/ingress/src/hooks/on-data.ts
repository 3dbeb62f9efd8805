import type { RelayMetrics } from '@smtp-relay/observability';
import { newMessageId } from '@smtp-relay/queue';
import {
  formatReply,
  INGRESS_REPLIES,
  queuedReply,
  type IngressReply,
} from '@smtp-relay/smtp-errors';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { SessionFilter } from '../filter/session-filter.ts';
import { DataInterruptedError, type MessageIntake } from '../message-intake.ts';
import { buildReceivedHeader } from '../received-header.ts';
import { countReply, refuse, ReplyError, replyFor } from '../reply.ts';
import type { SessionStates } from '../session-state.ts';
import { authenticatedUser } from './on-rcpt-to.ts';
import { settle } from './settle.ts';

export interface OnDataDependencies {
  readonly intake: MessageIntake;
  readonly sessions: SessionStates;
  readonly metrics: RelayMetrics;
  readonly hostname: string;
  /** SMTP_FILTER_FILE's S rules, applied to the Subject at the end of DATA. */
  readonly filter?: SessionFilter | undefined;
}

export function createOnData(deps: OnDataDependencies) {
  return (
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): void => {
    const started = Date.now();
    const state = deps.sessions.get(session);
    const envelope = session.envelope;
    const messageId = newMessageId(started);
    const mailFrom = envelope.mailFrom ? envelope.mailFrom.address : '';
    const recipients = envelope.rcptTo.map((rcpt) => rcpt.address);
    const authUser = authenticatedUser(session) ?? null;
    const helo = session.hostNameAppearsAs || '';
    const header = buildReceivedHeader({
      helo: helo || 'unknown',
      clientAddress: session.remoteAddress,
      hostname: deps.hostname,
      protocol: session.transmissionType || 'SMTP',
      smtpUtf8: envelope.smtpUtf8 === true,
      messageId,
      tls: session.tlsOptions
        ? { version: session.tlsOptions.version, cipher: session.tlsOptions.name }
        : undefined,
      recipients,
      date: new Date(started),
    });
    const summary = { messageId, from: mailFrom, to: recipients, user: authUser ?? undefined };

    // settle: a throw while logging or counting must not become an unhandled
    // rejection (the process would exit); the client hears a 4xx instead.
    settle(
      deps.intake.accept(
        {
          messageId,
          mailFrom,
          recipients,
          client: { address: state?.clientAddress ?? session.remoteAddress, helo },
          authUser,
          bodyType: envelope.bodyType === '8bitmime' ? '8bitmime' : '7bit',
          smtpUtf8: envelope.smtpUtf8 === true,
        },
        header,
        stream,
        deps.filter?.content(session),
      ),
      callback,
      (size, answer) => {
        const reply = queuedReply(messageId);
        state?.log.info(
          { event: 'message.queued', ...summary, size, durationMs: Date.now() - started },
          'queued',
        );
        // Counted once nothing can fail before the 250 any more.
        deps.metrics.messagesReceived.inc();
        deps.metrics.bytesReceived.inc(size);
        countReply(deps.metrics, 'data', reply);
        answer(null, `${reply.enhanced} ${reply.text}`);
      },
      (error: unknown, answer) => {
        const reply = dataReplyFor(error);
        state?.log.warn(
          {
            event: 'message.noqueue',
            ...summary,
            reason: reply.reason,
            reply: formatReply(reply),
            err: error instanceof ReplyError ? error.cause : error,
            durationMs: Date.now() - started,
          },
          'not queued',
        );
        answer(refuse(deps.metrics, 'data', reply));
      },
      state?.log,
      (error: unknown) => refuse(deps.metrics, 'data', dataReplyFor(error)),
    );
  };
}

/** A client gone mid-body is not a bug of ours: its own reason, client-disconnected. */
function dataReplyFor(error: unknown): IngressReply {
  if (error instanceof DataInterruptedError) return INGRESS_REPLIES.dataInterrupted;
  return replyFor(error);
}
