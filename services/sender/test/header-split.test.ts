import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitHeader } from '../src/header-split.ts';

// The stored message is a list of chunks (packages/store); the header section
// ends at the first empty line, wherever the chunk boundaries fall.

const chunksOf = (...parts: string[]): Buffer[] => parts.map((part) => Buffer.from(part, 'latin1'));
const text = (buffers: readonly Buffer[]): string => Buffer.concat(buffers).toString('latin1');

describe('splitHeader', () => {
  const cases: readonly { name: string; chunks: string[]; header: string; body: string }[] = [
    {
      name: 'one chunk, CRLF',
      chunks: ['Subject: a\r\nFrom: b\r\n\r\nbody\r\n'],
      header: 'Subject: a\r\nFrom: b\r\n',
      body: '\r\nbody\r\n',
    },
    {
      name: 'the empty line split between chunks after CR LF',
      chunks: ['Subject: a\r\n', '\r\nbody\r\n'],
      header: 'Subject: a\r\n',
      body: '\r\nbody\r\n',
    },
    {
      name: 'the empty line split inside its CR LF',
      chunks: ['Subject: a\r\n\r', '\nbody'],
      header: 'Subject: a\r\n',
      body: '\r\nbody',
    },
    {
      name: 'the line ending before it split',
      chunks: ['Subject: a\r', '\n', '\r', '\nbody'],
      header: 'Subject: a\r\n',
      body: '\r\nbody',
    },
    {
      name: 'ingress: Received: alone in the first chunk',
      chunks: ['Received: from x\r\n\tby y\r\n', 'From: a\r\n\r\nbody\r\n\r\nmore\r\n'],
      header: 'Received: from x\r\n\tby y\r\nFrom: a\r\n',
      body: '\r\nbody\r\n\r\nmore\r\n',
    },
    {
      name: 'bare LF line endings',
      chunks: ['Subject: a\nFrom: b\n\nbody\n'],
      header: 'Subject: a\nFrom: b\n',
      body: '\nbody\n',
    },
    {
      name: 'a CR alone on a line is not the end',
      chunks: ['Subject: a\r\n\r\rX: y\r\n\r\nbody'],
      header: 'Subject: a\r\n\r\rX: y\r\n',
      body: '\r\nbody',
    },
    {
      name: 'no header fields at all',
      chunks: ['\r\nbody\r\n'],
      header: '',
      body: '\r\nbody\r\n',
    },
    {
      name: 'no empty line: all header',
      chunks: ['Subject: a\r\n', 'From: b'],
      header: 'Subject: a\r\nFrom: b',
      body: '',
    },
    {
      name: 'empty chunks',
      chunks: ['', 'Subject: a\r\n', '', '\r\n', ''],
      header: 'Subject: a\r\n',
      body: '\r\n',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { header, body } = splitHeader(chunksOf(...c.chunks));
      assert.equal(header.toString('latin1'), c.header);
      assert.equal(text(body), c.body);
    });
  }

  it('passes the body chunks on as they are, and the split one as a view', () => {
    const first = Buffer.from('From: a\r\n\r\nstart of the body ');
    const rest = Buffer.alloc(4 * 1024 * 1024, 'x');
    const { header, body } = splitHeader([first, rest]);
    assert.equal(header.toString(), 'From: a\r\n');
    const [view] = body;
    assert.ok(view && body.length === 2);
    assert.equal(view.buffer, first.buffer, 'a view into the stored chunk');
    assert.equal(view.byteOffset, first.byteOffset + 'From: a\r\n'.length);
    assert.equal(body[1], rest, 'the same Buffer');
  });
});
