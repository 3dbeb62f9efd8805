import { randomBytes } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { SMTPServerAddress, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { PendingReplies } from './pending-replies.ts';
import type { SmartHostRecorder } from './recorder.ts';
import { decideAuth, defaultAuthMethods } from './auth-decision.ts';
import { pop3Refusal } from './pop3-requirement.ts';
import {
  ACCEPTED,
  conventionalRecipientReply,
  isRefusal,
  queuedReply,
  toSmtpServerError,
} from './replies.ts';
import type {
  FakeSmartHostOptions,
  FakeSmartHostScript,
  MailParams,
  ReceivedMessage,
} from './types.ts';

/** The parts of the fake smart host that tests change while it runs. */
export interface SmartHostState {
  script: FakeSmartHostScript;
  slowMs: number;
  slowEveryCommand: boolean;
}

/** What the fake host stores in `session.user` after a successful AUTH. */
interface AuthenticatedUser {
  username: string;
  method: string;
}

function authenticatedUser(session: SMTPServerSession): AuthenticatedUser | undefined {
  const user: unknown = session.user;
  return typeof user === 'object' && user !== null ? (user as AuthenticatedUser) : undefined;
}

// smtp-server types hostNameAppearsAs as a string but it is false before EHLO/HELO.
function ehloName(session: SMTPServerSession): string {
  const name: unknown = session.hostNameAppearsAs;
  return typeof name === 'string' ? name : '';
}

// smtp-server gives `false`, not an empty object, for a command without parameters.
function mailParams(address: SMTPServerAddress | false): MailParams {
  return address && address.args ? { ...address.args } : {};
}

function tlsModeOptions(options: FakeSmartHostOptions): SMTPServerOptions {
  if (options.tls === 'none') return { secure: false, disabledCommands: ['STARTTLS'] };
  if (options.certificate === undefined) {
    // smtp-server would fall back to its built-in certificate, whose key is public.
    throw new Error(`Fake smart host: tls '${options.tls}' needs options.certificate`);
  }
  const { key, cert } = options.certificate;
  return { secure: options.tls === 'implicit', key, cert, disabledCommands: [] };
}

function authOptions(options: FakeSmartHostOptions): SMTPServerOptions {
  const { auth } = options;
  // Disabling AUTH also lifts smtp-server's 530 gate: anyone may send.
  if (auth === undefined) return { disabledCommands: ['AUTH'] };
  if (options.tls === 'none' && options.allowInsecureAuth !== true) {
    // With STARTTLS disabled smtp-server would accept AUTH in cleartext silently.
    throw new Error("Fake smart host: auth with tls 'none' needs allowInsecureAuth: true");
  }
  const methods = auth.methods ?? defaultAuthMethods(auth);
  if (methods.includes('XOAUTH2') && auth.xoauth2 === undefined) {
    // Without a validator every token would be refused: a test set-up mistake.
    throw new Error('Fake smart host: XOAUTH2 needs auth.xoauth2 (a token validator)');
  }
  return {
    authMethods: methods,
    authOptional: auth.required === false,
    allowInsecureAuth: options.allowInsecureAuth === true,
  };
}

/** smtp-server options whose hooks follow `state` and write to `recorder`. */
export function buildServerOptions(
  options: FakeSmartHostOptions,
  state: SmartHostState,
  recorder: SmartHostRecorder,
  pending: PendingReplies,
): SMTPServerOptions {
  const tlsMode = tlsModeOptions(options);
  const authMode = authOptions(options);
  const commandDelay = (): number => (state.slowEveryCommand ? state.slowMs : 0);
  const event = (session: SMTPServerSession) => ({ sessionId: session.id, at: new Date() });

  return {
    ...tlsMode,
    ...authMode,
    disabledCommands: [...(tlsMode.disabledCommands ?? []), ...(authMode.disabledCommands ?? [])],
    name: options.name ?? 'smart-host.test',
    size: options.size ?? 50 * 1024 * 1024,
    logger: false,
    disableReverseLookup: true,
    // Replies carry the enhanced code written by the script; smtp-server adds none.
    hideENHANCEDSTATUSCODES: true,
    maxAllowedUnauthenticatedCommands: false,
    ...(options.maxClients === undefined ? {} : { maxClients: options.maxClients }),

    onConnect(session, callback) {
      const { greeting } = state.script;
      const refusal = greeting !== undefined && isRefusal(greeting) ? greeting : undefined;
      pending.after(commandDelay(), () => {
        recorder.addEvent({
          type: 'connect',
          remoteAddress: session.remoteAddress,
          reply: refusal,
          ...event(session),
        });
        callback(refusal ? toSmtpServerError(refusal) : null);
      });
    },

    onSecure(socket, session, callback) {
      const protocol =
        socket instanceof TLSSocket ? (socket.getProtocol() ?? undefined) : undefined;
      recorder.addEvent({ type: 'tls', protocol, ...event(session) });
      callback();
    },

    onAuth(auth, session, callback) {
      const username = auth.username ?? '';
      const decision = decideAuth(auth, options.auth, state.script);
      pending.after(commandDelay(), () => {
        recorder.addEvent({
          type: 'auth',
          method: auth.method,
          username,
          success: decision.kind === 'accept',
          reply: decision.reply,
          ...event(session),
        });
        switch (decision.kind) {
          case 'accept': {
            const user: AuthenticatedUser = { username, method: auth.method };
            callback(null, { user });
            return;
          }
          case 'challenge':
            // smtp-server sends `data` as the 334 challenge and 535 after the empty reply.
            callback(null, { data: decision.data });
            return;
          case 'refuse':
            callback(toSmtpServerError(decision.reply));
            return;
        }
      });
    },

    onMailFrom(address, session, callback) {
      const reply =
        pop3Refusal(options.requirePop3Login, session.remoteAddress) ??
        state.script.mailFrom?.(address.address) ??
        ACCEPTED;
      pending.after(commandDelay(), () => {
        recorder.addEvent({
          type: 'mail-from',
          address: address.address,
          params: mailParams(address),
          reply,
          ...event(session),
        });
        callback(isRefusal(reply) ? toSmtpServerError(reply) : null);
      });
    },

    onRcptTo(address, session, callback) {
      const reply =
        state.script.rcptTo?.(address.address) ??
        conventionalRecipientReply(address.address) ??
        ACCEPTED;
      pending.after(commandDelay(), () => {
        recorder.addEvent({ type: 'rcpt-to', address: address.address, reply, ...event(session) });
        callback(isRefusal(reply) ? toSmtpServerError(reply) : null);
      });
    },

    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A client that leaves mid-DATA destroys the stream: 'error', never 'end'.
      stream.once('error', (error) => {
        recorder.addEvent({ type: 'data-aborted', size: stream.byteLength, ...event(session) });
        callback(error);
      });
      stream.once('end', () => {
        const user = authenticatedUser(session);
        const { mailFrom, rcptTo } = session.envelope;
        const message: ReceivedMessage = {
          queueId: randomBytes(6).toString('hex').toUpperCase(),
          mailFrom: mailFrom ? mailFrom.address : '',
          mailParams: mailParams(mailFrom),
          rcptTo: rcptTo.map((recipient) => recipient.address),
          data: Buffer.concat(chunks),
          ehloName: ehloName(session),
          secure: session.secure,
          authMethod: user?.method,
          authUser: user?.username,
          receivedAt: new Date(),
          sessionId: session.id,
        };
        recorder.addEvent({ type: 'data-received', size: message.data.length, ...event(session) });
        const reply = state.script.data?.(message) ?? queuedReply(message.queueId);
        // Recorded when the reply is due: a client that hangs up while a slow reply is
        // pending still gets its message delivered, as with a real server.
        pending.after(state.slowMs, () => {
          recorder.addEvent({ type: 'data', size: message.data.length, reply, ...event(session) });
          if (isRefusal(reply)) {
            callback(toSmtpServerError(reply));
            return;
          }
          recorder.addMessage({ ...message, receivedAt: new Date() });
          callback(null, reply.message);
        });
      });
    },

    onClose(session) {
      recorder.addEvent({
        type: 'close',
        ehloName: ehloName(session) || undefined,
        ...event(session),
      });
    },
  };
}
