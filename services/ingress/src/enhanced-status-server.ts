import type { SMTPServer, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { createConnectionGuard } from './guarded-connection.ts';
import { createPreSessionGuard, type SessionGuards } from './guarded-server.ts';
import { runHeloCheck, type HeloCheck } from './helo-check.ts';
import { createSmtpServer } from './smtp-server-adapter/index.ts';

// With ENHANCEDSTATUSCODES advertised (docs/reference.md), smtp-server derives the enhanced
// code from the basic code alone: 550 always becomes 5.1.1 and the 250 after
// DATA 2.6.0, where the contract needs "550 5.7.1 ..." and "250 2.0.0 Ok:
// queued as ...". Our replies therefore carry their own enhanced code at the
// start of the text, and such a text is sent as it is. The server's own
// replies (syntax errors, 452 too many recipients...) keep the library's codes
// (docs/adr/004).
const LEADING_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

/** One listener's smtp-server as ingress runs it (see createEnhancedStatusServer). */
export type EnhancedStatusSmtpServer = SMTPServer;

/**
 * smtp-server whose replies keep our enhanced codes, with the socket and
 * session guards (docs/adr/009) and the HELO/EHLO check of the transaction
 * filter's H rules (helo-check.ts); through the adapter, never listening.
 */
export function createEnhancedStatusServer(
  options: SMTPServerOptions,
  extras: {
    readonly guards: SessionGuards;
    readonly heloCheck: HeloCheck | undefined;
    /** SMTP_GREETING_DELAY (docs/adr/013). */
    readonly greetingDelayMs: number;
    /** The session is over, at QUIT already (smtp-server-adapter/server-behaviour.ts). */
    readonly onSessionEnd: (session: SMTPServerSession) => void;
  },
): EnhancedStatusSmtpServer {
  const { guards, heloCheck, greetingDelayMs, onSessionEnd } = extras;
  return createSmtpServer(options, {
    hasOwnEnhancedCode: (text) => LEADING_ENHANCED_CODE.test(text),
    watchConnection: (connection) => createConnectionGuard(guards, connection),
    preSession: createPreSessionGuard(guards),
    onHelo:
      heloCheck &&
      ((command) => {
        runHeloCheck(heloCheck, command);
      }),
    greetingDelayMs,
    onSessionEnd,
  });
}
