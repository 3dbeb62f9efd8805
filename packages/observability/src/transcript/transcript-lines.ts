// The text of a session transcript (README "Session transcripts"): one line per
// command and reply, `<ISO 8601 UTC timestamp> <direction> <line>`, with
// credentials and message content kept out. Pure: the writer and the two
// protocol adapters (smtp-server in ingress, nodemailer in the smart-host
// client) share it.

/**
 * `<` what the peer sent, `>` what we sent: the only two a file may hold, so a
 * reader can split every line the same way. What the writer itself has to say
 * (lines it dropped, a disk error) goes to the service's log instead.
 */
export type TranscriptDirection = '<' | '>';

/** What every AUTH payload becomes. */
export const REDACTED = '****';

// A peer controls its lines: a bare CR or LF (or ESC) inside one would forge
// lines in the file or drive an operator's terminal. Tab stays.
// eslint-disable-next-line no-control-regex -- finding them is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** One transcript line, newline included. */
export function formatTranscriptLine(
  at: Date,
  direction: TranscriptDirection,
  text: string,
): string {
  return `${at.toISOString()} ${direction} ${escapeControlCharacters(text)}\n`;
}

export function escapeControlCharacters(text: string): string {
  return text.replace(
    CONTROL_CHARACTERS,
    (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Written instead of everything between DATA's 354 and the final dot. */
export function messageContentText(bytes: number): string {
  return `[message content, ${bytes} bytes]`;
}

/** A reply as lines: smtp-server joins a multi-line reply with CRLF, nodemailer with LF. */
export function replyLines(reply: string): string[] {
  return reply.replace(/\r?\n$/, '').split(/\r?\n/);
}

/**
 * Follows one SMTP session from the client's side of the wire and masks the
 * AUTH exchange: the AUTH command becomes `AUTH <mechanism> ****` whatever its
 * initial response (PLAIN blob, LOGIN user, XOAUTH2 token), and every line the
 * client sends until the server answers with something other than 334 (the
 * LOGIN user and password lines, a CRAM-MD5 answer, the empty line after an
 * XOAUTH2 error challenge, a `*` cancel) becomes `****`. The server's 334
 * challenges carry no secret and are kept.
 */
export interface AuthRedaction {
  /** A line the client sent, as it may be written. */
  clientLine(line: string): string;
  /** A reply line the server sent (written as is). */
  serverLine(line: string): void;
}

// Registered SASL mechanisms only: whatever else follows AUTH may be a secret
// sent by a confused client (base64 looks like a mechanism name).
const MECHANISM =
  /^(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5|DIGEST-MD5|SCRAM-SHA-(?:1|256)(?:-PLUS)?|NTLM|GSSAPI|EXTERNAL|ANONYMOUS)$/i;
const AUTH_COMMAND = /^\s*AUTH(?:\s+(\S+))?(?:\s|$)/i;
const CHALLENGE = /^334(?:[ -]|$)/;

export function createAuthRedaction(): AuthRedaction {
  let inExchange = false;
  return {
    clientLine(line) {
      if (inExchange) return REDACTED;
      const match = AUTH_COMMAND.exec(line);
      if (!match) return line;
      inExchange = true;
      const mechanism = match[1];
      return mechanism !== undefined && MECHANISM.test(mechanism)
        ? `AUTH ${mechanism.toUpperCase()} ${REDACTED}`
        : `AUTH ${REDACTED}`;
    },
    serverLine(line) {
      if (inExchange && !CHALLENGE.test(line)) inExchange = false;
    },
  };
}
