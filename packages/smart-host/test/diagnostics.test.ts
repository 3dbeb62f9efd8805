import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SmartHostConfig } from '@smtp-relay/config';
import { testSender } from '../src/diagnostics/check-smart-host.ts';
import { compareMechanisms } from '../src/diagnostics/auth-steps.ts';
import { judgeTls, type TlsFacts } from '../src/diagnostics/certificate-report.ts';
import { describeError, type DiagnosticStep } from '../src/diagnostics/diagnostic-step.ts';
import { hasExtension } from '../src/diagnostics/session-steps.ts';
import { parseReplies, ProbeError } from '../src/diagnostics/smtp-probe.ts';
import { singleHostConfig } from './single-host-config.ts';

// The pure parts of check-smarthost: reply parsing, the TLS verdict for
// certificates the fake smart host cannot present (expired, another name),
// and the AUTH mechanism comparison.

describe('parseReplies', () => {
  const rows: readonly {
    name: string;
    text: string;
    replies: { code: number; lines: string[] }[];
    rest: string;
  }[] = [
    {
      name: 'one single-line reply',
      text: '220 smtp.example.com ESMTP\r\n',
      replies: [{ code: 220, lines: ['smtp.example.com ESMTP'] }],
      rest: '',
    },
    {
      name: 'a multi-line EHLO reply',
      text: '250-smtp.example.com\r\n250-STARTTLS\r\n250 SIZE 1000\r\n',
      replies: [{ code: 250, lines: ['smtp.example.com', 'STARTTLS', 'SIZE 1000'] }],
      rest: '',
    },
    {
      name: 'an unfinished line is kept for the next chunk',
      text: '250-smtp.example.com\r\n250-STAR',
      replies: [],
      rest: '250-STAR',
    },
    {
      name: 'a bare code and LF-only line ends',
      text: '250\n221 bye\n',
      replies: [
        { code: 250, lines: [''] },
        { code: 221, lines: ['bye'] },
      ],
      rest: '',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const parsed = parseReplies(row.text);
      assert.deepEqual(parsed.replies, row.replies);
      assert.equal(parsed.rest, row.rest);
    });
  }

  it('continues a reply split across chunks', () => {
    const first = parseReplies('250-smtp.example.com\r\n');
    const second = parseReplies('250 AUTH PLAIN\r\n', first.partial);
    assert.deepEqual(second.replies, [{ code: 250, lines: ['smtp.example.com', 'AUTH PLAIN'] }]);
  });

  it('refuses what is not SMTP (an HTTP server on the port)', () => {
    assert.throws(
      () => parseReplies('HTTP/1.1 400 Bad Request\r\n'),
      (error: unknown) => error instanceof ProbeError && error.code === 'EPROTOCOL',
    );
  });
});

describe('hasExtension', () => {
  const ehlo = { code: 250, lines: ['smtp.example.com', 'STARTTLS', 'AUTH=LOGIN', 'SIZE 10'] };
  for (const [name, expected] of [
    ['STARTTLS', true],
    ['AUTH', true],
    ['SIZE', true],
    ['SMTP', false],
  ] as const) {
    it(`${name}: ${String(expected)}`, () => {
      assert.equal(hasExtension(ehlo, name), expected);
    });
  }
});

describe('judgeTls', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const facts = (
    verificationError: string | undefined,
    validTo = '2030-03-01T00:00:00Z',
  ): TlsFacts => ({
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    certificate: {
      subject: 'CN=smtp.example.com',
      altNames: ['DNS:smtp.example.com'],
      issuer: 'CN=Example CA',
      validFrom: '2029-01-01T00:00:00.000Z',
      validTo,
      daysLeft: 59,
      fingerprint256: 'AA:BB',
    },
    verificationError,
  });
  const rows: readonly {
    name: string;
    facts: TlsFacts;
    tlsVerify: boolean;
    caFile?: string;
    ok: DiagnosticStep['ok'];
    variable?: string;
    says: RegExp;
  }[] = [
    {
      name: 'verified',
      facts: facts(undefined),
      tlsVerify: true,
      ok: true,
      says: /59 days left\) \(verified\)/,
    },
    {
      name: 'verified but checking is off',
      facts: facts(undefined),
      tlsVerify: false,
      ok: 'warn',
      variable: 'SMART_HOST_TLS_VERIFY',
      says: /turn checking back on/,
    },
    {
      name: 'unknown CA, no CA file',
      facts: facts('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      tlsVerify: true,
      ok: false,
      variable: 'SMART_HOST_CA_FILE',
      says: /put that CA's certificate \(PEM\) in SMART_HOST_CA_FILE/,
    },
    {
      name: 'unknown CA, a CA file without it',
      facts: facts('SELF_SIGNED_CERT_IN_CHAIN'),
      tlsVerify: true,
      caFile: '/run/secrets/ca.pem',
      ok: false,
      variable: 'SMART_HOST_CA_FILE',
      says: /\/run\/secrets\/ca\.pem/,
    },
    {
      name: 'issued for another name',
      facts: facts(
        "ERR_TLS_CERT_ALTNAME_INVALID: Host: mail.example.com. is not in the cert's altnames",
      ),
      tlsVerify: true,
      ok: false,
      variable: 'SMART_HOST',
      says: /is for DNS:smtp\.example\.com, not mail\.example\.com/,
    },
    {
      name: 'expired',
      facts: facts('CERT_HAS_EXPIRED', '2029-12-01T00:00:00Z'),
      tlsVerify: true,
      ok: false,
      says: /EXPIRED 31 days ago.*has expired/,
    },
    {
      name: 'untrusted but checking is off',
      facts: facts('DEPTH_ZERO_SELF_SIGNED_CERT'),
      tlsVerify: false,
      ok: 'warn',
      variable: 'SMART_HOST_TLS_VERIFY',
      says: /anyone on the path could pose as the smart host/,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const step = judgeTls(row.facts, {
        host: 'mail.example.com',
        tlsVerify: row.tlsVerify,
        caFile: row.caFile,
        now,
      });
      assert.equal(step.ok, row.ok);
      assert.equal(step.variable, row.variable);
      assert.match(`${step.detail} ${step.cause ?? ''}`, row.says);
    });
  }
});

describe('compareMechanisms', () => {
  const smartHost: SmartHostConfig = singleHostConfig({
    provider: undefined,
    region: undefined,
    demo: false,
    host: 'smtp.example.com',
    port: 587,
    tls: 'starttls',
    user: 'relay@example.com',
    password: 'secret',
    oauth2: undefined,
    authMethods: undefined,
    caFile: undefined,
    tlsVerify: true,
  });
  const oauth2: SmartHostConfig['oauth2'] = {
    provider: 'microsoft',
    tenant: 'example.onmicrosoft.com',
    tokenUrl: 'https://login.example.com/token',
    clientId: 'app',
    scope: undefined,
    grant: { kind: 'client-credentials', clientSecret: 'x' },
  };
  const rows: readonly {
    name: string;
    capabilities: string[];
    config: Partial<SmartHostConfig>;
    ok: boolean;
    variable?: string;
    says: RegExp;
  }[] = [
    {
      name: 'any allowed',
      capabilities: ['AUTH LOGIN PLAIN'],
      config: {},
      ok: true,
      says: /will use LOGIN/,
    },
    {
      name: 'the allow-list picks',
      capabilities: ['AUTH CRAM-MD5 PLAIN'],
      config: { authMethods: ['PLAIN'] },
      ok: true,
      says: /will use PLAIN/,
    },
    {
      name: 'nothing in common',
      capabilities: ['AUTH PLAIN LOGIN'],
      config: { authMethods: ['CRAM-MD5'] },
      ok: false,
      variable: 'SMART_HOST_AUTH_METHODS',
      says: /add one of PLAIN, LOGIN/,
    },
    {
      name: 'no AUTH over plain text',
      capabilities: ['PIPELINING'],
      config: { tls: 'none' },
      ok: false,
      variable: 'SMART_HOST_TLS',
      says: /only after STARTTLS/,
    },
    {
      name: 'OAuth2 but no XOAUTH2',
      capabilities: ['AUTH PLAIN LOGIN'],
      config: { oauth2, password: undefined },
      ok: false,
      variable: 'SMART_HOST_OAUTH2_CLIENT_ID',
      says: /XOAUTH2 is not offered/,
    },
    {
      name: 'no credentials',
      capabilities: ['AUTH PLAIN'],
      config: { user: undefined, password: undefined },
      ok: true,
      says: /not used/,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const step = compareMechanisms(row.capabilities, { ...smartHost, ...row.config });
      assert.equal(step.ok, row.ok);
      assert.equal(step.variable, row.variable);
      assert.match(`${step.detail} ${step.cause ?? ''}`, row.says);
    });
  }
});

describe('describeError', () => {
  it("keeps OpenSSL's reason, not its error queue", () => {
    const error = Object.assign(
      new Error('40BD:error:0A00010B:SSL routines:...:wrong version number:../deps/x.c:77:\n'),
      {
        code: 'ERR_SSL_WRONG_VERSION_NUMBER',
        reason: 'wrong version number',
      },
    );
    assert.equal(describeError(error), 'ERR_SSL_WRONG_VERSION_NUMBER: wrong version number');
  });
});

describe('test message sender', () => {
  const rows = [
    ['relay@example.test', 'relay@example.test'],
    ['apikey', 'postmaster@relay.test'],
    [undefined, 'postmaster@relay.test'],
  ] as const;
  for (const [user, expected] of rows) {
    it(`SMART_HOST_USER ${String(user)} -> MAIL FROM ${expected}`, () => {
      assert.equal(testSender(user, 'postmaster@relay.test'), expected);
    });
  }
});
