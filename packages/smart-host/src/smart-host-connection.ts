import type { TransformCallback } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { encodeDataChunk, type PreviousByte } from './data-encoding.ts';

/** The fields of nodemailer's DataStream its transform keeps (internal to nodemailer). */
interface NodemailerDataStream {
  inByteCount: number;
  outByteCount: number;
  lastByte: PreviousByte;
  push(chunk: Buffer): boolean;
  _transform(chunk: unknown, encoding: BufferEncoding, done: TransformCallback): void;
}

interface WithSendStream {
  _createSendStream(callback: (...args: unknown[]) => void): unknown;
}

function isNodemailerDataStream(stream: unknown): stream is NodemailerDataStream {
  if (typeof stream !== 'object' || stream === null) return false;
  const fields = stream as Partial<Record<keyof NodemailerDataStream, unknown>>;
  return (
    typeof fields.inByteCount === 'number' &&
    typeof fields.outByteCount === 'number' &&
    fields.lastByte === false &&
    typeof fields._transform === 'function'
  );
}

/** nodemailer's DataStream transform with encodeDataChunk doing the work. */
function encodeTransform(
  this: NodemailerDataStream,
  chunk: unknown,
  _encoding: BufferEncoding,
  done: TransformCallback,
): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
  if (bytes.length === 0) {
    done();
    return;
  }
  this.inByteCount += bytes.length;
  const encoded = encodeDataChunk(bytes, this.lastByte);
  this.outByteCount += encoded.length;
  this.push(encoded);
  this.lastByte = bytes[bytes.length - 1] ?? false;
  done();
}

/**
 * nodemailer's SMTPConnection, with the DATA stream's per-byte loop replaced by
 * encodeDataChunk (same output). Everything else, the stream's framing
 * included (the final `.`), is nodemailer's own. Should a nodemailer upgrade
 * change the internals this relies on, the stream is left as nodemailer made
 * it: slower, never different.
 */
export class SmartHostConnection extends SMTPConnection {}

const stockCreateSendStream = (SMTPConnection.prototype as unknown as Partial<WithSendStream>)
  ._createSendStream;
if (typeof stockCreateSendStream === 'function') {
  (SmartHostConnection.prototype as unknown as WithSendStream)._createSendStream = function (
    this: SMTPConnection,
    callback,
  ) {
    const stream = stockCreateSendStream.call(this, callback);
    if (isNodemailerDataStream(stream)) stream._transform = encodeTransform;
    return stream;
  };
}
