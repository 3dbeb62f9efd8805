import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkDkimKey, dkimDnsRecord, keyNameOf, zoneFileLine } from '../src/index.ts';
import { ed25519Key, pemOf, rsaKey } from './dkim-keys.ts';

// Which key files can sign (docs/reference.md "DKIM signing") and the DNS record
// printed for them.

const RSA_2048 = pemOf(rsaKey());
const ED25519 = pemOf(ed25519Key());

const check = (pem: string, selector = 's1') =>
  checkDkimKey(Buffer.from(pem), 'example.com', selector);

describe('checkDkimKey', () => {
  const USABLE: readonly (readonly [string, string, string, number])[] = [
    ['RSA 2048', RSA_2048, 'rsa-sha256', 2048],
    ['RSA 1024, the least RFC 8301 allows', pemOf(rsaKey(1024)), 'rsa-sha256', 1024],
    ['Ed25519', ED25519, 'ed25519-sha256', 256],
    [
      'RSA in PKCS#1 ("BEGIN RSA PRIVATE KEY")',
      rsaKey().export({ type: 'pkcs1', format: 'pem' }).toString(),
      'rsa-sha256',
      2048,
    ],
  ];
  for (const [title, pem, algorithm, bits] of USABLE) {
    it(`${title}: usable, ${algorithm}`, () => {
      const result = check(pem);
      assert.ok(result.ok, result.ok ? '' : result.reason);
      assert.equal(result.key.algorithm, algorithm);
      assert.equal(result.key.bits, bits);
    });
  }

  const UNUSABLE: readonly (readonly [string, string, RegExp, string?])[] = [
    ['RSA 512', pemOf(rsaKey(512)), /512 bits: at least 1024 \(RFC 8301\)/],
    [
      'EC P-256',
      pemOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      /not an RSA or Ed25519 key but ec/,
    ],
    [
      'encrypted',
      ed25519Key()
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
        .toString(),
      /encrypted/,
    ],
    ['truncated', RSA_2048.slice(0, 300), /not a PEM private key/],
    [
      'a public key',
      createPublicKey(ED25519).export({ type: 'spki', format: 'pem' }).toString(),
      /not a PEM private key/,
    ],
    ['empty', '', /not a PEM private key/],
    ['a selector that is no DNS label', ED25519, /selector "my key"/, 'my key'],
  ];
  for (const [title, pem, reason, selector] of UNUSABLE) {
    it(`${title}: refused with its reason, without key material`, () => {
      const result = check(pem, selector);
      assert.ok(!result.ok);
      assert.match(result.reason, reason);
      assert.doesNotMatch(result.reason, /PRIVATE KEY|MII|MC4/);
    });
  }
});

describe('keyNameOf', () => {
  it('reads <domain>/<selector>.pem', () => {
    assert.deepEqual(keyNameOf('/etc/dkim/Example.com/s2026.pem'), {
      folder: 'Example.com',
      selector: 's2026',
    });
  });
});

describe('the DNS record', () => {
  it('Ed25519: k=ed25519 and the raw 32-byte public key (RFC 8463 §4.2)', () => {
    const result = check(ED25519);
    assert.ok(result.ok);
    const record = dkimDnsRecord(result.key);
    assert.equal(record.name, 's1._domainkey.example.com');
    const match = /^v=DKIM1; k=ed25519; p=([A-Za-z0-9+/=]+)$/.exec(record.value);
    assert.ok(match?.[1], record.value);
    const raw = Buffer.from(match[1], 'base64');
    assert.equal(raw.length, 32);
    const spki = createPublicKey(ED25519).export({ type: 'spki', format: 'der' });
    assert.deepEqual(raw, spki.subarray(spki.length - 32));
  });

  it('RSA: k=rsa and the SubjectPublicKeyInfo, split into strings of 255 in the zone line', () => {
    const result = check(RSA_2048);
    assert.ok(result.ok);
    const record = dkimDnsRecord(result.key);
    const match = /^v=DKIM1; k=rsa; p=([A-Za-z0-9+/=]+)$/.exec(record.value);
    assert.ok(match?.[1], record.value);
    const publicKey = createPublicKey({
      key: Buffer.from(match[1], 'base64'),
      format: 'der',
      type: 'spki',
    });
    assert.ok(publicKey.equals(createPublicKey(RSA_2048)));

    const line = zoneFileLine(record);
    assert.match(line, /^s1\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=/);
    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.ok(strings.length >= 2 && strings.every((s) => s.length <= 255));
    assert.equal(strings.join(''), record.value);
  });

  it('a short value stays one string', () => {
    const result = check(ED25519);
    assert.ok(result.ok);
    assert.match(
      zoneFileLine(dkimDnsRecord(result.key)),
      /^s1\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=ed25519; p=[^"]+"$/,
    );
  });
});
