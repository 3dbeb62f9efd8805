import { splitHeader } from './header-split.ts';

// REWRITE_FROM (docs/reference.md "Sender address rewriting"): the envelope
// sender and the From: header become one address the smart host lets us send
// as (Microsoft 365 refuses any other with 5.7.60 SendAsDenied); the original
// From: stays readable as X-Original-From: and, unless the message has one,
// as Reply-To:. Only the header section is edited; the body goes out as the
// stored bytes. The job keeps the original sender: bounces go there.

/** What one delivery sends: the envelope sender and the message. */
export interface DeliveryMessage {
  readonly mailFrom: string;
  readonly chunks: readonly Buffer[];
}

/**
 * The sender and message of this delivery. Without `rewriteFrom` (unset) the
 * stored ones. A bounce keeps the null sender `<>` (RFC 5321 4.5.5), so that
 * it can never bounce again, but its From: is rewritten like any other.
 */
export function rewriteForDelivery(
  mailFrom: string,
  chunks: readonly Buffer[],
  rewriteFrom: string | undefined,
): DeliveryMessage {
  if (rewriteFrom === undefined) return { mailFrom, chunks };
  const { header, body } = splitHeader(chunks);
  return {
    mailFrom: mailFrom === '' ? '' : rewriteFrom,
    chunks: [rewriteFromHeader(header, rewriteFrom), ...body],
  };
}

interface Field {
  /** Lower case, without the colon. */
  readonly name: string;
  /** The field as it was, folded lines and line endings included. */
  readonly raw: string;
}

const CRLF = '\r\n';

/**
 * The header section with From: set to `address`, keeping the original's
 * display name (as Postfix's and Exchange's address rewriting do: people still
 * see which device wrote), and the original field value verbatim (folding and
 * RFC 2047 encoded words included) as X-Original-From: and, when there is no
 * Reply-To:, as Reply-To:. A header section without From: gets one.
 */
export function rewriteFromHeader(header: Buffer, address: string): Buffer {
  // latin1 maps each byte to one character and back: 8-bit header bytes
  // (SMTPUTF8, raw UTF-8 display names) come out unchanged.
  const fields = parseFields(header.toString('latin1'));
  const froms = fields.filter((f) => f.name === 'from' && !isBlank(valueOf(f)));
  const first = froms[0];
  const hasReplyTo = fields.some((f) => f.name === 'reply-to');
  const out: string[] = [];
  if (first === undefined) {
    // No From: (or only empty ones): one is added so that the smart host takes the message.
    const eol = lineEnding(fields.at(-1));
    for (const field of fields) if (field.name !== 'from') out.push(withLineEnding(field.raw, eol));
    out.push(`From: ${address}${eol}`);
  } else {
    const eol = lineEnding(first);
    const value = withLineEnding(valueOf(first), eol);
    const name = displayName(valueOf(first));
    const replacement = [
      `From: ${name === undefined ? address : `${name} <${address}>`}${eol}`,
      ...(hasReplyTo ? [] : [`Reply-To:${value}`]),
      // A second From: is malformed (RFC 5322 3.6 allows one); it goes too, kept here.
      ...froms.map((f) => `X-Original-From:${withLineEnding(valueOf(f), eol)}`),
    ];
    for (const field of fields) {
      if (field === first) out.push(...replacement);
      else if (field.name !== 'from') out.push(withLineEnding(field.raw, eol));
    }
  }
  return Buffer.from(out.join(''), 'latin1');
}

/** Fields in order; a line starting with a space or tab continues the field before it. */
function parseFields(text: string): Field[] {
  const fields: Field[] = [];
  let current: string | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const name = /^([^:\r\n]*?)[ \t]*:/.exec(current)?.[1] ?? '';
    fields.push({ name: name.toLowerCase(), raw: current });
  };
  for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    if (current !== undefined && (line.startsWith(' ') || line.startsWith('\t'))) {
      current += line;
    } else {
      flush();
      current = line;
    }
  }
  flush();
  return fields;
}

/** After the first colon, to the end of the field (folds and line ending included). */
function valueOf(field: Field): string {
  const colon = field.raw.indexOf(':');
  return colon === -1 ? '' : field.raw.slice(colon + 1);
}

function lineEnding(field: Field | undefined): string {
  if (field === undefined || field.raw.endsWith(CRLF)) return CRLF;
  return field.raw.endsWith('\n') ? '\n' : CRLF;
}

/** Only the last field of a message without an empty line can lack one. */
function withLineEnding(text: string, eol: string): string {
  return text.endsWith('\n') ? text : text + eol;
}

// Header white space only: String.prototype.trim would also take 0xA0, which
// in a latin1 view of UTF-8 is a byte inside a character.
const FWS = /^[ \t\r\n]+|[ \t\r\n]+$/g;

function isBlank(text: string): boolean {
  return text.replace(FWS, '') === '';
}

/**
 * The display name of a From: value of the form `Name <address>` as written
 * (quotes, comments, encoded words, folds), or undefined: a bare address, a
 * list of several mailboxes or a group (`,`, `:` or `;` outside quotes,
 * comments and angle brackets) or no name at all. RFC 5322 3.4.
 */
export function displayName(value: string): string | undefined {
  let angle: number | undefined;
  let comment = 0;
  let quoted = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (quoted || comment > 0)) i++;
    else if (quoted) quoted = c !== '"';
    else if (c === '(') comment++;
    else if (comment > 0) comment -= c === ')' ? 1 : 0;
    else if (inAngle) inAngle = c !== '>';
    else if (c === '"') quoted = true;
    else if (c === '<') {
      if (angle !== undefined) return undefined;
      angle = i;
      inAngle = true;
    } else if (c === ',' || c === ':' || c === ';') return undefined;
  }
  if (angle === undefined) return undefined;
  const name = value.slice(0, angle).replace(FWS, '');
  return name === '' ? undefined : name;
}
