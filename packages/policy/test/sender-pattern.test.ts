import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesSenderPattern, parseSenderPattern } from '../src/sender-pattern.ts';

// docs/reference.md "Sender address rules": `user@domain`, `*@domain`, `*`; the
// whole address compared case-insensitively, local part included.

describe('parseSenderPattern', () => {
  const rows: readonly { text: string; expected: string }[] = [
    { text: '*', expected: 'any' },
    { text: 'scan@example.com', expected: 'address scan@example.com' },
    { text: 'Scan@Example.COM', expected: 'address scan@example.com' },
    { text: '*@example.com', expected: 'domain example.com' },
    { text: '*@EXAMPLE.com', expected: 'domain example.com' },
    { text: 'scan@[192.0.2.7]', expected: 'address scan@[192.0.2.7]' },
    { text: 'scan', expected: 'problem expected "user@domain", "*@domain" or "*"' },
    { text: 'scan@', expected: 'problem expected "user@domain", "*@domain" or "*"' },
    { text: '@example.com', expected: 'problem expected "user@domain", "*@domain" or "*"' },
    { text: 'a@b@example.com', expected: 'problem expected "user@domain", "*@domain" or "*"' },
    { text: '*@*', expected: 'problem a domain has no wildcard' },
    { text: 'scan@*', expected: 'problem a domain has no wildcard' },
    { text: '*@*.example.com', expected: 'problem a domain has no wildcard' },
    { text: 'scan*@example.com', expected: 'problem "*" stands for a whole local part' },
    { text: '**', expected: 'problem expected "user@domain", "*@domain" or "*"' },
    { text: '<scan@example.com>', expected: 'problem write the address without angle brackets' },
  ];
  for (const row of rows) {
    it(`${row.text}: ${row.expected}`, () => {
      const result = parseSenderPattern(row.text);
      if (!result.ok) {
        assert.ok(row.expected.startsWith('problem '), result.problem);
        assert.ok(result.problem.startsWith(`"${row.text}": `), result.problem);
        assert.ok(result.problem.includes(row.expected.slice('problem '.length)), result.problem);
        return;
      }
      const { pattern } = result;
      const summary =
        pattern.kind === 'any'
          ? 'any'
          : pattern.kind === 'domain'
            ? `domain ${pattern.domain}`
            : `address ${pattern.address}`;
      assert.equal(summary, row.expected);
    });
  }
});

describe('matchesSenderPattern', () => {
  const rows: readonly { pattern: string; address: string; matches: boolean }[] = [
    { pattern: '*', address: 'anyone@anywhere.test', matches: true },
    { pattern: '*', address: 'postmaster', matches: true },
    { pattern: 'scan@example.com', address: 'scan@example.com', matches: true },
    { pattern: 'scan@example.com', address: 'SCAN@Example.Com', matches: true },
    { pattern: 'SCAN@example.com', address: 'scan@EXAMPLE.COM', matches: true },
    { pattern: 'scan@example.com', address: 'scan2@example.com', matches: false },
    { pattern: 'scan@example.com', address: 'scan@example.com.evil.test', matches: false },
    { pattern: 'scan@example.com', address: 'scan@sub.example.com', matches: false },
    { pattern: '*@example.com', address: 'anyone@example.com', matches: true },
    { pattern: '*@example.com', address: 'Anyone@EXAMPLE.com', matches: true },
    { pattern: '*@example.com', address: 'anyone@sub.example.com', matches: false },
    { pattern: '*@example.com', address: 'anyone@notexample.com', matches: false },
    { pattern: '*@example.com', address: 'example.com', matches: false },
    { pattern: '*@example.com', address: '@example.com', matches: false },
    { pattern: '*@example.com', address: 'a@example.com@evil.test', matches: false },
  ];
  for (const row of rows) {
    it(`${row.pattern} ${row.matches ? 'matches' : 'does not match'} ${row.address}`, () => {
      const parsed = parseSenderPattern(row.pattern);
      assert.ok(parsed.ok);
      assert.equal(matchesSenderPattern(parsed.pattern, row.address), row.matches);
    });
  }
});
