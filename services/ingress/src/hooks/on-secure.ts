import type { TLSSocket } from 'node:tls';
import type { SMTPServerSession } from 'smtp-server';
import type { AuthVisibility } from '../auth-visibility.ts';

/** After STARTTLS the session may offer AUTH. */
export function createOnSecure(authVisibility: AuthVisibility) {
  return (
    _socket: TLSSocket,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void => {
    authVisibility.apply(session, true);
    callback();
  };
}
