import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidValueError } from '../src/errors.ts';
import { parseAuthMechanisms, parseHeloName, parseMailAddress } from '../src/mail-values.ts';

function reasonsOf(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidValueError) return error.reasons;
    throw error;
  }
  return assert.fail('expected an InvalidValueError');
}

describe('parseHeloName', () => {
  for (const name of ['relay.example.com', 'relay', '[192.0.2.7]', '[IPv6:2001:db8::7]']) {
    it(`accepts ${name}`, () => {
      assert.equal(parseHeloName(name), name);
    });
  }
  for (const name of ['192.0.2.7', '[192.0.2]', '[2001:db8::7]', 'bad name', 'a_b']) {
    it(`refuses ${JSON.stringify(name)}`, () => {
      assert.match(
        reasonsOf(() => parseHeloName(name)).join(),
        /domain name .* or an address literal/,
      );
    });
  }
});

describe('parseMailAddress (POSTMASTER)', () => {
  for (const address of [
    'postmaster@example.com',
    'postmaster@3f4e5a6b7c8d',
    'mailer-daemon+bounces@relay.example.com',
    'o.reilly@example.com',
    'postmaster@[192.0.2.7]',
  ]) {
    it(`accepts ${address}`, () => {
      assert.equal(parseMailAddress(address), address);
    });
  }
  for (const address of [
    'postmaster',
    '@example.com',
    'postmaster@',
    'Mail Delivery <postmaster@example.com>',
    'a..b@example.com',
    '.a@example.com',
    'a b@example.com',
    'postmaster@exa mple.com',
    'postmaster@under_score.com',
  ]) {
    it(`refuses ${JSON.stringify(address)}`, () => {
      assert.match(reasonsOf(() => parseMailAddress(address)).join(), /must be a mail address/);
    });
  }
});

describe('parseAuthMechanisms (SMART_HOST_AUTH_METHODS)', () => {
  const VALID: readonly (readonly [string, readonly string[]])[] = [
    ['PLAIN', ['PLAIN']],
    ['plain,login', ['PLAIN', 'LOGIN']],
    ['PLAIN, LOGIN XOAUTH2', ['PLAIN', 'LOGIN', 'XOAUTH2']],
    ['cram-md5', ['CRAM-MD5']],
    ['PLAIN,plain', ['PLAIN']],
  ];
  for (const [text, mechanisms] of VALID) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseAuthMechanisms(text), mechanisms);
    });
  }
  it('names every unknown mechanism', () => {
    assert.deepEqual(
      reasonsOf(() => parseAuthMechanisms('PLAIN,NTLM,GSSAPI')),
      [
        'entries must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2, got "NTLM"',
        'entries must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2, got "GSSAPI"',
      ],
    );
  });
  it('refuses a list without entries', () => {
    assert.deepEqual(
      reasonsOf(() => parseAuthMechanisms(',')),
      ['must list at least one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2'],
    );
  });
});
