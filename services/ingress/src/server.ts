import type tls from 'node:tls';
import type { Logger, RelayMetrics, TranscriptWriter } from '@smtp-relay/observability';
import type { SenderRules } from '@smtp-relay/policy';
import type { SMTPServerOptions } from 'smtp-server';
import type { AbuseProtection } from './abuse/abuse-protection.ts';
import { createAuthVisibility } from './auth-visibility.ts';
import { createClientTrust } from './client-trust.ts';
import { createSessionFilter } from './filter/session-filter.ts';
import { createSenderCheck } from './sender-rules/sender-check.ts';
import {
  createEnhancedStatusServer,
  type EnhancedStatusSmtpServer,
} from './enhanced-status-server.ts';
import { createOnAuth, type CredentialsVerifier } from './hooks/on-auth.ts';
import { createOnConnect } from './hooks/on-connect.ts';
import { createOnData } from './hooks/on-data.ts';
import { createOnMailFrom } from './hooks/on-mail-from.ts';
import { createOnRcptTo } from './hooks/on-rcpt-to.ts';
import { createOnSecure } from './hooks/on-secure.ts';
import type { HeloCheck } from './helo-check.ts';
import type { MessageIntake } from './message-intake.ts';
import { refuse } from './reply.ts';
import { createSessionStates } from './session-state.ts';
import { createSessionTranscriptLogger } from './session-transcripts.ts';
import { createSessionGuards } from './session-guards.ts';
import { tlsFloorOptions } from './tls-floor.ts';

interface IngressServerSettings {
  readonly hostname: string;
  /** true for the SMTPS (implicit TLS) listener */
  readonly implicitTls: boolean;
  readonly tls: { readonly key: Buffer; readonly cert: Buffer } | undefined;
  readonly allowInsecureAuth: boolean;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxClients: number;
  /** SMTP_MAX_CLIENTS_PER_IP, here for TLS handshakes before a session starts. */
  readonly maxClientsPerIp: number;
  readonly socketTimeoutMs: number;
  /** SMTP_GREETING_DELAY: the wait before the 220 that early talkers fail (docs/adr/013). */
  readonly greetingDelayMs: number;
  /** How long close() lets sessions finish before they get 421. */
  readonly closeTimeoutMs: number;
  /** SMTP_TLS_MIN_VERSION, for STARTTLS and SMTPS alike. */
  readonly tlsMinVersion: tls.SecureVersion;
}

export interface IngressServerDependencies {
  readonly settings: IngressServerSettings;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly intake: MessageIntake;
  /** undefined when no SMTP_AUTH_FILE is configured: AUTH is not offered. */
  readonly credentials: CredentialsVerifier | undefined;
  readonly isRelayNetwork: (address: string) => boolean;
  readonly isShuttingDown: () => boolean;
  /** Per-IP cap, client blocks, transaction filter: shared by both listeners. */
  readonly abuse: AbuseProtection;
  /** SMTP_PROXY_TRUSTED; undefined while SMTP_PROXY_PROTOCOL is off. */
  readonly isTrustedProxy?: ((address: string) => boolean) | undefined;
  /** SMTP_TRANSCRIPT_DIR; undefined: no transcripts, and smtp-server logs nothing. */
  readonly transcripts?: TranscriptWriter | undefined;
  /** SMTP_SENDERS_FILE's rules as loaded now; undefined: every user may use any address. */
  readonly senderRules?: (() => SenderRules) | undefined;
}

const MAX_AUTH_FAILURES_PER_CONNECTION = 3;

/** Builds the SMTP server for one listener; never listens, never reads env. */
export function createIngressServer(deps: IngressServerDependencies): EnhancedStatusSmtpServer {
  const { settings } = deps;
  const sessions = createSessionStates();
  const serverDisabledCommands = [
    ...(settings.tls === undefined ? ['STARTTLS'] : []),
    ...(deps.credentials === undefined ? ['AUTH'] : []),
  ];
  const authVisibility = createAuthVisibility({
    serverDisabledCommands,
    allowInsecureAuth: settings.allowInsecureAuth,
  });
  const filter = deps.abuse.filter && createSessionFilter(deps.abuse.filter, sessions);
  const senders = deps.senderRules && createSenderCheck(deps.senderRules, sessions);
  // Who may relay without AUTH, per session: never one that came through the
  // PROXY protocol without a client address. Every "trusted?" question asks this.
  const trust = createClientTrust(deps.isRelayNetwork);
  const options: SMTPServerOptions = {
    name: settings.hostname,
    secure: settings.implicitTls,
    // No certificate means no STARTTLS at all, never smtp-server's built-in test
    // certificate (whose private key is public).
    ...(settings.tls ? { key: settings.tls.key, cert: settings.tls.cert } : {}),
    ...tlsFloorOptions(settings.tlsMinVersion),
    disabledCommands: serverDisabledCommands,
    allowInsecureAuth: settings.allowInsecureAuth,
    // Relay permission is decided at RCPT (authenticated OR relay network), so
    // smtp-server's own "AUTH required" gate is off; decideRelay refuses everyone else.
    authOptional: true,
    authMethods: ['PLAIN', 'LOGIN'],
    size: settings.maxMessageSize,
    maxRecipients: settings.maxRecipients,
    maxClients: settings.maxClients,
    socketTimeout: settings.socketTimeoutMs,
    closeTimeout: settings.closeTimeoutMs,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    // A PTR lookup per connection costs latency and depends on DNS; the
    // Received: header names the address instead.
    disableReverseLookup: true,
    // smtp-server's own command/reply log is the transcript's source (exact lines).
    logger: deps.transcripts ? createSessionTranscriptLogger(deps.transcripts) : false,
    onConnect: createOnConnect({
      logger: deps.logger,
      sessions,
      authVisibility,
      isShuttingDown: deps.isShuttingDown,
      abuse: deps.abuse,
      metrics: deps.metrics,
      isRelayClient: trust.isRelayClient,
    }),
    onSecure: createOnSecure(authVisibility),
    onMailFrom: createOnMailFrom(deps.isShuttingDown, filter, deps.metrics, senders),
    onRcptTo: createOnRcptTo({
      sessions,
      metrics: deps.metrics,
      isRelayClient: trust.isRelayClient,
      cameWithoutClientAddress: trust.cameWithoutClientAddress,
      authOffered: deps.credentials !== undefined,
      filter,
    }),
    onData: createOnData({
      intake: deps.intake,
      sessions,
      metrics: deps.metrics,
      hostname: settings.hostname,
      filter,
    }),
  };
  if (deps.credentials) {
    options.onAuth = createOnAuth({
      credentials: deps.credentials,
      sessions,
      metrics: deps.metrics,
      maxFailures: MAX_AUTH_FAILURES_PER_CONNECTION,
      abuse: deps.abuse,
      isRelayClient: trust.isRelayClient,
    });
  }
  const heloCheck: HeloCheck | undefined =
    filter &&
    (async (line, session) => {
      const reply = await filter.check({ type: 'H', value: line }, session);
      return reply === undefined ? undefined : refuse(deps.metrics, 'helo', reply);
    });
  const server = createEnhancedStatusServer(options, {
    guards: createSessionGuards({
      logger: deps.logger,
      metrics: deps.metrics,
      sessions,
      socketTimeoutMs: settings.socketTimeoutMs,
      maxClientsPerIp: settings.maxClientsPerIp,
      trust,
      isTrustedProxy: deps.isTrustedProxy,
    }),
    heloCheck,
    greetingDelayMs: settings.greetingDelayMs,
    // At QUIT already, not when the socket closes: a device that quits and
    // reconnects at once is not refused for its own finished session. Refused
    // sessions come here too (then it releases nothing).
    onSessionEnd: (session) => {
      deps.abuse.connections.close(session.id);
    },
  });
  server.on('error', (error: Error & { syscall?: string }) => {
    // A listener that cannot open is the start's failure, told in one line
    // (packages/observability/src/startup-failure.ts): no second report here.
    if (error.syscall === 'listen') {
      deps.logger.debug({ event: 'smtp.listen.failed', err: error }, 'SMTP listener failed');
      return;
    }
    deps.logger.warn({ event: 'smtp.connection.error', err: error }, 'SMTP connection error');
  });
  return server;
}
