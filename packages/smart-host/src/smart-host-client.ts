import { Readable } from 'node:stream';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import type { SmartHostConfig } from '@smtp-relay/config';
import type { Logger, TranscriptWriter } from '@smtp-relay/observability';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPConnectionSendInfo } from 'nodemailer/lib/smtp-connection';
import { chooseMechanism, offeredMechanisms } from './auth-mechanism.ts';
import { createClientTranscriptLogger } from './client-transcript.ts';
import { SmartHostConnection } from './smart-host-connection.ts';
import type { OAuth2TokenProvider } from './oauth2/token-provider.ts';
import { loginWithXOAuth2 } from './xoauth2-login.ts';

// A small connection pool over nodemailer's SMTPConnection rather than its
// pooled transport: the pool transport picks the AUTH mechanism by itself
// (SMART_HOST_AUTH_METHODS must be able to exclude CRAM-MD5), re-sends on its
// own when a connection drops (a duplicate path hidden from the queue), and
// gives no per-transaction control. Bytes still go through SMTPConnection's
// DATA stream, which turns bare CR/LF into CRLF and dot-stuffs after them: that
// is what keeps SMTP smuggling sequences from reaching the smart host as a
// second message (SmartHostConnection applies the same rules, faster).

export interface SmartHostEnvelope {
  /** '' = null sender */
  readonly from: string;
  readonly to: readonly string[];
  readonly size: number;
  readonly use8BitMime: boolean;
}

export interface SmartHostSendResult {
  readonly accepted: readonly string[];
  /** Per-recipient refusals (the message went to the accepted ones). */
  readonly rejected: readonly RecipientRefusal[];
  /** The smart host's final reply, e.g. "250 2.0.0 Ok: queued as 4F2A". */
  readonly response: string;
}

export interface RecipientRefusal {
  readonly recipient: string;
  readonly error: SmartHostError;
}

/** A nodemailer error, or one of ours shaped like it, for classification. */
export interface SmartHostError extends Error {
  code?: string | undefined;
  responseCode?: number | undefined;
  command?: string | undefined;
  response?: string | undefined;
  recipient?: string | undefined;
  rejected?: string[] | undefined;
  rejectedErrors?: SmartHostError[] | undefined;
  /**
   * Where the attempt failed: `session` = connecting, TLS, greeting, EHLO or AUTH,
   * before MAIL (nothing of the message left); `transaction` = MAIL, RCPT, DATA
   * (the smart host may even have the message when the connection drops). Only a
   * session failure is a reason to try another host (failover/host-failure.ts).
   */
  stage?: 'session' | 'transaction' | undefined;
}

export interface SmartHostSendOptions {
  /**
   * Try every host of the route in order, cooling down or not: a systemic hold's
   * probe must reach a host to learn whether the problem is gone. Only clients
   * that fail over (failover/route-client.ts) act on it; wrappers pass it on.
   */
  readonly ignoreCooldown?: boolean;
  /** The delivery's own logger (message id, route), for what the send logs about hosts. */
  readonly logger?: Logger;
}

/**
 * The message as chunks: in memory, or streamed from the store as it is sent
 * (packages/store streamChunks), each pass reading it again from its start.
 */
export type MessageBody = readonly Buffer[] | AsyncIterable<Buffer>;

export interface SmartHostClient {
  /** Resolves when at least one recipient was accepted; rejects otherwise. */
  send(
    envelope: SmartHostEnvelope,
    body: MessageBody,
    options?: SmartHostSendOptions,
  ): Promise<SmartHostSendResult>;
  close(): Promise<void>;
}

export interface SmartHostClientOptions {
  readonly smartHost: SmartHostConfig;
  /** Extra CA (PEM), added to the system CAs. */
  readonly extraCa: Buffer | undefined;
  readonly heloName: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Connections are replaced after this many messages (as Postfix's smtp_connection_reuse_count_limit). */
  readonly maxMessagesPerConnection?: number;
  /** Idle connections are closed after this long; smart hosts drop idle ones anyway. */
  readonly idleTimeoutMs?: number;
  /** Access tokens for AUTH XOAUTH2; required when smartHost.oauth2 is set. */
  readonly oauth2Tokens?: OAuth2TokenProvider;
  /** SMART_HOST_TRANSCRIPT_DIR: one transcript file per connection. */
  readonly transcripts?: TranscriptWriter;
}

interface PooledConnection {
  readonly connection: SMTPConnection;
  messages: number;
  closed: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

export function createSmartHostClient(options: SmartHostClientOptions): SmartHostClient {
  const maxMessages = options.maxMessagesPerConnection ?? 100;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const idle: PooledConnection[] = [];
  const all = new Set<PooledConnection>();
  let closing = false;

  /** Takes a connection out of the pool; SMTPConnection closes itself after an error. */
  function forget(pooled: PooledConnection): void {
    pooled.closed = true;
    clearTimeout(pooled.idleTimer);
    all.delete(pooled);
    const index = idle.indexOf(pooled);
    if (index >= 0) idle.splice(index, 1);
  }

  function discard(pooled: PooledConnection): void {
    if (pooled.closed) return;
    forget(pooled);
    pooled.connection.quit();
    pooled.connection.close();
  }

  function release(pooled: PooledConnection): void {
    if (closing || pooled.closed || pooled.messages >= maxMessages) {
      discard(pooled);
      return;
    }
    pooled.idleTimer = setTimeout(() => {
      discard(pooled);
    }, idleTimeoutMs);
    pooled.idleTimer.unref();
    idle.push(pooled);
  }

  async function open(): Promise<PooledConnection> {
    const connection = new SmartHostConnection(connectionOptions(options));
    const pooled: PooledConnection = {
      connection,
      messages: 0,
      closed: false,
      idleTimer: undefined,
    };
    // Errors during a step are settled by phase(); these listeners keep an idle
    // connection's late error from becoming an uncaught exception and drop it
    // from the pool. They must not close the connection themselves: that would
    // report 'end' before the step sees the real error.
    connection.on('error', () => {
      forget(pooled);
    });
    connection.on('end', () => {
      forget(pooled);
    });
    all.add(pooled);
    try {
      await phase<undefined>(connection, (done) => {
        // nodemailer passes an error here when the peer closes before its greeting.
        connection.connect((error?: Error | null) => {
          done(error ?? undefined, undefined);
        });
      });
      await authenticate(connection, options);
      return pooled;
    } catch (error) {
      discard(pooled);
      throw error;
    }
  }

  async function take(): Promise<{ pooled: PooledConnection; reused: boolean }> {
    for (let pooled = idle.pop(); pooled; pooled = idle.pop()) {
      clearTimeout(pooled.idleTimer);
      if (!pooled.closed) return { pooled, reused: true };
    }
    try {
      return { pooled: await open(), reused: false };
    } catch (error) {
      throw atStage(error, 'session');
    }
  }

  async function sendOnce(
    envelope: SmartHostEnvelope,
    body: MessageBody,
  ): Promise<SmartHostSendResult> {
    const { pooled, reused } = await take();
    try {
      const info = await transmit(pooled.connection, envelope, body);
      pooled.messages++;
      // RSET would be needed after a partial failure only; after 250 the next MAIL may follow.
      release(pooled);
      return toResult(info);
    } catch (error) {
      discard(pooled);
      // A reused connection the smart host closed while it sat idle fails before
      // any byte of the message left: safe to try once on a fresh connection.
      if (reused && isStaleConnection(error)) return sendOnce(envelope, body);
      throw atStage(error, 'transaction');
    }
  }

  return {
    // SmartHostSendOptions concern clients with several hosts; one host has nothing to skip.
    send: (envelope, body) => sendOnce(envelope, body),
    close() {
      closing = true;
      for (const pooled of [...all]) discard(pooled);
      return Promise.resolve();
    },
  };
}

export function connectionOptions(
  options: SmartHostClientOptions,
): ConstructorParameters<typeof SMTPConnection>[0] {
  const { smartHost } = options;
  const tls: ConnectionOptions = {
    rejectUnauthorized: smartHost.tlsVerify,
    minVersion: 'TLSv1.2',
    ...(options.extraCa ? { ca: [...rootCertificates, options.extraCa.toString('utf8')] } : {}),
  };
  return {
    host: smartHost.host,
    port: smartHost.port,
    secure: smartHost.tls === 'implicit',
    // starttls: refuse to go on in plain text when STARTTLS is missing or fails.
    requireTLS: smartHost.tls === 'starttls',
    ignoreTLS: smartHost.tls === 'none',
    tls,
    name: options.heloName,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // transactionLog feeds the transcript with command and reply lines; debug
    // (which adds the message's bytes) stays off.
    ...(options.transcripts
      ? { logger: createClientTranscriptLogger(options.transcripts), transactionLog: true }
      : { logger: false }),
    debug: false,
  };
}

export async function authenticate(
  connection: SMTPConnection,
  options: SmartHostClientOptions,
): Promise<void> {
  const { user, password, authMethods, oauth2 } = options.smartHost;
  const oauth2Tokens = oauth2 === undefined ? undefined : options.oauth2Tokens;
  // Without a token source the login would be skipped and the smart host's 5xx to
  // MAIL would bounce the mail: a wiring mistake must hold it instead.
  if (oauth2 !== undefined && oauth2Tokens === undefined) {
    throw smartHostError('ECONFIG', 'OAuth2 is configured but no token source was given');
  }
  if (user === undefined || (password === undefined && oauth2Tokens === undefined)) return;
  // Without this check nodemailer would carry on unauthenticated, and the smart
  // host would refuse each message as relaying denied.
  if (!connection.allowsAuth) {
    throw smartHostError('ENOAUTH', 'Smart host does not offer AUTH (credentials are configured)');
  }
  const offered = offeredMechanisms(connection.lastServerResponse || '');
  const choice = chooseMechanism(authMethods, offered, { oauth2: oauth2Tokens !== undefined });
  if (choice.kind === 'none-allowed') {
    throw smartHostError(
      'EAUTH',
      oauth2Tokens === undefined
        ? `Smart host offers ${offered.join(' ') || 'no mechanism'}, none of SMART_HOST_AUTH_METHODS`
        : `Smart host offers ${offered.join(' ') || 'no mechanism'}, not XOAUTH2 (OAuth2 is configured)`,
    );
  }
  const step = (start: (done: (error?: Error) => void) => void) =>
    phase<undefined>(connection, (done) => {
      start((error) => {
        done(error, undefined);
      });
    });
  if (oauth2Tokens !== undefined) {
    await loginWithXOAuth2(connection, user, oauth2Tokens, step);
    return;
  }
  await step((done) => {
    connection.login(
      { user, pass: password, ...(choice.mechanism ? { method: choice.mechanism } : {}) },
      (error?: Error | null) => {
        done(error ?? undefined);
      },
    );
  });
}

function transmit(
  connection: SMTPConnection,
  envelope: SmartHostEnvelope,
  body: MessageBody,
): Promise<SMTPConnectionSendInfo> {
  return phase<SMTPConnectionSendInfo>(connection, (done) => {
    connection.send(
      {
        from: envelope.from === '' ? false : envelope.from,
        to: [...envelope.to],
        size: envelope.size,
        use8BitMime: envelope.use8BitMime,
      },
      // One chunk goes as is; several are streamed, never joined into one buffer.
      isChunkList(body) && body.length === 1 && body[0] ? body[0] : Readable.from(body),
      (error, info) => {
        if (error) done(error);
        else done(undefined, info);
      },
    );
  });
}

function isChunkList(body: MessageBody): body is readonly Buffer[] {
  return Array.isArray(body);
}

/** All of a body's chunks in memory: for what must see the whole message (DKIM signing). */
export async function readWholeBody(body: MessageBody): Promise<readonly Buffer[]> {
  if (isChunkList(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks;
}

/**
 * Runs one step of the session. SMTPConnection reports a failure during
 * connect or login only as an 'error' event (their callbacks never fire), and
 * a dropped connection only as 'end': both settle the step here.
 */
export function phase<T>(
  connection: SMTPConnection,
  start: (done: (error?: Error, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const done = (error?: Error, value?: T): void => {
      if (settled) return;
      settled = true;
      connection.off('error', onError);
      connection.off('end', onEnd);
      if (error) reject(error);
      else resolve(value as T);
    };
    const onError = (error: Error): void => {
      done(error);
    };
    const onEnd = (): void => {
      done(smartHostError('ECONNECTION', 'Connection closed by the smart host'));
    };
    connection.once('error', onError);
    connection.once('end', onEnd);
    start(done);
  });
}

function toResult(info: SMTPConnectionSendInfo): SmartHostSendResult {
  const errors = info.rejectedErrors ?? [];
  return {
    accepted: info.accepted,
    rejected: info.rejected.map((recipient) => ({
      recipient,
      error:
        errors.find((error) => error.recipient === recipient) ??
        smartHostError('EENVELOPE', `Recipient ${recipient} rejected`),
    })),
    response: info.response,
  };
}

function isStaleConnection(error: unknown): boolean {
  const shaped = error as SmartHostError;
  return (
    (shaped.code === 'ECONNECTION' || shaped.code === 'ESOCKET') &&
    (shaped.command === undefined || shaped.command === 'API' || shaped.command === 'MAIL FROM')
  );
}

/** Marks where an error happened; nodemailer's `command` cannot tell (a socket error mid-DATA says CONN). */
function atStage(error: unknown, stage: 'session' | 'transaction'): unknown {
  if (error instanceof Error) (error as SmartHostError).stage = stage;
  return error;
}

function smartHostError(code: string, message: string): SmartHostError {
  return Object.assign(new Error(message), { code });
}
