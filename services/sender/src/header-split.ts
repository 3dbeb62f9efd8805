// Splits a stored message (the chunks of packages/store) into its header
// section and its body without touching the body: a step that edits headers
// (REWRITE_FROM, docs/reference.md "Sender address rewriting") copies the
// header bytes only, whatever the size of the message.

export interface HeaderAndBody {
  /**
   * The header fields, each with its line ending (a copy). The whole message
   * when it has no empty line: RFC 5322 3.5 lets a message end after its headers.
   */
  readonly header: Buffer;
  /**
   * From the empty line that ends the header section on, as the stored chunks:
   * the same Buffers, and a view into the one the header section ends in.
   */
  readonly body: readonly Buffer[];
}

const LF = 0x0a;
const CR = 0x0d;

export function splitHeader(chunks: readonly Buffer[]): HeaderAndBody {
  const end = headerEnd(chunks);
  if (end === undefined) return { header: Buffer.concat(chunks), body: [] };
  const header: Buffer[] = [];
  const body: Buffer[] = [];
  let start = 0;
  for (const chunk of chunks) {
    const next = start + chunk.length;
    if (next <= end) header.push(chunk);
    else if (start >= end) body.push(chunk);
    else {
      header.push(chunk.subarray(0, end - start));
      body.push(chunk.subarray(end - start));
    }
    start = next;
  }
  return { header: Buffer.concat(header), body };
}

/**
 * Where the first empty line starts (an offset in the whole message), or
 * undefined when there is none. Lines end with LF or CRLF: ingress stores
 * CRLF (docs/reference.md "SMTP behaviour"), a bare LF is taken too. The
 * empty line may straddle two chunks.
 */
function headerEnd(chunks: readonly Buffer[]): number | undefined {
  let lineStart = 0;
  let atLineStart = true;
  let sawCr = false;
  let start = 0;
  for (const chunk of chunks) {
    let i = 0;
    while (i < chunk.length) {
      if (atLineStart) {
        const byte = chunk[i];
        if (byte === LF) return lineStart;
        if (byte === CR && !sawCr) {
          sawCr = true;
          i++;
          continue;
        }
        atLineStart = false;
        sawCr = false;
      }
      const lf = chunk.indexOf(LF, i);
      if (lf === -1) break;
      atLineStart = true;
      lineStart = start + lf + 1;
      i = lf + 1;
    }
    start += chunk.length;
  }
  return undefined;
}
