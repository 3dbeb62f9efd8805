import type { RelayMetrics } from '@smtp-relay/observability';
import { asIngressReply, INGRESS_REPLIES, type IngressReply } from '@smtp-relay/smtp-errors';
import type {
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerSession,
} from 'smtp-server';
import type { ClientBlock } from '@smtp-relay/store';
import type { AbuseProtection } from '../abuse/abuse-protection.ts';
import { blockAnswer } from '../abuse/block-answers.ts';
import { logLimited } from '../abuse/log-limiter.ts';
import { refuse, replyFor } from '../reply.ts';
import type { SessionStates } from '../session-state.ts';
import { settle } from './settle.ts';

export interface CredentialsVerifier {
  verify(username: string, password: string): Promise<boolean>;
}

export interface OnAuthDependencies {
  readonly credentials: CredentialsVerifier;
  readonly sessions: SessionStates;
  readonly metrics: RelayMetrics;
  /** Failed attempts per connection before it is closed with 421. */
  readonly maxFailures: number;
  /** Failures per address across connections and replicas (SMTP_AUTH_MAX_FAILURES). */
  readonly abuse: Pick<AbuseProtection, 'blocking' | 'refusalLog'>;
  /** SMTP_RELAY_NETWORKS, per session: decides what a blocked address hears (block-answers.ts). */
  readonly isRelayClient: (session: SMTPServerSession) => boolean;
}

const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

type AuthCallback = (
  error: Error | null | undefined,
  response?: SMTPServerAuthenticationResponse,
) => void;

export function createOnAuth(deps: OnAuthDependencies) {
  return (
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: AuthCallback,
  ): void => {
    const state = deps.sessions.get(session);
    const username = auth.username ?? '';
    const address = state?.clientAddress ?? session.remoteAddress;
    const { blocking } = deps.abuse;
    // A connection opened before its address was blocked (by another connection, on
    // any replica) must not go on guessing, and a trusted client let in while blocked
    // must not guess either: a blocked address is refused here before the password
    // is checked, so even the right one does not get in.
    const verifying = blocking.check(address).then(async (block) => {
      if (block !== undefined) return block;
      const valid = await deps.credentials.verify(username, auth.password ?? '');
      // Parallel connections all pass the first check before any failure is counted;
      // a block set by a sibling while this one waited for a hashing slot wins, so
      // a right guess among many parallel ones does not get in either.
      if (!valid) return false;
      return (await blocking.check(address)) ?? true;
    });
    const blockedReply = (block: ClientBlock): IngressReply =>
      asIngressReply(blockAnswer(block.reason, deps.isRelayClient(session)).auth, 'blocked');
    // Every answer but a success is counted, with the class its code has (421 is a 4xx).
    const refusal = (reply: IngressReply): Error => refuse(deps.metrics, 'auth', reply);
    // settle: a throw while logging or counting must not become an unhandled
    // rejection (the process would exit); the client hears a 4xx instead.
    settle(
      verifying,
      callback,
      async (outcome, answer) => {
        if (typeof outcome === 'object') {
          if (state) {
            logLimited(
              deps.abuse.refusalLog,
              state.log,
              address,
              {
                event: 'smtp.client.block-refused',
                stage: 'auth',
                reason: outcome.reason,
                user: username,
                method: auth.method,
              },
              'AUTH from a blocked address refused (the password was not checked)',
            );
          }
          answer(refusal(blockedReply(outcome)));
          return;
        }
        if (outcome) {
          state?.log.info(
            { event: 'smtp.auth.succeeded', user: username, method: auth.method },
            'authenticated',
          );
          answer(null, { user: username });
          return;
        }
        // Failed attempts, whatever they are answered with (535, 421, or a block's 454).
        deps.metrics.authFailures.inc();
        const failures = state ? ++state.authFailures : deps.maxFailures;
        // Never the password: only who tried, how, and how often.
        state?.log.warn(
          { event: 'smtp.auth.failed', user: username, method: auth.method, failures },
          'authentication failed',
        );
        const reply =
          failures >= deps.maxFailures
            ? INGRESS_REPLIES.tooManyAuthFailures
            : INGRESS_REPLIES.authenticationFailed;
        // The failure that reaches SMTP_AUTH_MAX_FAILURES is answered as the block it
        // set: 421 and the connection ends, or 454 for a trusted client, which stays.
        // Counting it may fail (Redis down): the plain refusal is given then.
        const block = await blocking
          .authFailed(address, state?.log ?? SILENT)
          .catch(() => undefined);
        answer(refusal(block === undefined ? reply : blockedReply(block)));
      },
      (error: unknown, answer) => {
        state?.log.error(
          { event: 'smtp.auth.error', err: error },
          'credentials could not be checked',
        );
        answer(refusal(INGRESS_REPLIES.authenticationUnavailable));
      },
      state?.log,
      (error: unknown) => refusal(replyFor(error)),
    );
  };
}
