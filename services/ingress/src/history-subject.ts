import { SUBJECT_MAX_LENGTH } from '@smtp-relay/queue';

// The Subject a job carries for the message history (docs/reference.md
// "Message history"): RFC 2047 encoded words decoded, so that a search for
// "Scan from" finds "=?UTF-8?Q?Scan_from_...?=", control characters gone (it is
// shown and logged), and cut to what a job carries.

type DecodeWords = (text: string) => string;
let decodeWords: DecodeWords | undefined;

/** libmime is loaded on the first encoded Subject only: most devices send plain ASCII. */
async function loadDecoder(): Promise<DecodeWords> {
  if (decodeWords === undefined) {
    const libmime = (await import('libmime')).default;
    decodeWords = (text) => libmime.decodeWords(text);
  }
  return decodeWords;
}

export async function historySubject(raw: string): Promise<string> {
  let text = raw;
  if (text.includes('=?')) {
    try {
      text = (await loadDecoder())(text);
    } catch {
      // A malformed encoded word (or an unknown charset) stays as it was sent.
    }
  }
  // Code points, not UTF-16 units: a cut never splits a character in two.
  const characters = Array.from(text, (character) => (isControl(character) ? ' ' : character));
  const clean = characters.join('').replace(/\s+/g, ' ').trim();
  return Array.from(clean).slice(0, SUBJECT_MAX_LENGTH).join('');
}

/** C0, DEL, C1, and the bidirectional controls that can make a shown line lie (Trojan Source). */
function isControl(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x200e ||
    code === 0x200f
  );
}
