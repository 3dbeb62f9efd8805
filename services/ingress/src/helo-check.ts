import type { SMTPServerSession } from 'smtp-server';
import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { toSafeSmtpServerError, type SmtpServerError } from './reply.ts';

/**
 * Decides on a HELO/EHLO command line as the client sent it (`EHLO printer.lan`):
 * undefined lets smtp-server answer it as usual, an error is the reply instead
 * (a 421 also closes the connection). smtp-server has no hook for HELO/EHLO, so
 * enhanced-status-server.ts calls this from its connection class.
 */
export type HeloCheck = (
  line: string,
  session: SMTPServerSession,
) => Promise<SmtpServerError | undefined>;

/** Runs `check` before smtp-server's own HELO/EHLO handler (`proceed`). */
export function runHeloCheck(
  connection: SMTPConnection,
  check: HeloCheck | undefined,
  command: Buffer,
  callback: () => void,
  proceed: () => void,
): void {
  if (check === undefined) {
    proceed();
    return;
  }
  // Like an application hook: smtp-server reads no further command meanwhile, and
  // its idle timeout does not count the wait (_handlerPending is set).
  check(command.toString('utf8').replace(/\r?\n$/, ''), connection.session)
    .catch((error: unknown) => toSafeSmtpServerError(error))
    .then((refusal) => {
      if (refusal === undefined) {
        proceed();
        return;
      }
      connection.send(refusal.responseCode, refusal.message);
      callback();
    })
    .catch(callback);
}
