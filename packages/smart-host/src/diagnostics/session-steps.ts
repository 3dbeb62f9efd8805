import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import type { SmartHostConfig } from '@smtp-relay/config';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import { inspectTls, judgeTls } from './certificate-report.ts';
import {
  describeError,
  failed,
  passed,
  warned,
  type DiagnosticStep,
  type DiagnosticStepName,
} from './diagnostic-step.ts';
import {
  diagnoseFailedHandshake,
  diagnoseMissingGreeting,
  handshakeAdvice,
  type MismatchProbe,
} from './port-mismatch.ts';
import { formatReply, ProbeError, SmtpProbe, type ProbeReply } from './smtp-probe.ts';

// Greeting, TLS and EHLO on one connection, in the order the sender goes
// through them for SMART_HOST_TLS (implicit: TLS first; starttls: greeting,
// EHLO, STARTTLS, EHLO again; none: greeting, EHLO). Ends at the first failure:
// what follows would only repeat it.

export interface SessionOptions {
  readonly smartHost: SmartHostConfig;
  readonly heloName: string;
  /** Extra CA (PEM) from SMART_HOST_CA_FILE, trusted besides the system CAs. */
  readonly extraCa: Buffer | undefined;
  readonly timeoutMs: number;
  /** The address the connect step reached. */
  readonly address: string;
  readonly now: Date;
}

export interface SessionResult {
  readonly steps: readonly DiagnosticStep[];
  /** The extensions of the last EHLO reply ("SIZE 52428800", "AUTH PLAIN LOGIN"); undefined after a failure. */
  readonly capabilities: readonly string[] | undefined;
}

export async function probeSession(
  socket: Socket,
  options: SessionOptions,
): Promise<SessionResult> {
  const { smartHost } = options;
  const probe = new SmtpProbe(socket, options.timeoutMs);
  const steps: DiagnosticStep[] = [];
  const mismatch: MismatchProbe = {
    address: options.address,
    port: smartHost.port,
    timeoutMs: options.timeoutMs,
    tlsOptions: tlsOptions(options),
  };
  let stage: DiagnosticStepName = smartHost.tls === 'implicit' ? 'tls' : 'greeting';
  const stop = (step: DiagnosticStep): SessionResult => ({
    steps: [...steps, step],
    capabilities: undefined,
  });
  const secure = async (): Promise<DiagnosticStep> => {
    const tlsSocket = await probe.startTls(mismatch.tlsOptions);
    return judgeTls(inspectTls(tlsSocket, smartHost.host, options.now), {
      host: smartHost.host,
      tlsVerify: smartHost.tlsVerify,
      caFile: smartHost.caFile,
      now: options.now,
    });
  };
  try {
    if (smartHost.tls === 'implicit') {
      let tlsStep: DiagnosticStep;
      try {
        tlsStep = await secure();
      } catch (error) {
        return stop(await diagnoseFailedHandshake(error, mismatch));
      }
      steps.push(tlsStep);
      if (tlsStep.ok === false) return { steps, capabilities: undefined };
    }

    stage = 'greeting';
    let greeting: ProbeReply;
    try {
      greeting = await probe.read();
    } catch (error) {
      if (smartHost.tls === 'implicit' || !(error instanceof ProbeError)) throw error;
      return stop(await diagnoseMissingGreeting(error, smartHost.tls, mismatch));
    }
    if (greeting.code !== 220) return stop(refusedGreeting(greeting));
    steps.push(passed('greeting', formatReply(greeting)));

    stage = 'ehlo';
    let ehlo = await probe.command(`EHLO ${options.heloName}`);
    if (ehlo.code !== 250) return stop(refusedEhlo(ehlo, options.heloName));

    if (smartHost.tls === 'starttls') {
      stage = 'tls';
      if (!hasExtension(ehlo, 'STARTTLS')) return stop(noStartTls(smartHost.port));
      const ready = await probe.command('STARTTLS');
      if (ready.code !== 220) {
        return stop(
          failed('tls', `STARTTLS refused: ${formatReply(ready)}`, {
            cause:
              'The smart host offers STARTTLS but refused to start it; its reply says why (a 454 is usually temporary on its side).',
            variable: 'SMART_HOST_TLS',
          }),
        );
      }
      let tlsStep: DiagnosticStep;
      try {
        tlsStep = await secure();
      } catch (error) {
        return stop(
          failed('tls', `TLS handshake after STARTTLS failed: ${describeError(error)}`, {
            cause: handshakeAdvice(error),
            variable: 'SMART_HOST_TLS',
          }),
        );
      }
      steps.push(tlsStep);
      if (tlsStep.ok === false) return { steps, capabilities: undefined };
      stage = 'ehlo';
      // RFC 3207 4.2: everything learnt before TLS is forgotten, AUTH included.
      ehlo = await probe.command(`EHLO ${options.heloName}`);
      if (ehlo.code !== 250) return stop(refusedEhlo(ehlo, options.heloName));
    } else if (smartHost.tls === 'none') {
      steps.push(plainTextWarning(ehlo, smartHost));
    }

    const capabilities = ehlo.lines.slice(1);
    steps.push(ehloStep(ehlo, capabilities));
    return { steps, capabilities };
  } catch (error) {
    return stop(
      failed(stage, `the session broke off: ${describeError(error)}`, {
        cause:
          error instanceof ProbeError && error.code === 'ETIMEDOUT'
            ? 'The smart host stopped answering: it may be overloaded, or a firewall interferes with long connections (SMTP_CLIENT_TIMEOUT sets the wait).'
            : 'The smart host closed or broke the connection mid-session: its logs say why.',
        variable: 'SMART_HOST',
      }),
    );
  } finally {
    probe.close();
  }
}

/** What the probe and the sender both use: system CAs plus SMART_HOST_CA_FILE, TLS 1.2 or newer. */
function tlsOptions({ smartHost, extraCa }: SessionOptions): ConnectionOptions {
  return {
    minVersion: 'TLSv1.2',
    // SNI carries names only (RFC 6066 section 3); Node warns about an IP address.
    ...(isIP(smartHost.host) === 0 ? { servername: smartHost.host } : {}),
    ...(extraCa === undefined ? {} : { ca: [...rootCertificates, extraCa.toString('utf8')] }),
  };
}

export function hasExtension(ehlo: ProbeReply, name: string): boolean {
  return ehlo.lines
    .slice(1)
    .some((line) => (line.trim().split(/[\s=]/)[0] ?? '').toUpperCase() === name);
}

function ehloStep(ehlo: ProbeReply, capabilities: readonly string[]): DiagnosticStep {
  const size = capabilities
    .map((line) => /^SIZE\s+(\d+)/i.exec(line)?.[1])
    .find((value) => value !== undefined);
  const maxSize = size === undefined || size === '0' ? undefined : Number(size);
  const sizeText = maxSize === undefined ? '' : `; messages up to ${formatMiB(maxSize)}`;
  return passed(
    'ehlo',
    `${ehlo.lines[0] ?? ''}: ${capabilities.join(', ') || '(no extensions)'}${sizeText}`,
    { capabilities, maxMessageSize: maxSize ?? null },
  );
}

function formatMiB(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return `${mib >= 10 ? String(Math.round(mib)) : mib.toFixed(1)} MiB`;
}

function refusedGreeting(greeting: ProbeReply): DiagnosticStep {
  const { hint } = classifyDeliveryError({
    message: formatReply(greeting),
    responseCode: greeting.code,
    response: formatReply(greeting),
    command: 'CONN',
  });
  return failed('greeting', `the smart host refused the session: ${formatReply(greeting)}`, {
    cause:
      hint ??
      'The smart host turned the connection away; its reply says why (a 421 is usually temporary: busy or rate-limited).',
    variable: 'SMART_HOST',
  });
}

function refusedEhlo(reply: ProbeReply, heloName: string): DiagnosticStep {
  const fqdn = heloName.includes('.') || heloName.startsWith('[');
  return failed('ehlo', `EHLO ${heloName} refused: ${formatReply(reply)}`, {
    cause: fqdn
      ? `The smart host refused the name this relay announces: set HELO_NAME to this relay's DNS name, one the smart host accepts.`
      : `"${heloName}" is not a fully qualified domain name, which smart hosts with Postfix reject_non_fqdn_helo_hostname refuse: set HELO_NAME (or SMTP_HOSTNAME) to this relay's DNS name.`,
    variable: 'HELO_NAME',
  });
}

function noStartTls(port: number): DiagnosticStep {
  return failed('tls', `the smart host does not offer STARTTLS on port ${String(port)}`, {
    cause: `Wrong port? SMART_HOST_TLS=starttls needs a port that offers STARTTLS (usually 587): set SMART_HOST_PORT, or SMART_HOST_TLS=implicit for port 465; SMART_HOST_TLS=none only on a trusted network.`,
    variable: 'SMART_HOST_PORT',
  });
}

function plainTextWarning(ehlo: ProbeReply, smartHost: SmartHostConfig): DiagnosticStep {
  const offered = hasExtension(ehlo, 'STARTTLS');
  const secret = smartHost.user === undefined ? 'mail' : 'mail and the login';
  return warned('tls', `none: SMART_HOST_TLS=none, ${secret} cross the network unencrypted`, {
    cause: offered
      ? 'The smart host offers STARTTLS: set SMART_HOST_TLS=starttls.'
      : 'Acceptable only on a trusted network (a smart host on the same host or LAN).',
    variable: 'SMART_HOST_TLS',
  });
}
