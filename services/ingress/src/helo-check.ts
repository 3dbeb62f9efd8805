import type { SMTPServerSession } from 'smtp-server';
import { toSafeSmtpServerError, type SmtpServerError } from './reply.ts';
import type { HeloCommand } from './smtp-server-adapter/index.ts';

/**
 * Decides on a HELO/EHLO command line as the client sent it (`EHLO printer.lan`):
 * undefined lets smtp-server answer it as usual, an error is the reply instead
 * (a 421 also closes the connection). smtp-server has no hook for HELO/EHLO;
 * the adapter gives us one (HeloCommand).
 */
export type HeloCheck = (
  line: string,
  session: SMTPServerSession,
) => Promise<SmtpServerError | undefined>;

/** Runs `check` on one HELO/EHLO, then lets smtp-server answer it or refuses it. */
export function runHeloCheck(check: HeloCheck, command: HeloCommand): void {
  // proceed and refuse never throw, so this chain always ends in an answer.
  void check(command.line, command.session)
    .catch((error: unknown) => toSafeSmtpServerError(error))
    .then((refusal) => {
      if (refusal === undefined) command.proceed();
      else command.refuse(refusal.responseCode, refusal.message);
    });
}
