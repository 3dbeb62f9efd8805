import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReply } from '@smtp-relay/smtp-errors';
import type { BlockReason } from '@smtp-relay/store';
import { blockAnswer } from '../src/abuse/block-answers.ts';

// What a blocked address hears, by block reason and SMTP_RELAY_NETWORKS membership.
const BLOCKED = '421 4.7.0 Connections from your address are blocked for now, try again later';
const ROWS: readonly {
  reason: BlockReason;
  trusted: boolean;
  connect: string | undefined;
  auth: string;
}[] = [
  { reason: 'auth', trusted: false, connect: BLOCKED, auth: BLOCKED },
  {
    reason: 'auth',
    trusted: true,
    connect: undefined,
    auth: '454 4.7.0 Too many failed logins from your address, try again later',
  },
  { reason: 'filter', trusted: false, connect: BLOCKED, auth: BLOCKED },
  { reason: 'filter', trusted: true, connect: BLOCKED, auth: BLOCKED },
];

describe('block answers', () => {
  for (const row of ROWS) {
    it(`${row.reason} block, ${row.trusted ? 'trusted' : 'untrusted'} client`, () => {
      const answer = blockAnswer(row.reason, row.trusted);
      assert.equal(answer.connect && formatReply(answer.connect), row.connect);
      assert.equal(formatReply(answer.auth), row.auth);
    });
  }
});
