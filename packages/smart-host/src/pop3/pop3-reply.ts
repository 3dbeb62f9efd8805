// One POP3 status line, as a value (RFC 1939 §3: "+OK" or "-ERR", then
// optional text; RFC 2449 §8: an extended response code in brackets after
// "-ERR", such as "[AUTH]" or "[IN-USE]"). USER, PASS, STLS and QUIT are all
// answered with one such line, so a multi-line reader is not needed here.

export type Pop3Reply =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      readonly text: string;
      /** RFC 2449 response code, e.g. "AUTH", "IN-USE", "SYS/TEMP"; undefined when none. */
      readonly code: string | undefined;
    };

const STATUS_LINE = /^([+-])(OK|ERR)(?:[ \t]+(.*))?$/i;
const RESPONSE_CODE = /^\[([A-Za-z0-9/-]+)\][ \t]*/;

/**
 * Parses one line without its CRLF. Status indicators are upper case in RFC 1939;
 * any case is accepted, as real servers and clients do. Undefined for anything
 * else (a line that is not POP3, e.g. an SMTP greeting on the wrong port).
 */
export function parsePop3Reply(line: string): Pop3Reply | undefined {
  const match = STATUS_LINE.exec(line);
  if (match === null) return undefined;
  const [, sign, word = '', rest = ''] = match;
  const ok = sign === '+';
  if (ok !== (word.toUpperCase() === 'OK')) return undefined;
  const text = rest.trim();
  if (ok) return { ok, text };
  const code = RESPONSE_CODE.exec(text)?.[1]?.toUpperCase();
  return { ok, text, code };
}
