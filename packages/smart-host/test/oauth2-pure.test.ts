import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { OAuth2Config } from '@smtp-relay/config';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import {
  JWT_BEARER_GRANT,
  OAuth2Error,
  buildTokenRequest,
  oauth2CredentialId,
  refreshMarginMs,
  toTokenResponse,
  xoauth2InitialResponse,
} from '../src/index.ts';
import { reasonOf } from '../src/oauth2/oauth2-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'smtp-relay-oauth2-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = join(dir, 'sa.json');
writeFileSync(
  keyFile,
  JSON.stringify({
    type: 'service_account',
    client_email: 'relay@project.iam.gserviceaccount.com',
    private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    private_key_id: 'key-1',
  }),
);

const BASE = {
  provider: 'microsoft',
  tenant: 'example.com',
  tokenUrl: 'https://login.example/token',
  clientId: 'app',
  scope: 'https://outlook.office365.com/.default',
} as const;

describe('token requests per grant (the documented grants)', () => {
  const rows: readonly (readonly [string, OAuth2Config, Record<string, string>])[] = [
    [
      'client credentials',
      { ...BASE, grant: { kind: 'client-credentials', clientSecret: 's3cret' } },
      {
        grant_type: 'client_credentials',
        client_id: 'app',
        client_secret: 's3cret',
        scope: 'https://outlook.office365.com/.default',
      },
    ],
    [
      'refresh token of a public client (no secret)',
      {
        ...BASE,
        scope: 'https://outlook.office.com/SMTP.Send offline_access',
        grant: { kind: 'refresh-token', refreshToken: 'configured', clientSecret: undefined },
      },
      {
        grant_type: 'refresh_token',
        client_id: 'app',
        refresh_token: 'configured',
        scope: 'https://outlook.office.com/SMTP.Send offline_access',
      },
    ],
    [
      'refresh token with a secret and no scope (generic)',
      {
        ...BASE,
        provider: 'generic',
        scope: undefined,
        grant: { kind: 'refresh-token', refreshToken: 'configured', clientSecret: 'sec' },
      },
      {
        grant_type: 'refresh_token',
        client_id: 'app',
        client_secret: 'sec',
        refresh_token: 'configured',
      },
    ],
  ];
  for (const [title, config, expected] of rows) {
    it(title, async () => {
      assert.deepEqual(
        await buildTokenRequest({
          config,
          user: 'box@example.com',
          refreshToken: undefined,
          nowMs: 0,
        }),
        expected,
      );
    });
  }

  it('a rotated refresh token replaces the configured one', async () => {
    const form = await buildTokenRequest({
      config: {
        ...BASE,
        grant: { kind: 'refresh-token', refreshToken: 'old', clientSecret: undefined },
      },
      user: 'box@example.com',
      refreshToken: 'rotated',
      nowMs: 0,
    });
    assert.equal(form['refresh_token'], 'rotated');
  });

  it('service account: an RS256 JWT with iss, sub = mailbox, aud = token URL, scope', async () => {
    const nowMs = Date.now();
    const form = await buildTokenRequest({
      config: {
        ...BASE,
        provider: 'google',
        clientId: undefined,
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scope: 'https://mail.google.com/',
        grant: {
          kind: 'service-account',
          keyFile,
          clientEmail: 'relay@project.iam.gserviceaccount.com',
        },
      },
      user: 'printer@example.com',
      refreshToken: undefined,
      nowMs,
    });
    assert.equal(form['grant_type'], JWT_BEARER_GRANT);
    const assertion = form['assertion'] ?? '';
    assert.deepEqual(decodeProtectedHeader(assertion), { alg: 'RS256', typ: 'JWT', kid: 'key-1' });
    const key = await importSPKI(
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      'RS256',
    );
    const { payload } = await jwtVerify(assertion, key, {
      issuer: 'relay@project.iam.gserviceaccount.com',
      audience: 'https://oauth2.googleapis.com/token',
      subject: 'printer@example.com',
    });
    assert.equal(payload['scope'], 'https://mail.google.com/');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 3600);
  });

  it('signs with a PKCS#1 ("BEGIN RSA PRIVATE KEY") key as well', async () => {
    const pkcs1File = join(dir, 'sa-pkcs1.json');
    writeFileSync(
      pkcs1File,
      JSON.stringify({
        type: 'service_account',
        client_email: 'relay@project.iam.gserviceaccount.com',
        private_key: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
      }),
    );
    const form = await buildTokenRequest({
      config: {
        ...BASE,
        grant: { kind: 'service-account', keyFile: pkcs1File, clientEmail: 'x' },
      },
      user: 'printer@example.com',
      refreshToken: undefined,
      nowMs: Date.now(),
    });
    const key = await importSPKI(
      publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      'RS256',
    );
    await jwtVerify(form['assertion'] ?? '', key);
  });

  it('an unreadable service-account key is an OAuth2 failure (held), not a crash', async () => {
    await assert.rejects(
      buildTokenRequest({
        config: {
          ...BASE,
          grant: { kind: 'service-account', keyFile: join(dir, 'gone.json'), clientEmail: 'x' },
        },
        user: 'u',
        refreshToken: undefined,
        nowMs: 0,
      }),
      (error: unknown) => error instanceof OAuth2Error && error.reason === 'invalid_client',
    );
  });
});

describe('refresh margin: refreshed ahead of expiry', () => {
  const rows = [
    [3600_000, 300_000],
    [600_000, 60_000],
    [10_000, 1_000],
  ] as const;
  for (const [lifetime, margin] of rows) {
    it(`${String(lifetime)} ms token -> ${String(margin)} ms early`, () => {
      assert.equal(refreshMarginMs(lifetime), margin);
    });
  }
});

describe('endpoint errors -> reasons (metric labels)', () => {
  const rows = [
    ['invalid_grant', 400, 'invalid_grant'],
    ['invalid_client', 401, 'invalid_client'],
    ['unauthorized_client', 400, 'refused'],
    ['invalid_scope', 400, 'refused'],
    ['temporarily_unavailable', 503, 'unreachable'],
    ['server_error', 500, 'unreachable'],
    [undefined, 502, 'unreachable'],
    [undefined, 429, 'unreachable'],
    [undefined, 404, 'refused'],
  ] as const;
  for (const [error, status, reason] of rows) {
    it(`${error ?? '(no error field)'} / HTTP ${String(status)} -> ${reason}`, () => {
      assert.equal(reasonOf(error, status), reason);
    });
  }
});

describe('token answers', () => {
  it('reads access token, lifetime, scope and a rotated refresh token', () => {
    assert.deepEqual(
      toTokenResponse({ access_token: 'a', expires_in: 3599, scope: 's', refresh_token: 'r2' }),
      { accessToken: 'a', expiresIn: 3599, scope: 's', refreshToken: 'r2' },
    );
  });
  it('assumes one hour without expires_in (Microsoft sends it as a string too)', () => {
    assert.equal(toTokenResponse({ access_token: 'a' }).expiresIn, 3600);
    assert.equal(toTokenResponse({ access_token: 'a', expires_in: '120' }).expiresIn, 120);
  });
  it('refuses an answer without access_token', () => {
    assert.throws(() => toTokenResponse({ token_type: 'Bearer' }), OAuth2Error);
  });
});

describe('XOAUTH2 initial response (the documented format)', () => {
  it('is base64 of user=...^Aauth=Bearer ...^A^A', () => {
    assert.equal(
      Buffer.from(xoauth2InitialResponse('box@example.com', 'tok'), 'base64').toString(),
      'user=box@example.com\x01auth=Bearer tok\x01\x01',
    );
  });
});

describe('credential id', () => {
  const config: OAuth2Config = {
    ...BASE,
    grant: { kind: 'refresh-token', refreshToken: 'r1', clientSecret: undefined },
  };
  it('is stable, and hides the secrets it is derived from', () => {
    const id = oauth2CredentialId(config, 'box@example.com');
    assert.equal(id, oauth2CredentialId(config, 'box@example.com'));
    assert.ok(!id.includes('r1') && /^[0-9a-f]{24}$/.test(id));
  });
  it('changes with the mailbox and with a newly configured refresh token', () => {
    const id = oauth2CredentialId(config, 'box@example.com');
    assert.notEqual(id, oauth2CredentialId(config, 'other@example.com'));
    assert.notEqual(
      id,
      oauth2CredentialId(
        {
          ...config,
          grant: { kind: 'refresh-token', refreshToken: 'r2', clientSecret: undefined },
        },
        'box@example.com',
      ),
    );
  });
});
