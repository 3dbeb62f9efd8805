export type FakePop3TlsMode = 'implicit' | 'starttls' | 'none';

export interface FakePop3ServerOptions {
  /** implicit: TLS from the first byte (POP3S); starttls: STLS (RFC 2595); none: plain text. */
  tls: FakePop3TlsMode;
  /** Required for implicit and starttls. */
  certificate?: { key: string; cert: string };
  /** User name → the password USER/PASS accepts. */
  users: Readonly<Record<string, string>>;
  /** Listen on this port instead of a free one. */
  port?: number;
}

/** A successful USER/PASS: what a POP-before-SMTP server remembers of it. */
export interface FakePop3Login {
  user: string;
  /** The client's address, without an IPv4-mapped `::ffff:` prefix. */
  remoteAddress: string;
  /** TLS (implicit, or after STLS) when PASS was given. */
  secure: boolean;
  at: Date;
  sessionId: string;
}

/** Every PASS, accepted or refused. */
export interface FakePop3Attempt extends FakePop3Login {
  success: boolean;
  /** The status line the server answered PASS with. */
  reply: string;
}

/** A command line as received; the argument of PASS is recorded as `****`. */
export interface FakePop3Command {
  line: string;
  secure: boolean;
  at: Date;
  sessionId: string;
}

export interface FakePop3Server {
  readonly port: number;
  /** Successful logins, oldest first; a live array (reset() empties it in place). */
  readonly logins: readonly FakePop3Login[];
  readonly attempts: readonly FakePop3Attempt[];
  readonly commands: readonly FakePop3Command[];
  /** False between stop() and start(). */
  readonly listening: boolean;
  /** Replaces the accepted users and passwords; applies to the next PASS. */
  setUsers(users: Readonly<Record<string, string>>): void;
  /** Resolves once at least `count` logins succeeded. */
  waitForLogins(count: number, timeoutMs?: number): Promise<FakePop3Login[]>;
  /** Resolves once at least `count` PASS commands were answered. */
  waitForAttempts(count: number, timeoutMs?: number): Promise<FakePop3Attempt[]>;
  /** Recent commands and attempts, for assertion messages. */
  describe(): string;
  /** Clears logins, attempts and commands. */
  reset(): void;
  /** Outage: stops listening and drops open connections; the port is kept for start(). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}
