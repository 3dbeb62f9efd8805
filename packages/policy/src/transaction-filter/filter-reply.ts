import { smtpReply, type SmtpReply } from '@smtp-relay/smtp-errors';

// The reply of an `R`/`B` rule comes from its text, Mercury style: `554 Invalid HELO
// format` is code 554 and the words after it.
//
// - The code must be 4xx or 5xx followed by a space or the end of the text; anything
//   else (no code, `250 ok`, `5544 x`, `554-x`) leaves the whole text as the words and
//   the reply becomes 554 5.7.1.
// - An RFC 3463 enhanced code right after the code is kept (`550 5.7.1 No`). Its class
//   must agree with the code's first digit (RFC 3463 §2), so `554 4.7.1 x` becomes
//   554 5.7.1: the code decides whether the client retries.
// - Without one, every phase gets X.7.1 "delivery not authorized, message refused",
//   the code a policy refusal carries whether it is aimed at HELO, sender, recipient
//   or content (Postfix's access(5) and header_checks(5) REJECT do the same); X is
//   the code's class.
// - No words at all: a generic text, so the client still sees a reason.

const REPLY_TEXT = /^([45]\d\d)(?:[ \t]+(.*))?$/s;
const ENHANCED = /^[245]\.(\d{1,3}\.\d{1,3})(?:[ \t]+(.*))?$/s;

export const DEFAULT_FILTER_REJECT_CODE = 554;
export const DEFAULT_FILTER_REJECT_TEXT = 'Refused by transaction filter';

export function filterRejectReply(text: string): SmtpReply {
  const trimmed = text.trim();
  const reply = REPLY_TEXT.exec(trimmed);
  if (reply === null) {
    return smtpReply(DEFAULT_FILTER_REJECT_CODE, '5.7.1', wordsOrDefault(trimmed));
  }
  const code = Number(reply[1]);
  const codeClass = String(code).charAt(0);
  const rest = reply[2] ?? '';
  const enhanced = ENHANCED.exec(rest);
  if (enhanced === null) return smtpReply(code, `${codeClass}.7.1`, wordsOrDefault(rest));
  return smtpReply(code, `${codeClass}.${enhanced[1] ?? '7.1'}`, wordsOrDefault(enhanced[2]));
}

function wordsOrDefault(words: string | undefined): string {
  const trimmed = (words ?? '').trim();
  return trimmed === '' ? DEFAULT_FILTER_REJECT_TEXT : trimmed;
}
