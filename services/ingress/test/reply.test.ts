import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INGRESS_REPLIES, queuedReply, smtpReply, type SmtpReply } from '@smtp-relay/smtp-errors';
import { ReplyError, toSafeSmtpServerError, toSmtpServerError } from '../src/reply.ts';

describe('toSmtpServerError', () => {
  const rows: readonly { reply: SmtpReply; responseCode: number; message: string }[] = [
    {
      reply: INGRESS_REPLIES.authenticationRequired,
      responseCode: 530,
      message: '5.7.0 Authentication required',
    },
    {
      reply: INGRESS_REPLIES.relayDenied,
      responseCode: 554,
      message: '5.7.1 Relay access denied',
    },
    {
      reply: INGRESS_REPLIES.tooManyRecipients,
      responseCode: 452,
      message: '4.5.3 Too many recipients',
    },
    {
      reply: INGRESS_REPLIES.queueUnavailable,
      responseCode: 451,
      message: '4.3.0 Queue unavailable, try again later',
    },
    {
      reply: INGRESS_REPLIES.authFromBlockedAddress,
      responseCode: 454,
      message: '4.7.0 Too many failed logins from your address, try again later',
    },
    {
      reply: queuedReply('01M8BYCJJG0123456789ABCDEF'),
      responseCode: 250,
      message: '2.0.0 Ok: queued as 01M8BYCJJG0123456789ABCDEF',
    },
    { reply: smtpReply(550, '5.1.1', ''), responseCode: 550, message: '5.1.1 ' },
  ];
  for (const row of rows) {
    it(`${String(row.responseCode)} ${row.message}`, () => {
      const error = toSmtpServerError(row.reply);
      assert.ok(error instanceof Error);
      assert.equal(error.responseCode, row.responseCode);
      assert.equal(error.message, row.message);
    });
  }
});

describe('toSafeSmtpServerError', () => {
  const temporary = { responseCode: 451, message: '4.3.0 Temporary failure, try again later' };
  const rows: readonly {
    name: string;
    error: unknown;
    expected: { responseCode: number; message: string };
  }[] = [
    {
      name: 'a ReplyError keeps its 5xx reply',
      error: new ReplyError(INGRESS_REPLIES.relayDenied),
      expected: { responseCode: 554, message: '5.7.1 Relay access denied' },
    },
    {
      name: 'a ReplyError keeps its 4xx reply',
      error: new ReplyError(INGRESS_REPLIES.queueUnavailable, { cause: new Error('ECONNREFUSED') }),
      expected: { responseCode: 451, message: '4.3.0 Queue unavailable, try again later' },
    },
    {
      name: 'a plain Error becomes 451 4.3.0',
      error: new Error('Connection is closed.'),
      expected: temporary,
    },
    {
      name: 'an Error carrying a 5xx responseCode still becomes 451 4.3.0',
      error: Object.assign(new Error('550 denied'), { responseCode: 550 }),
      expected: temporary,
    },
    {
      name: 'an already converted smtp-server error is not trusted: 451 4.3.0',
      error: toSmtpServerError(INGRESS_REPLIES.relayDenied),
      expected: temporary,
    },
    {
      name: 'an object shaped like a ReplyError becomes 451 4.3.0',
      error: { name: 'ReplyError', reply: INGRESS_REPLIES.relayDenied },
      expected: temporary,
    },
    {
      name: 'a TypeError becomes 451 4.3.0',
      error: new TypeError('x is undefined'),
      expected: temporary,
    },
    { name: 'a thrown string becomes 451 4.3.0', error: 'boom', expected: temporary },
    { name: 'undefined becomes 451 4.3.0', error: undefined, expected: temporary },
    { name: 'null becomes 451 4.3.0', error: null, expected: temporary },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const error = toSafeSmtpServerError(row.error);
      assert.ok(error instanceof Error);
      assert.equal(error.responseCode, row.expected.responseCode);
      assert.equal(error.message, row.expected.message);
    });
  }

  it('never answers 5xx for anything but a ReplyError', () => {
    const unexpected: readonly unknown[] = [
      new Error('x'),
      new RangeError('x'),
      Object.assign(new Error('x'), { responseCode: 554 }),
      { responseCode: 500 },
      42,
      Symbol('x'),
    ];
    for (const error of unexpected) {
      const code = toSafeSmtpServerError(error).responseCode;
      assert.ok(code >= 400 && code < 500, String(code));
    }
  });
});

describe('ReplyError', () => {
  it('carries the reply, a name, the full reply as message and the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new ReplyError(INGRESS_REPLIES.queueUnavailable, { cause });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ReplyError');
    assert.equal(error.message, '451 4.3.0 Queue unavailable, try again later');
    assert.equal(error.reply, INGRESS_REPLIES.queueUnavailable);
    assert.equal(error.cause, cause);
  });

  it('has no cause when none is given', () => {
    const error = new ReplyError(INGRESS_REPLIES.relayDenied);
    assert.equal(error.cause, undefined);
    assert.equal('cause' in error, false);
  });
});
