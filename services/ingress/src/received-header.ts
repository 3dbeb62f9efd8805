// The one trace header ingress adds (RFC 5321 §4.4), in Postfix's layout so
// that mail administrators read it without surprises:
//
//   Received: from printer.lan (192.0.2.7 [192.0.2.7])
//   	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)
//   	by relay.example.com (smtp-relay) with ESMTPSA id 01JD...
//   	for <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000

export interface ReceivedHeaderInput {
  /** EHLO/HELO argument as the client gave it */
  readonly helo: string;
  readonly clientAddress: string;
  readonly hostname: string;
  /** SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA (RFC 3848), as smtp-server's transmissionType */
  readonly protocol: string;
  /** MAIL FROM carried SMTPUTF8 (RFC 6531): the with-type says so. */
  readonly smtpUtf8: boolean;
  readonly messageId: string;
  readonly tls?: { readonly version: string; readonly cipher: string } | undefined;
  /** Only a single recipient is named: listing several would disclose Bcc recipients to each other. */
  readonly recipients: readonly string[];
  readonly date: Date;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (value: number): string => String(value).padStart(2, '0');

/** RFC 5322 date-time in UTC with a numeric zone. */
export function formatRfc5322Date(date: Date): string {
  return (
    `${WEEKDAYS[date.getUTCDay()] ?? 'Sun'}, ${String(date.getUTCDate())} ${MONTHS[date.getUTCMonth()] ?? 'Jan'} ` +
    `${String(date.getUTCFullYear())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Client-supplied text goes into a header: keep it to one printable line. */
function headerSafe(text: string, maxLength = 255): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f()<>;\\"]/g, '').slice(0, maxLength) || 'unknown';
}

export function displayAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

// RFC 6531 §3.7.3 gives mail received with SMTPUTF8 with-types of its own; the
// RFC 3848 ones would hide from the trace that the message needed it. SMTPUTF8
// exists only after EHLO, so plain SMTP (HELO) has no UTF8 name and stays as it is.
const UTF8_WITH_TYPES: Readonly<Record<string, string>> = {
  ESMTP: 'UTF8SMTP',
  ESMTPA: 'UTF8SMTPA',
  ESMTPS: 'UTF8SMTPS',
  ESMTPSA: 'UTF8SMTPSA',
};

/** The `with` clause: the RFC 3848 protocol, or its RFC 6531 name for SMTPUTF8 mail. */
export function withType(protocol: string, smtpUtf8: boolean): string {
  return smtpUtf8 ? (UTF8_WITH_TYPES[protocol] ?? protocol) : protocol;
}

export function buildReceivedHeader(input: ReceivedHeaderInput): Buffer {
  // Ingress does no reverse lookups (disableReverseLookup): the address stands in for the name.
  const address = displayAddress(input.clientAddress);
  let header = `Received: from ${headerSafe(input.helo)} (${address} [${address}])\r\n`;
  if (input.tls) {
    header += `\t(using ${headerSafe(input.tls.version)} with cipher ${headerSafe(input.tls.cipher)})\r\n`;
  }
  const protocol = withType(input.protocol, input.smtpUtf8);
  header += `\tby ${input.hostname} (smtp-relay) with ${protocol} id ${input.messageId}`;
  const only = input.recipients.length === 1 ? input.recipients[0] : undefined;
  header += only === undefined ? ';\r\n\t' : `\r\n\tfor <${headerSafe(only, 512)}>; `;
  header += `${formatRfc5322Date(input.date)}\r\n`;
  return Buffer.from(header, 'utf8');
}
