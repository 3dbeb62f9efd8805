// Finds the Subject: header of a message while its bytes stream past on the way to
// the store, so that S filter rules can be applied at the end of DATA without
// buffering the message. Only the header section is looked at, and only so much
// of it: a client cannot make ingress hold more than the limits below.

export interface SubjectReader {
  /** The next bytes of the message as the client sent them (after dot-unstuffing). */
  push(chunk: Buffer): void;
  /**
   * The first Subject: header's value, unfolded (RFC 5322 §2.2.3) and trimmed; ''
   * when the message has none (so `S, "", R, ...` can refuse messages without one).
   */
  subject(): string;
}

export interface SubjectReaderLimits {
  /** Header bytes examined before giving up on finding a Subject (default 256 KiB). */
  readonly maxHeaderBytes?: number;
  /** Bytes of the Subject value kept (default 16 KiB); the rest is ignored. */
  readonly maxSubjectBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SUBJECT_NAME = /^subject[ \t]*:/i;
// Enough of a line's start to tell a header name (and its colon) from a continuation.
const LINE_HEAD_BYTES = 80;

export function createSubjectReader(limits: SubjectReaderLimits = {}): SubjectReader {
  const maxHeaderBytes = limits.maxHeaderBytes ?? 256 * 1024;
  const maxSubjectBytes = limits.maxSubjectBytes ?? 16 * 1024;
  let done = false;
  let seen = 0;
  /** The start of the current line, until it is known what the line is. */
  let lineHead = Buffer.alloc(0);
  /** undefined: not inside the Subject header (yet); otherwise its bytes so far. */
  let subject: Buffer[] | undefined;
  let subjectBytes = 0;
  /** Whether the current line's bytes (after lineHead was judged) belong to Subject. */
  let lineIsSubject = false;
  let lineJudged = false;

  function keep(bytes: Buffer): void {
    if (subject === undefined || subjectBytes >= maxSubjectBytes) return;
    const part = bytes.subarray(0, maxSubjectBytes - subjectBytes);
    subject.push(part);
    subjectBytes += part.length;
  }

  /** Decides what the line that starts with `head` is (a Subject line, its continuation, other). */
  function judge(head: Buffer): void {
    lineJudged = true;
    const first = head[0];
    if (first === 0x20 || first === 0x09) {
      // A continuation line: part of the Subject only if the Subject is open.
      lineIsSubject = subject !== undefined;
      if (lineIsSubject) keep(head);
      return;
    }
    if (subject !== undefined) {
      // The Subject header ended with the previous line.
      done = true;
      return;
    }
    const text = head.toString('latin1');
    const match = SUBJECT_NAME.exec(text);
    if (match === null) {
      lineIsSubject = false;
      return;
    }
    subject = [];
    lineIsSubject = true;
    keep(head.subarray(match[0].length));
  }

  function endLine(): void {
    // An empty line (CRLF or a bare LF) ends the header section.
    const empty =
      !lineJudged && (lineHead.length === 0 || (lineHead.length === 1 && lineHead[0] === CR));
    if (empty) {
      done = true;
      return;
    }
    if (!lineJudged) judge(lineHead);
    if (done) return;
    lineHead = Buffer.alloc(0);
    lineJudged = false;
    lineIsSubject = false;
  }

  function consume(part: Buffer): void {
    if (part.length === 0) return;
    if (lineJudged) {
      if (lineIsSubject) keep(part);
      return;
    }
    lineHead = Buffer.concat([lineHead, part]);
    if (lineHead.length >= LINE_HEAD_BYTES) judge(lineHead);
  }

  return {
    push(whole) {
      if (done) return;
      const chunk = whole.subarray(0, maxHeaderBytes - seen);
      let start = 0;
      // consume() and endLine() may set done (TypeScript cannot see that through calls).
      const finished = (): boolean => done;
      while (!finished() && start < chunk.length) {
        const newline = chunk.indexOf(LF, start);
        const end = newline === -1 ? chunk.length : newline;
        consume(chunk.subarray(start, end));
        if (newline === -1) break;
        if (!finished()) endLine();
        start = newline + 1;
      }
      seen += chunk.length;
      if (seen >= maxHeaderBytes) done = true;
    },
    subject() {
      // A message that ends inside its header section (no line break after it).
      if (!done && !lineJudged && lineHead.length > 0) judge(lineHead);
      if (subject === undefined) return '';
      const raw = Buffer.concat(subject).toString('utf8');
      // Unfolding removes the line breaks only; the CR of each CRLF goes with them.
      return raw.replaceAll(String.fromCharCode(CR), '').trim();
    },
  };
}
