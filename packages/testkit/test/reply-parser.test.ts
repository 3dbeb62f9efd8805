import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyParser } from '../src/smtp-conversation/reply-parser.ts';

describe('ReplyParser', () => {
  const cases = [
    {
      name: 'single line',
      chunks: ['250 2.0.0 Ok: queued as ABC\r\n'],
      replies: [{ code: 250, lines: ['2.0.0 Ok: queued as ABC'] }],
    },
    {
      name: 'multi line EHLO reply split across chunks',
      chunks: [
        '250-smart-host.test Nice',
        ' to meet you\r\n250-PIPELINING\r',
        '\n250 8BITMIME\r\n',
      ],
      replies: [
        { code: 250, lines: ['smart-host.test Nice to meet you', 'PIPELINING', '8BITMIME'] },
      ],
    },
    {
      name: 'two replies in one chunk (pipelining)',
      chunks: ['250 Accepted\r\n550 5.1.1 No such user\r\n'],
      replies: [
        { code: 250, lines: ['Accepted'] },
        { code: 550, lines: ['5.1.1 No such user'] },
      ],
    },
    { name: 'code without text', chunks: ['354\r\n'], replies: [{ code: 354, lines: [''] }] },
    {
      name: 'bare LF line ending',
      chunks: ['221 Bye\n'],
      replies: [{ code: 221, lines: ['Bye'] }],
    },
    { name: 'incomplete line waits', chunks: ['250-first\r\n250 sec'], replies: [] },
  ];
  for (const { name, chunks, replies } of cases) {
    it(name, () => {
      const parser = new ReplyParser();
      const parsed = chunks.flatMap((chunk) => parser.push(chunk));
      assert.deepEqual(
        parsed,
        replies.map((reply) => ({ ...reply, text: reply.lines.join('\n') })),
      );
    });
  }

  it('keeps partial text in pending for error messages', () => {
    const parser = new ReplyParser();
    parser.push('250-first\r\n250 sec');
    assert.equal(parser.pending, '250-first\r\n250 sec');
  });

  it('rejects lines that are not replies', () => {
    assert.throws(() => new ReplyParser().push('hello\r\n'), /Not an SMTP reply line/);
  });

  it('rejects a code change inside one reply', () => {
    assert.throws(() => new ReplyParser().push('250-a\r\n251 b\r\n'), /changed from 250 to 251/);
  });
});
