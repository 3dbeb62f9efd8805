/** One complete SMTP reply; `lines` hold the text after `250-`/`250 `. */
export interface ConversationReply {
  code: number;
  lines: string[];
  /** `lines` joined with '\n'. */
  text: string;
}

const REPLY_LINE = /^(\d{3})(?:([ -])(.*))?$/;

/**
 * Splits received text into replies: `250-...` lines continue a reply and the first
 * `250 ...` line ends it (RFC 5321 §4.2.1). Holds partial lines until they complete.
 */
export class ReplyParser {
  #buffer = '';
  #lines: string[] = [];
  #code: number | undefined;

  /** Text received but not yet part of a complete reply. */
  get pending(): string {
    const started = this.#lines.map((line) => `${String(this.#code)}-${line}\r\n`).join('');
    return started + this.#buffer;
  }

  /** Adds text and returns the replies it completed, in order. */
  push(text: string): ConversationReply[] {
    this.#buffer += text;
    const replies: ConversationReply[] = [];
    let lineEnd = this.#buffer.indexOf('\n');
    while (lineEnd !== -1) {
      const line = this.#buffer.slice(0, lineEnd).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(lineEnd + 1);
      const reply = this.#addLine(line);
      if (reply) replies.push(reply);
      lineEnd = this.#buffer.indexOf('\n');
    }
    return replies;
  }

  #addLine(line: string): ConversationReply | undefined {
    const match = REPLY_LINE.exec(line);
    if (!match) throw new Error(`Not an SMTP reply line: ${JSON.stringify(line)}`);
    const code = Number(match[1]);
    if (this.#code !== undefined && code !== this.#code) {
      throw new Error(`Reply code changed from ${this.#code} to ${code} within one reply`);
    }
    this.#code = code;
    this.#lines.push(match[3] ?? '');
    if (match[2] === '-') return undefined;
    const lines = this.#lines;
    this.#lines = [];
    this.#code = undefined;
    return { code, lines, text: lines.join('\n') };
  }
}
