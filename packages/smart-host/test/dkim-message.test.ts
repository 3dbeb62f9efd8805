import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCrlf } from '../src/dkim/crlf.ts';
import { fromDomain } from '../src/dkim/from-domain.ts';

// The two readings of a message the signer makes before signing it.

describe('fromDomain', () => {
  const ROWS: readonly (readonly [string, string, string | undefined])[] = [
    ['plain', 'From: a@example.com\r\n\r\nbody', 'example.com'],
    ['display name with a comma', 'From: "Doe, J." <j@Example.COM>\r\n\r\n', 'example.com'],
    ['folded', 'Subject: x\r\nFrom: Scanner\r\n\t<s@example.com>\r\n\r\n', 'example.com'],
    ['bare LF', 'From: a@example.com\nTo: b@x.test\n\nbody', 'example.com'],
    ['group syntax', 'From: Team: a@example.com, b@example.com;\r\n\r\n', 'example.com'],
    ['two mailboxes, two domains', 'From: a@example.com, b@other.test\r\n\r\n', undefined],
    [
      'two From: fields, two domains',
      'From: a@example.com\r\nFrom: b@other.test\r\n\r\n',
      undefined,
    ],
    ['no From:', 'Sender: a@example.com\r\n\r\nFrom: b@example.com', undefined],
    ['From: only in the body', 'Subject: x\r\n\r\nFrom: a@example.com\r\n', undefined],
    ['no header section at all', '\r\nFrom: a@example.com\r\n', undefined],
    ['an address without a domain', 'From: undisclosed\r\n\r\n', undefined],
    [
      'international domain as an A-label',
      'From: a@bücher.example\r\n\r\n',
      'xn--bcher-kva.example',
    ],
  ];
  for (const [title, text, domain] of ROWS) {
    it(`${title}: ${domain ?? 'none'}`, () => {
      assert.equal(fromDomain([Buffer.from(text)]), domain);
    });
  }

  it('finds a header section split over chunks', () => {
    assert.equal(
      fromDomain([
        Buffer.from('Subject: x\r\nFro'),
        Buffer.from('m: a@example.com\r'),
        Buffer.from('\n\r\nbody'),
      ]),
      'example.com',
    );
  });
});

describe('toCrlf', () => {
  const ROWS: readonly (readonly [string, readonly string[], string])[] = [
    ['CRLF already', ['a\r\nb\r\n'], 'a\r\nb\r\n'],
    ['bare LF', ['a\nb\n'], 'a\r\nb\r\n'],
    ['lone CR', ['a\rb\r'], 'a\r\nb\r\n'],
    ['CR at the end of a chunk, LF at the start of the next', ['a\r', '\nb'], 'a\r\nb'],
    ['CR at the end of a chunk, no LF after it', ['a\r', 'b'], 'a\r\nb'],
    ['LF at the start of a chunk after a plain byte', ['a', '\nb'], 'a\r\nb'],
    ['CR LF CR', ['\r\n\r'], '\r\n\r\n'],
    ['empty chunks', ['', 'a\n', ''], 'a\r\n'],
  ];
  for (const [title, chunks, expected] of ROWS) {
    it(title, () => {
      const out = toCrlf(chunks.map((c) => Buffer.from(c)));
      assert.equal(Buffer.concat(out).toString(), expected);
    });
  }

  it('hands back a chunk without bare line ends as it is (no copy)', () => {
    const chunk = Buffer.from('a\r\nb\r\n');
    assert.equal(toCrlf([chunk])[0], chunk);
  });
});
