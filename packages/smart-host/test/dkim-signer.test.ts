import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import {
  checkDkimKey,
  createDkimSigner,
  DkimError,
  dkimDnsRecord,
  openDkimKeyDirectory,
  type DkimDnsRecord,
} from '../src/index.ts';
import { createKeysDir, ed25519Key, pemOf, resolverFor, rsaKey } from './dkim-keys.ts';

// docs/reference.md "DKIM signing": signatures made with keys generated here,
// checked by mailauth's verifier against the TXT records `npx smtp-relay dkim`
// would print, served by a resolver in memory.

const RSA = pemOf(rsaKey());
const ED25519 = pemOf(ed25519Key());

const keys = createKeysDir();
after(() => {
  keys.remove();
});
keys.put('example.com', 'rsa.pem', RSA);
keys.put('example.com', 'ed.pem', ED25519);
keys.put('Upper.Example', 's1.pem', ED25519);
keys.put('mail.sub.test', 's1.pem', ED25519);
const signer = createDkimSigner(openDkimKeyDirectory(keys.dir));

function recordOf(domain: string, selector: string, pem: string): DkimDnsRecord {
  const check = checkDkimKey(Buffer.from(pem), domain, selector);
  assert.ok(check.ok);
  return dkimDnsRecord(check.key);
}
const RECORDS = [
  recordOf('example.com', 'rsa', RSA),
  recordOf('example.com', 'ed', ED25519),
  recordOf('upper.example', 's1', ED25519),
];

function message(from: string, body = 'Hello,\r\n\r\nthe scan is attached.\r\n'): Buffer[] {
  return [
    Buffer.from(
      `${from}\r\nTo: boss@elsewhere.test\r\nSubject: Scan\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\nMessage-ID: <1@lan.test>\r\n\r\n`,
    ),
    Buffer.from(body),
  ];
}

async function verify(signed: readonly Buffer[]) {
  const result = await dkimVerify(Buffer.concat(signed), { resolver: resolverFor(RECORDS) });
  return result.results.map((r) => ({
    result: r.status.result,
    domain: r.signingDomain,
    selector: r.selector,
    algorithm: r.algo,
    canonicalization: r.format,
  }));
}

describe('DKIM signing', () => {
  it('signs with every key of the From: domain, RSA-2048 and Ed25519, relaxed/relaxed; both verify', async () => {
    const signed = await signer.sign(message('From: Scanner <scanner@example.com>'));
    const results = await verify(signed);
    assert.deepEqual(
      results.map((r) => `${r.result} ${r.selector} ${r.algorithm} ${r.canonicalization}`).sort(),
      ['pass ed ed25519-sha256 relaxed/relaxed', 'pass rsa rsa-sha256 relaxed/relaxed'],
    );
    assert.ok(results.every((r) => r.domain === 'example.com'));
    const header = signed[0]?.toString() ?? '';
    assert.match(header, /^DKIM-Signature: /);
    assert.match(header, /h=Message-ID: Date: Subject: To: From/);
  });

  it('the signatures cover the body: a changed byte fails them', async () => {
    const signed = await signer.sign(message('From: scanner@example.com'));
    const tampered = Buffer.from(Buffer.concat(signed).toString().replace('scan is', 'scan was'));
    const results = await verify([tampered]);
    assert.equal(results.length, 2);
    assert.ok(
      results.every((r) => r.result !== 'pass'),
      JSON.stringify(results),
    );
  });

  it('never joins the body: the signature goes out as one more chunk', async () => {
    const stored = message('From: scanner@example.com', 'x'.repeat(100_000));
    const signed = await signer.sign(stored);
    assert.equal(signed.length, stored.length + 1);
    assert.equal(signed[2], stored[1]);
    assert.ok((await verify(signed)).every((r) => r.result === 'pass'));
  });

  it('signs the bytes the smart host gets: bare LF and lone CR as CRLF, as nodemailer sends them', async () => {
    const stored = [
      Buffer.from('From: scanner@example.com\nSubject: LF only\n\nline one\r'),
      Buffer.from('\nline two\rline three\n'),
    ];
    const signed = await signer.sign(stored);
    assert.equal(
      Buffer.concat(signed.slice(1)).toString(),
      'From: scanner@example.com\r\nSubject: LF only\r\n\r\nline one\r\nline two\r\nline three\r\n',
    );
    assert.ok((await verify(signed)).every((r) => r.result === 'pass'));
  });

  // Which messages are signed: the From: header field's domain, equal to a folder's name.
  const ROWS: readonly (readonly [string, string, string | undefined])[] = [
    ['plain address', 'From: scanner@example.com', 'example.com'],
    ['display name', 'From: "Scanner, 3rd floor" <scanner@example.com>', 'example.com'],
    ['domain in capitals', 'From: scanner@EXAMPLE.Com', 'example.com'],
    ['folder name in capitals', 'From: a@upper.example', 'upper.example'],
    ['field name in lower case, folded', 'from: Scanner\r\n <scanner@example.com>', 'example.com'],
    ['a subdomain does not match its parent', 'From: scanner@mail.example.com', undefined],
    ['a parent does not match its subdomain', 'From: scanner@sub.test', undefined],
    ['no key for the domain', 'From: scanner@other.test', undefined],
    ['no From: field', 'Sender: scanner@example.com', undefined],
    ['From: with two domains', 'From: a@example.com, b@other.test', undefined],
  ];
  for (const [title, from, signedAs] of ROWS) {
    it(`${title}: ${signedAs === undefined ? 'sent unsigned' : `signed for ${signedAs}`}`, async () => {
      const stored = message(from);
      const signed = await signer.sign(stored);
      if (signedAs === undefined) {
        assert.equal(signed, stored, 'the stored chunks, untouched');
        return;
      }
      const results = await verify(signed);
      assert.ok(results.length > 0);
      for (const r of results) {
        assert.equal(r.result, 'pass');
        assert.equal(r.domain, signedAs);
      }
    });
  }

  it('a key that cannot be used fails the message as systemic (EDKIM), naming domain and selector, never the key', async () => {
    const bad = createKeysDir();
    try {
      bad.put('example.com', 'good.pem', ED25519);
      // A PEM cut off in the middle, as an interrupted copy leaves it.
      bad.put('example.com', 's2.pem', RSA.slice(0, 400));
      const error = await createDkimSigner(openDkimKeyDirectory(bad.dir))
        .sign(message('From: scanner@example.com'))
        .then(
          () => assert.fail('signed with a broken key'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof DkimError);
      assert.equal(error.code, 'EDKIM');
      assert.equal(error.domain, 'example.com');
      assert.equal(error.selector, 's2');
      assert.match(error.reason, /not a PEM private key/);
      assert.doesNotMatch(error.message, /PRIVATE KEY|MII/);
      const failure = classifyDeliveryError(error);
      assert.equal(failure.kind, 'systemic');
      assert.equal(failure.category, 'dkim');
    } finally {
      bad.remove();
    }
  });

  it('a fixed key file counts from the next message on, without a restart', async () => {
    const dir = createKeysDir();
    try {
      dir.put('example.com', 'rsa.pem', RSA.slice(0, 400));
      const fixing = createDkimSigner(openDkimKeyDirectory(dir.dir));
      await assert.rejects(fixing.sign(message('From: scanner@example.com')), DkimError);
      dir.put('example.com', 'rsa.pem', RSA);
      const results = await verify(await fixing.sign(message('From: scanner@example.com')));
      assert.deepEqual(
        results.map((r) => `${r.result} ${r.selector}`),
        ['pass rsa'],
      );
    } finally {
      dir.remove();
    }
  });
});
