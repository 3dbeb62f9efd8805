import type { SMTPServerSession } from 'smtp-server';
import { setDisabledCommands } from './smtp-server-adapter/index.ts';

export interface AuthVisibility {
  /** Sets the commands this session offers; `secure` overrides session.secure right after STARTTLS. */
  apply(session: SMTPServerSession, secure?: boolean): void;
}

/**
 * AUTH is offered only inside TLS unless SMTP_ALLOW_INSECURE_AUTH is on (as
 * Postfix's smtpd_tls_auth_only): a plain-text session does not even see it in
 * EHLO, so a misconfigured device fails visibly instead of sending its password
 * in clear.
 */
export function createAuthVisibility(options: {
  readonly serverDisabledCommands: readonly string[];
  readonly allowInsecureAuth: boolean;
}): AuthVisibility {
  const plainTextCommands = options.allowInsecureAuth
    ? [...options.serverDisabledCommands]
    : [...new Set([...options.serverDisabledCommands, 'AUTH'])];
  return {
    apply(session, secure = session.secure) {
      // Each session gets its own copy (setDisabledCommands).
      setDisabledCommands(session, secure ? options.serverDisabledCommands : plainTextCommands);
    },
  };
}
