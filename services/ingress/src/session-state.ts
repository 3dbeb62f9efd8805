import type { Logger } from '@smtp-relay/observability';
import type { SMTPServerSession } from 'smtp-server';

/** What ingress remembers about one SMTP connection. */
interface SessionState {
  readonly log: Logger;
  readonly clientAddress: string;
  authFailures: number;
}

/** smtp-server keeps one session object per connection, so it can key the state. */
export interface SessionStates {
  get(session: SMTPServerSession): SessionState | undefined;
  set(session: SMTPServerSession, state: SessionState): void;
}

export function createSessionStates(): SessionStates {
  const states = new WeakMap<SMTPServerSession, SessionState>();
  return {
    get: (session) => states.get(session),
    set: (session, state) => {
      states.set(session, state);
    },
  };
}
