import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PassThrough, type Transform } from 'node:stream';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { encodeDataChunk, type PreviousByte } from '../src/data-encoding.ts';
import { SmartHostConnection } from '../src/smart-host-connection.ts';

// nodemailer's own DataStream (not in its package exports): the reference the
// fast encoding must match byte for byte.
const smtpConnectionFile = createRequire(import.meta.url).resolve('nodemailer/lib/smtp-connection');
const { default: NodemailerDataStream } = (await import(
  new URL('../../esm/smtp-connection/data-stream.js', pathToFileURL(smtpConnectionFile)).href
)) as { default: new () => Transform };

async function throughStream(stream: Transform, chunks: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve) => stream.once('end', resolve));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await ended;
  return Buffer.concat(out);
}

/** The DATA bytes the smart host would get from SmartHostConnection. */
function fastDataStream(): Transform {
  const connection = new SmartHostConnection({});
  const internals = connection as unknown as {
    _envelope: unknown;
    _socket: unknown;
    _createSendStream(callback: () => void): Transform;
  };
  internals._envelope = { accepted: [] };
  internals._socket = new PassThrough();
  return internals._createSendStream(() => undefined);
}

const text = (value: string): Buffer => Buffer.from(value, 'latin1');

describe('encodeDataChunk', () => {
  const rows: readonly {
    name: string;
    chunk: string;
    previous: PreviousByte;
    expected: string;
  }[] = [
    { name: 'CRLF lines: unchanged', chunk: 'a\r\nb\r\n', previous: false, expected: 'a\r\nb\r\n' },
    { name: 'a dot at the very start', chunk: '.a\r\n', previous: false, expected: '..a\r\n' },
    { name: 'a dot after CRLF', chunk: 'a\r\n.b', previous: false, expected: 'a\r\n..b' },
    { name: 'a bare LF becomes CRLF', chunk: 'a\nb', previous: false, expected: 'a\r\nb' },
    { name: 'a bare CR becomes CRLF', chunk: 'a\rb', previous: false, expected: 'a\r\nb' },
    { name: 'a dot after a bare LF', chunk: 'a\n.\n', previous: false, expected: 'a\r\n..\r\n' },
    { name: 'a dot after a bare CR', chunk: 'a\r.\r', previous: 0x61, expected: 'a\r\n..\r' },
    { name: 'CR CR', chunk: '\r\r\n', previous: 0x61, expected: '\r\n\r\n' },
    { name: 'LF LF', chunk: '\n\n', previous: 0x61, expected: '\r\n\r\n' },
    { name: 'LF at 0 after a CR', chunk: '\n.x', previous: 0x0d, expected: '\n..x' },
    { name: 'a byte at 0 after a CR', chunk: 'x', previous: 0x0d, expected: '\nx' },
    { name: 'a dot at 0 after a CR', chunk: '.x', previous: 0x0d, expected: '\n..x' },
    { name: 'a dot at 0 after an LF', chunk: '.x', previous: 0x0a, expected: '..x' },
    { name: 'a dot at 0 mid-line', chunk: '.x', previous: 0x61, expected: '.x' },
    { name: 'a CR at the end waits', chunk: 'a\r', previous: false, expected: 'a\r' },
    { name: 'empty', chunk: '', previous: 0x0d, expected: '' },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(encodeDataChunk(text(row.chunk), row.previous).toString('latin1'), row.expected);
    });
  }

  it('returns the chunk itself when nothing is inserted', () => {
    const chunk = text('Subject: x\r\n\r\nbody\r\n');
    assert.equal(encodeDataChunk(chunk, false), chunk);
  });
});

describe('SmartHostConnection DATA stream', () => {
  it('installs the fast encoding on nodemailer’s stream', () => {
    const transformOf = (stream: Transform): unknown =>
      (stream as unknown as Record<string, unknown>)['_transform'];
    assert.notEqual(transformOf(fastDataStream()), transformOf(new NodemailerDataStream()));
  });

  it('sends exactly what nodemailer’s DataStream sends, on seeded random input', async () => {
    // A small alphabet makes CR, LF and dot sequences frequent; random chunk
    // boundaries put them across chunks too.
    let seed = 20261205;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % below;
    };
    const alphabet = [0x0d, 0x0a, 0x2e, 0x41, 0x20];
    for (let round = 0; round < 3000; round++) {
      const body = Buffer.from(
        Array.from({ length: random(48) }, () => alphabet[random(alphabet.length)] ?? 0x41),
      );
      const chunks: Buffer[] = [];
      for (let start = 0; start < body.length;) {
        const end = start + 1 + random(9);
        chunks.push(body.subarray(start, end));
        start = end;
      }
      const expected = await throughStream(new NodemailerDataStream(), chunks);
      const actual = await throughStream(fastDataStream(), chunks);
      assert.equal(
        actual.toString('latin1'),
        expected.toString('latin1'),
        `input ${JSON.stringify(body.toString('latin1'))}`,
      );
    }
  });

  it('keeps nodemailer’s byte counts', async () => {
    const chunks = [text('.a\nb\r'), text('.c\r\n')];
    const stock = new NodemailerDataStream() as Transform & Record<string, unknown>;
    const fast = fastDataStream() as Transform & Record<string, unknown>;
    await throughStream(stock, chunks);
    await throughStream(fast, chunks);
    assert.deepEqual(
      [fast['inByteCount'], fast['outByteCount'], fast['lastByte']],
      [stock['inByteCount'], stock['outByteCount'], stock['lastByte']],
    );
  });
});
