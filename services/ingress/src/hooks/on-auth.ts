import type { RelayMetrics } from '@smtp-relay/observability';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type {
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerSession,
} from 'smtp-server';
import type { ClientBlocking } from '../abuse/client-blocking.ts';
import { toSmtpServerError } from '../reply.ts';
import type { SessionStates } from '../session-state.ts';

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
  readonly blocking: ClientBlocking;
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
    // A connection opened before its address was blocked (by another connection, on
    // any replica) must not go on guessing: a blocked address is refused here too,
    // before the password is checked, so even the right one does not get in.
    const verifying = deps.blocking.check(address).then(async (block) => {
      if (block !== undefined) return 'blocked' as const;
      const valid = await deps.credentials.verify(username, auth.password ?? '');
      // Parallel connections all pass the first check before any failure is counted;
      // a block set by a sibling while this one waited for a hashing slot wins, so
      // a right guess among many parallel ones does not get in either.
      if (valid && (await deps.blocking.check(address)) !== undefined) return 'blocked' as const;
      return valid;
    });
    verifying.then(
      (valid) => {
        if (valid === 'blocked') {
          state?.log.info(
            { event: 'smtp.client.block-refused', user: username, method: auth.method },
            'AUTH from a blocked address refused',
          );
          callback(toSmtpServerError(INGRESS_REPLIES.clientBlocked));
          return;
        }
        if (valid) {
          state?.log.info(
            { event: 'smtp.auth.succeeded', user: username, method: auth.method },
            'authenticated',
          );
          callback(null, { user: username });
          return;
        }
        deps.metrics.authFailures.inc();
        deps.metrics.smtpReplies.inc({ class: '5xx' });
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
        // The failure that reaches SMTP_AUTH_MAX_FAILURES ends this connection as well.
        deps.blocking.authFailed(address, state?.log ?? SILENT).then(
          (blocked) => {
            callback(toSmtpServerError(blocked ? INGRESS_REPLIES.clientBlocked : reply));
          },
          () => {
            callback(toSmtpServerError(reply));
          },
        );
      },
      (error: unknown) => {
        state?.log.error(
          { event: 'smtp.auth.error', err: error },
          'credentials could not be checked',
        );
        callback(toSmtpServerError(INGRESS_REPLIES.authenticationUnavailable));
      },
    );
  };
}
