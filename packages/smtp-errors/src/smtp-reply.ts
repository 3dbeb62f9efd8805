// An SMTP reply as a value: policy code returns these, adapters put them on the
// wire. The enhanced status code (RFC 3463) is part of the value because the
// basic code alone is ambiguous: 550 5.7.1 (policy) and 550 5.1.1 (no such user)
// call for different reactions from a client.

export interface SmtpReply {
  readonly code: number;
  /** RFC 3463 enhanced status code, e.g. "5.7.1" */
  readonly enhanced: string;
  readonly text: string;
}

export type ReplyClass = '2xx' | '3xx' | '4xx' | '5xx';

export function smtpReply(code: number, enhanced: string, text: string): SmtpReply {
  return Object.freeze({ code, enhanced, text });
}

/** "550 5.7.1 Relaying denied" */
export function formatReply(reply: SmtpReply): string {
  return `${reply.code} ${reply.enhanced} ${reply.text}`;
}

export function replyClass(code: number): ReplyClass {
  if (code >= 500) return '5xx';
  if (code >= 400) return '4xx';
  if (code >= 300) return '3xx';
  return '2xx';
}

const REPLY_LINE = /^([2-5]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/s;

/**
 * Parses the last line of a server reply such as "451 4.7.1 Try again later".
 * Replies without an enhanced code get the generic X.0.0 of their class.
 */
export function parseReply(line: string): SmtpReply | undefined {
  const last = line.trim().split(/\r?\n/).pop() ?? '';
  const match = REPLY_LINE.exec(last);
  if (!match?.[1]) return undefined;
  const code = Number(match[1]);
  const enhanced = match[2] ?? `${String(code)[0] ?? '4'}.0.0`;
  return smtpReply(code, enhanced, (match[3] ?? '').trim());
}
