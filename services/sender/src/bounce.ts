import { randomBytes } from 'node:crypto';
import { formatReply, type FailureCategory } from '@smtp-relay/smtp-errors';
import type { RecipientFailure } from './deliver.ts';

// RFC 3464 delivery status notification: multipart/report with a text part
// for people, a message/delivery-status part for programs, and the original
// headers (RFC 6522 text/rfc822-headers), so the sender can tell which message
// failed without the relay sending the whole body back.
//
// Remote-MTA and Diagnostic-Code (RFC 3464 §2.3.5, §2.3.6) report what the
// smart host answered. When it answered nothing (the reply is one the
// classification made up, e.g. for a message over the SIZE it advertised),
// both are left out: the Status and the text for people say what we decided.

export interface BounceInput {
  /** SMTP_HOSTNAME: the reporting MTA */
  readonly reportingMta: string;
  readonly postmaster: string;
  readonly smartHost: string;
  /** The envelope sender the report goes to. */
  readonly recipient: string;
  readonly originalMessageId: string;
  readonly arrivalDate: Date;
  readonly bounced: readonly RecipientFailure[];
  /** Header section of the bounced message (up to the blank line). */
  readonly originalHeaders: Buffer;
  /** Human-readable text; placeholders {hostname} {postmaster} {sender} {recipients} */
  readonly template: string;
  readonly date: Date;
  readonly bounceMessageId: string;
}

export const BUILT_IN_BOUNCE_TEMPLATE = `This is the mail system at host {hostname}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. The headers of your
message are attached below.

For further assistance, please send mail to {postmaster}.
If you do so, please include this problem report.

{recipients}
`;

/** The status a recipient is reported with. */
export function bounceStatus(bounced: RecipientFailure): string {
  if (bounced.expired) return '5.4.7';
  const enhanced = bounced.failure.reply.enhanced;
  return enhanced.startsWith('5.') ? enhanced : `5.${enhanced.slice(2)}`;
}

/**
 * Categories whose reply delivery-classification.ts makes up because the smart
 * host gave none: the connection failed or timed out, nothing matched, or the
 * SMTP client refused the message itself before MAIL (over the advertised SIZE).
 */
const NO_SMART_HOST_REPLY: ReadonlySet<FailureCategory> = new Set([
  'network',
  'timeout',
  'unknown',
  'message-too-big',
]);

/** True when the failure carries a reply the smart host really gave. */
function smartHostReplied(bounced: RecipientFailure): boolean {
  return !NO_SMART_HOST_REPLY.has(bounced.failure.category);
}

/** One line for people: who said what, and whether we gave up on our own. */
function explanation(bounced: RecipientFailure, smartHost: string): string {
  const { reply } = bounced.failure;
  const cause = smartHostReplied(bounced)
    ? `host ${smartHost} said: ${formatReply(reply)}`
    : `${reply.enhanced} ${reply.text}`;
  return bounced.expired ? `delivery time expired (5.4.7), last attempt: ${cause}` : cause;
}

function formatDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** A header value from untrusted text: one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(
    /\{(hostname|postmaster|sender|recipients)\}/g,
    (_m, key: string) => values[key] ?? '',
  );
}

export function buildBounceMessage(input: BounceInput): Buffer {
  const boundary = `=_smtp-relay_${randomBytes(12).toString('hex')}`;
  const recipientLines = input.bounced
    .map((b) => `<${oneLine(b.recipient)}>: ${oneLine(explanation(b, input.smartHost))}`)
    .join('\n\n');
  const human = fillTemplate(input.template, {
    hostname: input.reportingMta,
    postmaster: input.postmaster,
    sender: oneLine(input.recipient),
    recipients: recipientLines,
  });
  const perMessage = [
    `Reporting-MTA: dns; ${input.reportingMta}`,
    `X-Smtp-Relay-Queue-ID: ${input.originalMessageId}`,
    `Arrival-Date: ${formatDate(input.arrivalDate)}`,
  ].join('\r\n');
  const perRecipient = input.bounced.map((b) => {
    const lines = [
      `Final-Recipient: rfc822; ${oneLine(b.recipient)}`,
      'Action: failed',
      `Status: ${bounceStatus(b)}`,
    ];
    // Expired too: the last reply is the smart host's own words, our 5.4.7 is in Status.
    if (smartHostReplied(b)) {
      lines.push(
        `Remote-MTA: dns; ${input.smartHost}`,
        `Diagnostic-Code: smtp; ${oneLine(formatReply(b.failure.reply))}`,
      );
    }
    return lines.join('\r\n');
  });
  const head = [
    `From: Mail Delivery System <${input.postmaster}>`,
    `To: <${oneLine(input.recipient).replace(/[<>]/g, '')}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${formatDate(input.date)}`,
    `Message-ID: <${input.bounceMessageId}@${input.reportingMta}>`,
    // RFC 3834: no autoresponder may answer this.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ].join('\r\n');
  const text = [
    head,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    human.replace(/\r?\n/g, '\r\n'),
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    perMessage,
    '',
    perRecipient.join('\r\n\r\n'),
    '',
    `--${boundary}`,
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
  ].join('\r\n');
  // latin1 maps bytes to characters one to one: the quoted headers keep any
  // 8-bit bytes exactly as the sender sent them; only line endings change.
  const headers = input.originalHeaders
    .toString('latin1')
    .replace(/\r?\n/g, '\r\n')
    .replace(/(\r\n)*$/, '\r\n');
  return Buffer.concat([
    Buffer.from(`${text}\r\n`, 'utf8'),
    Buffer.from(headers, 'latin1'),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
  ]);
}

/** The header section of a message: everything before the first empty line, capped. */
export function headerSection(body: Buffer, maxBytes: number): Buffer {
  const head = body.subarray(0, maxBytes + 4).toString('latin1');
  if (/^\r?\n/.test(head)) return body.subarray(0, 0);
  const end = /\r?\n\r?\n/.exec(head)?.index ?? body.length;
  return body.subarray(0, Math.min(end, maxBytes));
}
