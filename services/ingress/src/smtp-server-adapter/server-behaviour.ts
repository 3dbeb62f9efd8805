import type net from 'node:net';
import type { SMTPServerSession } from 'smtp-server';

// What ingress asks of smtp-server beyond its options and hooks, in our words.
// Only this folder knows which library internals carry it out (docs/adr/004);
// test/smtp-server-contract.int.test.ts pins them at the locked version.

/** One client connection as our code sees it. */
export interface ClientConnection {
  readonly id: string;
  readonly remoteAddress: string;
  /** The session object the hooks receive. */
  readonly session: SMTPServerSession;
  /** From MAIL FROM until that transaction ends (its DATA included). */
  readonly inTransaction: boolean;
  /** The connection is being closed or is closed: nothing more reaches the client. */
  readonly closing: boolean;
  /**
   * The client waits for us: a command handler or hook has not answered yet,
   * or bytes it sent wait to be parsed (a slow onData stream holds them back).
   */
  readonly serverIsBehind: boolean;
  /**
   * Writes `code text` exactly as given: no enhanced code added, no watcher
   * asked. A 421 also closes the connection.
   */
  sendReply(code: number, text: string): void;
}

/** A reply about to be written, smtp-server's own or a hook's refusal alike. */
export interface OutgoingReply {
  readonly code: number;
  /** Several lines for a multi-line reply (EHLO). */
  readonly text: string | readonly string[] | null | undefined;
  /** smtp-server's own 421 after too many unrecognized commands. */
  readonly unrecognizedCommandLimit: boolean;
}

/** What one connection tells its watcher (guarded-connection.ts). */
export interface ConnectionWatcher {
  /** Each reply before it is written; a reply returned is written instead, as it is. */
  replacingReply(
    reply: OutgoingReply,
  ): { readonly code: number; readonly text: string } | undefined;
  /** Bytes the parser takes in command mode (a command line ends at LF). */
  commandBytes(chunk: Buffer): void;
  /** DATA was answered with 354: message bytes follow. */
  dataStarted(): void;
  dataBytes(count: number): void;
  /** The final dot arrived. */
  dataEnded(): void;
  /** STARTTLS was answered: the handshake is owed. */
  tlsHandshakeStarted(): void;
  /** The TLS session is up and onSecure accepted it. */
  tlsHandshakeEnded(): void;
  /** The connection is closing or closed; called more than once. */
  closed(): void;
}

/** A HELO or EHLO command before smtp-server answers it (helo-check.ts). */
export interface HeloCommand {
  /** The line as the client sent it, without its line ending: `EHLO printer.lan`. */
  readonly line: string;
  readonly session: SMTPServerSession;
  /**
   * smtp-server answers it as usual. Until this or `refuse` is called no
   * further command is read, and the idle timeout waits as for a hook. Neither
   * throws: reading commands resumes whatever happens.
   */
  proceed(): void;
  /** Answers with this reply instead, as a hook's refusal is answered (a 421 also closes). */
  refuse(code: number, text: string): void;
}

/** An accepted socket before its SMTP session starts. */
export interface PendingSocket {
  readonly socket: net.Socket;
  /** An implicit-TLS handshake comes first (the SMTPS listener). */
  readonly tlsHandshake: boolean;
  /**
   * smtp-server's own admission: its maxClients over every socket still
   * without a session, and its idle timer. Returns what ends that (called by
   * smtp-server when the session starts), or false: refused, socket destroyed.
   */
  admitByLibrary(): (() => void) | false;
  /** Stops smtp-server's idle timer for this socket (a deadline of ours replaces it). */
  stopLibraryIdleTimer(): void;
  /**
   * The socket to destroy: the TLS socket on top of it once the handshake has
   * begun. Tearing a TLS wrap down from below mid-handshake crashes Node.
   */
  topmost(): net.Socket;
}

/** How a PROXY header read (guarded-server.ts) ends. */
export interface ProxyOutcome {
  /** The id the session will have, known before it starts. */
  readonly sessionId: string;
  /** Starts the session; without a client it keeps the peer's own address. */
  start(client: { readonly address: string; readonly port: number } | undefined): void;
  /** No session for this socket (which is destroyed or being destroyed). */
  drop(reason: string): void;
}

/** Everything that happens to a socket before its session (guarded-server.ts). */
export interface PreSessionGuard {
  /** Each accepted socket: what to call when its session starts, or false (refused, destroyed). */
  accept(pending: PendingSocket): (() => void) | false;
  /**
   * Set: every peer must send a PROXY header, read here before any TLS
   * handshake instead of by smtp-server (whose useProxy reads v1 only).
   */
  readonly readProxyHeader?: ((socket: net.Socket, outcome: ProxyOutcome) => void) | undefined;
}

/** What the server does besides smtp-server's own behaviour. */
export interface ServerBehaviour {
  /**
   * A reply text that already starts with its enhanced status code is written
   * as it is; smtp-server would put one derived from the basic code before it.
   */
  readonly hasOwnEnhancedCode: (text: string) => boolean;
  /** Called once per connection, before it reads anything. */
  readonly watchConnection?: ((connection: ClientConnection) => ConnectionWatcher) | undefined;
  /** smtp-server has no HELO/EHLO hook; this is one. */
  readonly onHelo?: ((command: HeloCommand) => void) | undefined;
  readonly preSession?: PreSessionGuard | undefined;
  /**
   * How long a connection waits before its greeting (docs/adr/013); a client
   * that talks first gets smtp-server's own `421 ... You talk too soon`. 0 or
   * unset: greeted at once (smtp-server's own is a fixed 100 ms).
   */
  readonly greetingDelayMs?: number | undefined;
  /**
   * The session is over: QUIT answered, a 421 sent, or the socket closed,
   * whichever comes first; may be called more than once. A client that quits
   * and reconnects at once must not find its old session still counted, and
   * smtp-server's own onClose waits for the socket to close.
   */
  readonly onSessionEnd?: ((session: SMTPServerSession) => void) | undefined;
}
