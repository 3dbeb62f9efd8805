import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { SmartHostTlsMode } from '@smtp-relay/config';
import { describeError, failed, type DiagnosticStep } from './diagnostic-step.ts';
import { openSocket } from './network-steps.ts';
import { formatReply, seconds, SmtpProbe } from './smtp-probe.ts';

// SMART_HOST_TLS that does not fit SMART_HOST_PORT is the most common smart
// host misconfiguration, and the sender sees it only as a timeout (STARTTLS
// on 465: both sides wait for the other) or an OpenSSL "wrong version number"
// (implicit TLS on 587: the 220 greeting is read as a TLS record). When the
// configured mode fails, one more connection in the other mode tells which.

export interface MismatchProbe {
  readonly address: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly tlsOptions: ConnectionOptions;
}

/** SMART_HOST_TLS=implicit and the handshake failed: does the port greet in plain text? */
export async function diagnoseFailedHandshake(
  error: unknown,
  probe: MismatchProbe,
): Promise<DiagnosticStep> {
  const greeting = await plainGreeting(probe);
  const detail = `TLS handshake on port ${String(probe.port)} failed: ${describeError(error)}`;
  if (greeting !== undefined) {
    return failed('tls', `${detail}; the port greets in plain text ("${greeting}")`, {
      cause: `Port ${String(probe.port)} speaks plain SMTP with STARTTLS, not implicit TLS: set SMART_HOST_TLS=starttls (or SMART_HOST_PORT=465 if the smart host offers implicit TLS there).`,
      variable: 'SMART_HOST_TLS',
    });
  }
  return failed('tls', detail, {
    cause: handshakeAdvice(error),
    variable: 'SMART_HOST_TLS',
  });
}

/** SMART_HOST_TLS=starttls|none and no greeting came: does the port speak implicit TLS? */
export async function diagnoseMissingGreeting(
  error: unknown,
  mode: SmartHostTlsMode,
  probe: MismatchProbe,
): Promise<DiagnosticStep> {
  const detail = `no SMTP greeting on port ${String(probe.port)}: ${describeError(error)}`;
  if (await handshakeSucceeds(probe)) {
    return failed('greeting', `${detail}; a TLS handshake on the port succeeds`, {
      cause: `Port ${String(probe.port)} speaks implicit TLS (SMTPS), so it waits for a TLS handshake instead of greeting: set SMART_HOST_TLS=implicit${mode === 'starttls' ? ' (or SMART_HOST_PORT=587 for STARTTLS)' : ''}.`,
      variable: 'SMART_HOST_TLS',
    });
  }
  return failed('greeting', detail, {
    cause: `The smart host accepted the connection but did not greet within ${seconds(probe.timeoutMs)}: SMART_HOST_PORT may belong to another service, or the smart host is overloaded (SMTP_CLIENT_TIMEOUT sets the wait).`,
    variable: 'SMART_HOST_PORT',
  });
}

export function handshakeAdvice(error: unknown): string {
  const text = describeError(error);
  if (/unsupported protocol|no protocols available|version too low/i.test(text)) {
    return 'The smart host offers only TLS versions older than 1.2, which this relay refuses: ask its operator to enable TLS 1.2 or 1.3.';
  }
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(text)) {
    return 'What answered is not a TLS server: check that SMART_HOST_TLS fits SMART_HOST_PORT (implicit on 465, starttls on 587 or 25).';
  }
  return 'The TLS handshake failed: check that SMART_HOST_TLS fits SMART_HOST_PORT (implicit on 465, starttls on 587 or 25).';
}

async function plainGreeting(probe: MismatchProbe): Promise<string | undefined> {
  let conversation: SmtpProbe | undefined;
  try {
    conversation = new SmtpProbe(
      await openSocket(probe.address, probe.port, probe.timeoutMs),
      probe.timeoutMs,
    );
    const reply = await conversation.read();
    return formatReply(reply);
  } catch {
    return undefined;
  } finally {
    conversation?.close();
  }
}

async function handshakeSucceeds(probe: MismatchProbe): Promise<boolean> {
  let socket;
  try {
    socket = await openSocket(probe.address, probe.port, probe.timeoutMs);
  } catch {
    return false;
  }
  const secure = tlsConnect({ ...probe.tlsOptions, socket, rejectUnauthorized: false });
  secure.on('error', () => undefined);
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        resolve(false);
      }, probe.timeoutMs);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(true);
      });
      secure.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  } finally {
    secure.destroy();
  }
}
