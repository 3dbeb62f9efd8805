// The signature must cover the bytes the smart host receives. nodemailer's DATA
// stream turns every bare CR and bare LF into CRLF on the way out (see
// smart-host-client.ts), so the message is signed in that form: same rule, done
// here first, one chunk at a time, copying only chunks that need it.

const CR = 0x0d;
const LF = 0x0a;
const CR_BYTES = Buffer.from([CR]);
const LF_BYTES = Buffer.from([LF]);

export function toCrlf(chunks: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let previous: number | undefined;
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    const inserts = insertions(chunk, previous);
    out.push(inserts.length === 0 ? chunk : withInsertions(chunk, inserts));
    previous = chunk[chunk.length - 1];
  }
  if (previous === CR) out.push(LF_BYTES);
  return out;
}

interface Insertion {
  /** Inserted before the byte at this index. */
  readonly at: number;
  readonly bytes: Buffer;
}

function insertions(chunk: Buffer, previous: number | undefined): Insertion[] {
  const found: Insertion[] = [];
  // A CR that ended the previous chunk without its LF.
  if (previous === CR && chunk[0] !== LF) found.push({ at: 0, bytes: LF_BYTES });
  for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
    // A CR at the end is settled by the next chunk (or by toCrlf at the end).
    if (i + 1 < chunk.length && chunk[i + 1] !== LF) found.push({ at: i + 1, bytes: LF_BYTES });
  }
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
    const before = i === 0 ? previous : chunk[i - 1];
    if (before !== CR) found.push({ at: i, bytes: CR_BYTES });
  }
  return found.sort((a, b) => a.at - b.at);
}

function withInsertions(chunk: Buffer, inserts: readonly Insertion[]): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (const { at, bytes } of inserts) {
    parts.push(chunk.subarray(from, at), bytes);
    from = at;
  }
  parts.push(chunk.subarray(from));
  return Buffer.concat(parts);
}
