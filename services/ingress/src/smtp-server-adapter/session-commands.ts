import type { SMTPServerSession } from 'smtp-server';

/**
 * The commands this session refuses and leaves out of its EHLO list, in place
 * of the server's `disabledCommands` option (smtp-server 3.21 reads the
 * session's own list at every command and EHLO). Each session gets its own copy.
 */
export function setDisabledCommands(session: SMTPServerSession, commands: readonly string[]): void {
  session.disabledCommands = [...commands];
}
