import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';

// Which domain a message is signed for: the domain of its From: header field
// (RFC 5322 §3.6.2), not of the envelope sender, as DMARC aligns on it
// (docs/reference.md "DKIM signing").

// The header section is looked for in this many bytes at most: no real one is
// longer, and a body without a header section is not read whole.
const MAX_HEADER_BYTES = 1024 * 1024;
const END_OF_HEADER = /\r?\n\r?\n/;
const FOLD = /\r?\n(?=[ \t])/g;
const FROM_FIELD = /^from[ \t]*:(.*)$/i;

/**
 * The From: domain as a lowercase A-label; undefined without a From: field, or
 * when its mailboxes (or several From: fields) name more than one domain.
 */
export function fromDomain(message: readonly Buffer[]): string | undefined {
  const domains = new Set<string>();
  for (const line of headerSection(message).replace(FOLD, '').split(/\r?\n/)) {
    const field = FROM_FIELD.exec(line);
    if (!field) continue;
    for (const { address } of addressparser(field[1] ?? '', { flatten: true })) {
      const at = address.lastIndexOf('@');
      const domain = at === -1 ? '' : domainToASCII(address.slice(at + 1).toLowerCase());
      if (domain !== '') domains.add(domain);
    }
  }
  return domains.size === 1 ? [...domains][0] : undefined;
}

function headerSection(message: readonly Buffer[]): string {
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const chunk of message) {
    if (bytes >= MAX_HEADER_BYTES) break;
    parts.push(chunk);
    bytes += chunk.length;
    const text = Buffer.concat(parts).subarray(0, MAX_HEADER_BYTES).toString('utf8');
    // A message that starts with an empty line has no header fields at all.
    if (/^\r?\n/.test(text)) return '';
    const end = END_OF_HEADER.exec(text);
    if (end) return text.slice(0, end.index);
  }
  return Buffer.concat(parts).subarray(0, MAX_HEADER_BYTES).toString('utf8');
}
