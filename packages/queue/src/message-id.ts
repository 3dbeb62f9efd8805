import { randomBytes } from 'node:crypto';

// Crockford base32, as in ULID: ids sort by time, so an operator reading
// `queued as` ids or a sweep looking for old bodies can tell their age.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

function encodeTime(ms: number): string {
  let value = ms;
  let text = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    text = (ALPHABET[value % 32] ?? '0') + text;
    value = Math.floor(value / 32);
  }
  return text;
}

/**
 * A new message id: 26 characters, time-ordered, 80 random bits. Also the
 * BullMQ job id, so it must not contain ':' and must not be all digits.
 */
export function newMessageId(now: number = Date.now()): string {
  for (;;) {
    const random = randomBytes(RANDOM_CHARS);
    let text = encodeTime(now);
    for (const byte of random) text += ALPHABET[byte % 32] ?? '0';
    if (!/^\d+$/.test(text)) return text;
  }
}

/** The acceptance time encoded in a message id, or undefined if it is not one. */
export function messageIdTime(messageId: string): number | undefined {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(messageId)) return undefined;
  let value = 0;
  for (const char of messageId.slice(0, TIME_CHARS)) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 32 + digit;
  }
  return value;
}

const MESSAGE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}(?:-B\d{1,6})?$/;

/**
 * Whether `text` is a message id this relay makes: newMessageId's 26
 * characters, or a bounce's `<id>-B<attempt>`. The admin API answers 404 for
 * anything else before asking the queue, whose own keys (`meta`, `id`,
 * `stalled-check`) live beside the jobs.
 */
export function isMessageId(text: string): boolean {
  return MESSAGE_ID_PATTERN.test(text);
}
