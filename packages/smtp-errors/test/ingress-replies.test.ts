import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asIngressReply,
  INGRESS_REPLIES,
  INGRESS_REPLY_REASONS,
  isIngressReply,
  queuedReply,
} from '../src/ingress-replies.ts';
import { replyClass, smtpReply, type SmtpReply } from '../src/smtp-reply.ts';

// The reason and class of each entry are rows in services/ingress/test/reply.test.ts,
// where they are counted; here, what every entry must be to be counted at all.
describe('INGRESS_REPLIES entries', () => {
  for (const [name, entry] of Object.entries(INGRESS_REPLIES)) {
    it(`${name}: a refusal with a listed reason and a matching enhanced code`, () => {
      assert.ok(isIngressReply(entry), `${name} has no listed reason`);
      assert.ok(entry.code >= 400 && entry.code < 600, String(entry.code));
      // RFC 3463: the enhanced code's class is the basic code's class.
      assert.equal(entry.enhanced[0], String(entry.code)[0]);
      assert.ok(Object.isFrozen(entry));
    });
  }
});

describe('queuedReply', () => {
  it('is 250 2.0.0 with the id, counted as queued', () => {
    const reply = queuedReply('01M8BYCJJG0123456789ABCDEF');
    assert.deepEqual(
      [reply.code, reply.enhanced, reply.text, reply.reason],
      [250, '2.0.0', 'Ok: queued as 01M8BYCJJG0123456789ABCDEF', 'queued'],
    );
    assert.equal(replyClass(reply.code), '2xx');
  });
});

describe('asIngressReply', () => {
  const rows: readonly {
    name: string;
    reply: SmtpReply;
    expected: { reason: string; same: boolean };
  }[] = [
    {
      name: 'a table entry typed as a plain SmtpReply keeps its own reason',
      reply: INGRESS_REPLIES.authenticationRequired,
      expected: { reason: 'relay-denied', same: true },
    },
    {
      name: 'a reply with a reason keeps it',
      reply: queuedReply('X'),
      expected: { reason: 'queued', same: true },
    },
    {
      name: "an operator's reply (filter rule) is counted under the reason given",
      reply: smtpReply(550, '5.7.1', 'Go away'),
      expected: { reason: 'filter', same: false },
    },
    {
      name: 'a reason outside the list is not kept (labels stay a closed set)',
      reply: { ...smtpReply(550, '5.7.1', 'Go away'), reason: 'user@example.test' } as SmtpReply,
      expected: { reason: 'filter', same: false },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const counted = asIngressReply(row.reply, 'filter');
      assert.equal(counted.reason, row.expected.reason);
      assert.equal(counted === row.reply, row.expected.same);
      assert.deepEqual(
        [counted.code, counted.enhanced, counted.text],
        [row.reply.code, row.reply.enhanced, row.reply.text],
      );
    });
  }

  it('lists each reason once', () => {
    assert.equal(new Set(INGRESS_REPLY_REASONS).size, INGRESS_REPLY_REASONS.length);
  });
});
