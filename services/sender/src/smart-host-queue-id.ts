// The smart host's own id of a message, read from its reply to the end of
// DATA, so that an operator can quote it to the provider ("did my scanner's mail
// go out?" ends at the provider's message trace). A table: one row per reply
// format we know, tried in order; a reply no row knows names no id.

interface QueueIdFormat {
  readonly name: string;
  /** The first group is the id. */
  readonly pattern: RegExp;
}

export const QUEUE_ID_FORMATS: readonly QueueIdFormat[] = [
  // Postfix, and every relay built on it: "250 2.0.0 Ok: queued as 4Z7Q1S2kJ8z3"
  { name: 'postfix', pattern: /\bqueued as ([A-Za-z0-9]+)\b/i },
  // Gmail and Google Workspace relay: "250 2.0.0 OK  1733300000 d2e1a72fcca58-7258 - gsmtp"
  { name: 'google', pattern: /\bOK\s+\d+\s+(\S+)\s+-\s+gsmtp\b/i },
  // Microsoft 365 / Exchange: "250 2.0.0 OK <MW4PR0...@MW4PR0...outlook.com> [Hostname=...]"
  // and Exchange Server: "250 2.6.0 <id@host> [InternalId=...] Queued mail for delivery"
  { name: 'exchange', pattern: /^250[ -]2\.\d\.\d\s+(?:OK\s+)?<([^<>\s]+)>/i },
  // Amazon SES: "250 Ok 0100019388b5c8a2-...-000000"
  { name: 'ses', pattern: /^250[ -](?:2\.0\.0\s+)?Ok\s+([0-9a-f]{16}-[0-9a-f-]{20,})\s*$/i },
  // Exim: "250 OK id=1tIqkV-000abc-2x"
  { name: 'exim', pattern: /\bid=([A-Za-z0-9-]+)/ },
  // Sendmail: "250 2.0.0 4B4E1x1A012345 Message accepted for delivery"
  { name: 'sendmail', pattern: /^250[ -]2\.0\.0\s+(\S+)\s+Message accepted for delivery/i },
  // Haraka, SendGrid, Mailgun and others: "250 Great success", "250 Ok: queued as <id>" (above),
  // "250 2.0.0 Message accepted (ref <id>)"... a generic "queued as"/"id" is all they share.
  { name: 'generic', pattern: /\b(?:queue[ -]?id|message[ -]id)[:= ]\s*<?([A-Za-z0-9._@-]+)>?/i },
];

/** The id in `reply`, or null when no known format matches. */
export function smartHostQueueId(reply: string): string | null {
  for (const format of QUEUE_ID_FORMATS) {
    const id = format.pattern.exec(reply)?.[1];
    if (id !== undefined) return id.slice(0, 200);
  }
  return null;
}
