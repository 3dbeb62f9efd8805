/** A reply the fake smart host gives; write the enhanced code into `message` yourself. */
export interface ScriptedReply {
  code: number;
  message: string;
}

export type FakeSmartHostTlsMode = 'implicit' | 'starttls' | 'none';

export type FakeSmartHostAuthMethod = 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2';

export interface FakeSmartHostAuth {
  /** Credentials for PLAIN, LOGIN and CRAM-MD5; without them those mechanisms always fail. */
  username?: string;
  password?: string;
  /**
   * Checks an `AUTH XOAUTH2` bearer token for the mailbox `user`, typically
   * `oauth2.validateAccessToken.bind(oauth2)` of a fake OAuth2 server. Required for XOAUTH2.
   */
  xoauth2?: (user: string, accessToken: string) => boolean;
  /** Mechanisms advertised and accepted (default PLAIN, LOGIN, CRAM-MD5, plus XOAUTH2 with `xoauth2`). */
  methods?: FakeSmartHostAuthMethod[];
  /** MAIL without AUTH gets 530 (default true). */
  required?: boolean;
}

/** ESMTP parameters of one MAIL FROM command (RFC 5321 §4.1.2 Mail-parameters). */
export type MailParams = Readonly<Record<string, string | true>>;

/** A message the fake smart host accepted with 250. */
export interface ReceivedMessage {
  /** The id in the `250 2.0.0 Ok: queued as <id>` reply. */
  queueId: string;
  /** '' for the null sender `MAIL FROM:<>`. */
  mailFrom: string;
  /**
   * The MAIL FROM parameters, keys upper case, a flag without value as `true`:
   * `MAIL FROM:<a@b> BODY=8BITMIME SMTPUTF8` gives `{ BODY: '8BITMIME', SMTPUTF8: true }`.
   */
  mailParams: MailParams;
  rcptTo: string[];
  /** Bytes after dot-unstuffing, exactly as smtp-server's onData stream gives them. */
  data: Buffer;
  ehloName: string;
  secure: boolean;
  authMethod: string | undefined;
  authUser: string | undefined;
  receivedAt: Date;
  sessionId: string;
}

/**
 * Scripted behaviour; each hook returns the reply to give, or undefined for the default
 * (accept, or the built-in recipient convention). Only replies with code >= 400 are
 * refusals; a 2xx from `data` replaces the success text.
 */
export interface FakeSmartHostScript {
  /** Refuse the connection with this reply instead of the 220 greeting (e.g. 421). */
  greeting?: ScriptedReply;
  auth?: (username: string, method: string) => ScriptedReply | undefined;
  mailFrom?: (address: string) => ScriptedReply | undefined;
  rcptTo?: (address: string) => ScriptedReply | undefined;
  data?: (message: ReceivedMessage) => ScriptedReply | undefined;
}

interface EventBase {
  sessionId: string;
  at: Date;
}

/** What happened on the wire, in order, including refused attempts. */
export type FakeSmartHostEvent = EventBase &
  (
    | { type: 'connect'; remoteAddress: string; reply: ScriptedReply | undefined }
    | { type: 'tls'; protocol: string | undefined }
    /**
     * A refused XOAUTH2 token records the 334 error challenge as its reply: smtp-server
     * answers the client's empty line after it with 535.
     */
    | { type: 'auth'; method: string; username: string; success: boolean; reply: ScriptedReply }
    | { type: 'mail-from'; address: string; params: MailParams; reply: ScriptedReply }
    | { type: 'rcpt-to'; address: string; reply: ScriptedReply }
    /** The whole DATA arrived; with setSlow its reply is still to come. */
    | { type: 'data-received'; size: number }
    | { type: 'data'; size: number; reply: ScriptedReply }
    /** The client went away in the middle of the DATA transfer. */
    | { type: 'data-aborted'; size: number }
    | { type: 'close'; ehloName: string | undefined }
    /** A connection-level error smtp-server reported (TLS handshake failure, reset). */
    | { type: 'error'; message: string }
  );

export type FakeSmartHostEventType = FakeSmartHostEvent['type'];

/**
 * POP before SMTP: MAIL is refused unless the client's address logged in to `server`
 * (a fake POP3 server, or anything that lists logins) within `withinMs`.
 */
export interface FakeSmartHostPop3Requirement {
  server: { readonly logins: readonly { remoteAddress: string; at: Date }[] };
  withinMs: number;
  /** Default `550 5.7.1 Relaying denied: log in to POP3 first`. */
  reply?: ScriptedReply;
}

export interface FakeSmartHostOptions {
  tls: FakeSmartHostTlsMode;
  /** Required for implicit and starttls: never smtp-server's built-in (public) key. */
  certificate?: { key: string; cert: string };
  auth?: FakeSmartHostAuth;
  /** Allow AUTH before TLS (required for auth together with tls: 'none'). */
  allowInsecureAuth?: boolean;
  script?: FakeSmartHostScript;
  /** Delay the reply to the end of DATA by this many ms. */
  slowMs?: number;
  /** Apply slowMs to greeting, AUTH, MAIL and RCPT replies as well (EHLO has no hook). */
  slowEveryCommand?: boolean;
  /** Advertised SIZE limit (default 50 MiB). */
  size?: number;
  /** Hostname in the greeting and EHLO reply (default smart-host.test). */
  name?: string;
  /** Listen on this port instead of a free one. */
  port?: number;
  /** Refuse MAIL from clients without a recent POP3 login (checked before the script). */
  requirePop3Login?: FakeSmartHostPop3Requirement;
  /**
   * Connections open at once before smtp-server greets the next with its own
   * `421 <name> Too many connected clients, try again in a moment` (recorded as
   * a close without a connect event). Default: no cap.
   */
  maxClients?: number;
}
