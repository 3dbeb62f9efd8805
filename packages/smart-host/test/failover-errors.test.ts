import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mostTellingError } from '../src/failover/failover-errors.ts';

function failure(code: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code} failure`), { code, ...fields });
}

const unreachable = failure('ECONNECTION', { command: 'CONN' });
const refusedGreeting = failure('EPROTOCOL', { responseCode: 421, command: 'CONN' });
const badPassword = failure('EAUTH', { responseCode: 535, command: 'AUTH PLAIN' });
const untrusted = failure('ETLS', { message: 'unable to verify the first certificate' });

describe('mostTellingError', () => {
  const rows: readonly {
    title: string;
    errors: [Error, ...Error[]];
    expected: Error;
  }[] = [
    { title: 'one host: its error', errors: [unreachable], expected: unreachable },
    {
      title: 'all unreachable: the last',
      errors: [unreachable, refusedGreeting],
      expected: refusedGreeting,
    },
    {
      title: 'all systemic: the last (the mail is held)',
      errors: [untrusted, badPassword],
      expected: badPassword,
    },
    {
      title: 'systemic last, one host only down: the last non-systemic (deferred, not held)',
      errors: [unreachable, badPassword],
      expected: unreachable,
    },
    {
      title: 'systemic first, then down: the down one',
      errors: [badPassword, refusedGreeting],
      expected: refusedGreeting,
    },
  ];
  for (const row of rows) {
    it(row.title, () => {
      assert.equal(mostTellingError(row.errors), row.expected);
    });
  }
});
