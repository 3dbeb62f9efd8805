import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { FakeOAuth2Server } from '../src/index.ts';
import { accessToken, basicAuth, httpsRequest, postForm } from './https-form-client.ts';
import {
  APP,
  APP_FIELDS,
  APP_ONLY_SCOPE,
  createOAuth2Fixture,
  form,
  GOOGLE_SCOPE,
  JWT_BEARER,
  MAILBOX,
  PUBLIC_FIELDS,
  rsaKeyPair,
  SERVICE_ACCOUNT,
  SMTP_SCOPE,
  type OAuth2Fixture,
} from './oauth2-fixture.ts';

describe('fake OAuth2 server grants', () => {
  let fixture: OAuth2Fixture;
  let server: FakeOAuth2Server;
  before(async () => {
    fixture = await createOAuth2Fixture();
    server = await fixture.start();
  });
  after(() => fixture.close());
  const token = (fields: Record<string, string>, headers?: Record<string, string>) =>
    postForm(server.tokenUrl, fields, fixture.certs.caCert, headers);

  describe('client_credentials', () => {
    const defaults = { grant_type: 'client_credentials', ...APP_FIELDS, scope: APP_ONLY_SCOPE };

    it('issues a Bearer token for any mailbox, scope echoed, no refresh token, no-store', async () => {
      const reply = await token(defaults);
      assert.equal(reply.status, 200, reply.body);
      assert.equal(reply.headers['cache-control'], 'no-store');
      const { access_token: issued, ...rest } = reply.json;
      assert.deepEqual(rest, { token_type: 'Bearer', expires_in: 3600, scope: APP_ONLY_SCOPE });
      assert.equal(typeof issued, 'string');
      assert.ok(server.validateAccessToken('anyone@example.com', accessToken(reply)));
      assert.equal(server.validateAccessToken(MAILBOX, 'not-issued-here'), false);
    });

    it('accepts the client credentials as HTTP Basic (form-encoded, then base64)', async () => {
      const reply = await token(
        { grant_type: 'client_credentials', scope: APP_ONLY_SCOPE },
        basicAuth(APP.clientId, APP.clientSecret),
      );
      assert.equal(reply.status, 200, reply.body);
    });

    const refusals: [string, Record<string, string>, number, string, number][] = [
      ['a wrong secret', { client_secret: 'wrong' }, 401, 'invalid_client', 7000215],
      ['no secret', { client_secret: '' }, 401, 'invalid_client', 7000218],
      ['an unknown client', { client_id: 'nobody' }, 401, 'invalid_client', 700016],
      ['a public client', { ...PUBLIC_FIELDS, client_secret: '' }, 401, 'invalid_client', 7000218],
      ['no scope', { scope: '' }, 400, 'invalid_request', 900144],
      ['a scope without /.default', { scope: SMTP_SCOPE }, 400, 'invalid_scope', 1002012],
      ['an unknown grant type', { grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
      ['no grant type', { grant_type: '' }, 400, 'invalid_request', 900144],
    ];
    for (const [what, change, status, error, code] of refusals) {
      it(`refuses ${what}: ${status} ${error} AADSTS${code}`, async () => {
        const reply = await token(form(defaults, change));
        assert.equal(reply.status, status, reply.body);
        assert.equal(reply.headers['cache-control'], 'no-store');
        assert.equal(reply.json.error, error);
        assert.deepEqual(reply.json.error_codes, [code]);
        assert.match(String(reply.json.error_description), new RegExp(`^AADSTS${code}: `));
      });
    }

    it('refuses a JSON body: the token endpoint takes forms only', async () => {
      const reply = await httpsRequest(server.tokenUrl, {
        method: 'POST',
        ca: fixture.certs.caCert,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(defaults),
      });
      assert.equal(reply.status, 400);
      assert.equal(reply.json.error, 'invalid_request');
    });

    it('clientCredentialsUser limits the token to that mailbox', async () => {
      const limited = await fixture.start({ clientCredentialsUser: MAILBOX });
      const reply = await postForm(limited.tokenUrl, defaults, fixture.certs.caCert);
      assert.ok(limited.validateAccessToken('Mailbox@Example.com', accessToken(reply)));
      assert.equal(limited.validateAccessToken('other@example.com', accessToken(reply)), false);
    });
  });

  describe('refresh_token', () => {
    const defaults = { grant_type: 'refresh_token', ...APP_FIELDS, refresh_token: 'rt-app' };

    it('issues a token for the refresh token user and keeps the refresh token', async () => {
      const reply = await token(defaults);
      assert.equal(reply.status, 200, reply.body);
      assert.equal(reply.json.scope, SMTP_SCOPE);
      assert.equal(reply.json.refresh_token, undefined);
      assert.ok(server.validateAccessToken(MAILBOX, accessToken(reply)));
      assert.equal(server.validateAccessToken('other@example.com', accessToken(reply)), false);
      assert.ok(server.currentRefreshTokens().includes('rt-app'));
    });

    for (const scope of [
      'https://outlook.office.com/SMTP.Send',
      'https://outlook.office.com/.default',
    ]) {
      it(`a public client refreshes without a secret, scope ${scope}`, async () => {
        const reply = await token(
          form(defaults, {
            ...PUBLIC_FIELDS,
            client_secret: '',
            refresh_token: 'rt-public',
            scope,
          }),
        );
        assert.equal(reply.status, 200, reply.body);
        assert.equal(reply.json.scope, scope);
      });
    }

    const refusals: [string, Record<string, string>, number, string][] = [
      ['an unknown refresh token', { refresh_token: 'rt-unknown' }, 400, 'invalid_grant'],
      ["another client's refresh token", { refresh_token: 'rt-public' }, 400, 'invalid_grant'],
      ['a wrong secret', { client_secret: 'wrong' }, 401, 'invalid_client'],
      [
        'a secret from a public client',
        { ...PUBLIC_FIELDS, client_secret: 'x', refresh_token: 'rt-public' },
        401,
        'invalid_client',
      ],
      ['a wider scope', { scope: 'https://graph.microsoft.com/Mail.Send' }, 400, 'invalid_scope'],
      ['no refresh token', { refresh_token: '' }, 400, 'invalid_request'],
    ];
    for (const [what, change, status, error] of refusals) {
      it(`refuses ${what}: ${status} ${error}`, async () => {
        const reply = await token(form(defaults, change));
        assert.equal(reply.status, status, reply.body);
        assert.equal(reply.json.error, error);
      });
    }

    it('rotation: a new refresh token each time, the old one gets invalid_grant', async () => {
      const rotating = await fixture.start({ rotateRefreshTokens: true });
      const refresh = (refreshToken: string) =>
        postForm(
          rotating.tokenUrl,
          { ...defaults, refresh_token: refreshToken },
          fixture.certs.caCert,
        );
      const first = await refresh('rt-app');
      assert.equal(first.status, 200, first.body);
      const rotated = first.json.refresh_token;
      assert.ok(typeof rotated === 'string' && rotated !== 'rt-app');
      assert.deepEqual(rotating.currentRefreshTokens().sort(), [rotated, 'rt-public'].sort());

      const reused = await refresh('rt-app');
      assert.equal(reused.status, 400);
      assert.equal(reused.json.error, 'invalid_grant');
      assert.deepEqual(reused.json.error_codes, [70008]);

      const second = await refresh(rotated);
      assert.equal(second.status, 200, second.body);
      assert.ok(typeof second.json.refresh_token === 'string');
      assert.notEqual(second.json.refresh_token, rotated);
      assert.ok(rotating.validateAccessToken(MAILBOX, accessToken(second)));
    });
  });

  describe('JWT bearer (Google service account)', () => {
    interface Claims {
      iss: string;
      sub: string;
      aud: string;
      scope: string;
      iat: number;
      exp: number;
    }
    const now = () => Math.floor(Date.now() / 1000);
    const assertion = (
      change: Partial<Claims> = {},
      privateKey = fixture.serviceKey.privateKey,
    ) => {
      const claims: Claims = {
        ...{ iss: SERVICE_ACCOUNT, sub: MAILBOX, aud: server.tokenUrl, scope: GOOGLE_SCOPE },
        ...{ iat: now(), exp: now() + 3600 },
        ...change,
      };
      return new SignJWT(claims.scope === '' ? {} : { scope: claims.scope })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .setIssuer(claims.iss)
        .setSubject(claims.sub)
        .setAudience(claims.aud)
        .setIssuedAt(claims.iat)
        .setExpirationTime(claims.exp)
        .sign(createPrivateKey(privateKey));
    };
    const exchange = (signed: string) => token({ grant_type: JWT_BEARER, assertion: signed });

    it('issues a token valid for `sub` and records iss and scope', async () => {
      const reply = await exchange(await assertion());
      assert.equal(reply.status, 200, reply.body);
      assert.equal(reply.json.refresh_token, undefined);
      assert.ok(server.validateAccessToken(MAILBOX, accessToken(reply)));
      assert.equal(server.validateAccessToken(SERVICE_ACCOUNT, accessToken(reply)), false);
      const last = server.tokenRequests.at(-1);
      assert.deepEqual(last && { ...last, at: undefined }, {
        grantType: JWT_BEARER,
        clientId: SERVICE_ACCOUNT,
        scope: GOOGLE_SCOPE,
        outcome: 'issued',
        at: undefined,
      });
    });

    const refusals: [string, () => Promise<string>, string, RegExp][] = [
      [
        'a signature by another key',
        () => assertion({}, rsaKeyPair().privateKey),
        'invalid_grant',
        /^Invalid JWT Signature\.$/,
      ],
      [
        'another audience',
        () => assertion({ aud: 'https://oauth2.googleapis.com/token' }),
        'invalid_grant',
        /audience/,
      ],
      [
        'an expired assertion',
        () => assertion({ iat: now() - 7200, exp: now() - 3600 }),
        'invalid_grant',
        /iat and exp/,
      ],
      [
        'a lifetime over one hour',
        () => assertion({ exp: now() + 7200 }),
        'invalid_grant',
        /60 minutes/,
      ],
      [
        'an iat in the future',
        () => assertion({ iat: now() + 600, exp: now() + 1200 }),
        'invalid_grant',
        /iat and exp/,
      ],
      [
        'an unknown service account',
        () => assertion({ iss: 'other@x.iam.gserviceaccount.com' }),
        'invalid_grant',
        /account not found/,
      ],
      ['no scope claim', () => assertion({ scope: '' }), 'invalid_scope', /scope/],
      ['a malformed assertion', () => Promise.resolve('not.a.jwt'), 'invalid_grant', /Invalid/],
    ];
    for (const [what, signed, error, description] of refusals) {
      it(`refuses ${what}: 400 ${error}`, async () => {
        const reply = await exchange(await signed());
        assert.equal(reply.status, 400, reply.body);
        assert.equal(reply.json.error, error);
        assert.match(String(reply.json.error_description), description);
      });
    }

    it('refuses an HS256 assertion (RS256 only)', async () => {
      const signed = await new SignJWT({ scope: GOOGLE_SCOPE })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(SERVICE_ACCOUNT)
        .setSubject(MAILBOX)
        .setAudience(server.tokenUrl)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(Buffer.from(fixture.serviceKey.publicKey));
      const reply = await exchange(signed);
      assert.equal(reply.status, 400, reply.body);
      assert.equal(reply.json.error, 'invalid_grant');
      assert.match(String(reply.json.error_description), /RS256/);
    });
  });
});
