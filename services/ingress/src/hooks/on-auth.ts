import type { RelayMetrics } from '@smtp-relay/observability';
import { INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import type {
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerSession,
} from 'smtp-server';
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
}

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
    const verifying = deps.credentials.verify(username, auth.password ?? '');
    verifying.then(
      (valid) => {
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
        callback(
          toSmtpServerError(
            failures >= deps.maxFailures
              ? INGRESS_REPLIES.tooManyAuthFailures
              : INGRESS_REPLIES.authenticationFailed,
          ),
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
