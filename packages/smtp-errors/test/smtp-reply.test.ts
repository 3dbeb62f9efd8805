import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReply, parseReply, replyClass, smtpReply } from '../src/smtp-reply.ts';

describe('parseReply', () => {
  const rows = [
    {
      line: '250 2.0.0 Ok: queued as ABC',
      code: 250,
      enhanced: '2.0.0',
      text: 'Ok: queued as ABC',
    },
    {
      line: '451 4.7.1 Try again later\r\n',
      code: 451,
      enhanced: '4.7.1',
      text: 'Try again later',
    },
    { line: '550 No such user', code: 550, enhanced: '5.0.0', text: 'No such user' },
    { line: '250-first\r\n250 2.1.5 last', code: 250, enhanced: '2.1.5', text: 'last' },
  ];
  for (const row of rows) {
    it(JSON.stringify(row.line), () => {
      assert.deepEqual(parseReply(row.line), smtpReply(row.code, row.enhanced, row.text));
    });
  }
  it('returns undefined for text that is not a reply', () => {
    assert.equal(parseReply('hello'), undefined);
    assert.equal(parseReply(''), undefined);
  });
});

describe('formatReply and replyClass', () => {
  it('formats code, enhanced code and text', () => {
    assert.equal(
      formatReply(smtpReply(550, '5.7.1', 'Relaying denied')),
      '550 5.7.1 Relaying denied',
    );
  });
  const classes = [
    [250, '2xx'],
    [354, '3xx'],
    [451, '4xx'],
    [554, '5xx'],
  ] as const;
  for (const [code, expected] of classes) {
    it(`${code} is ${expected}`, () => {
      assert.equal(replyClass(code), expected);
    });
  }
});
