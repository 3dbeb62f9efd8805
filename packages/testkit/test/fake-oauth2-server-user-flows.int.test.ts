import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor, type FakeOAuth2Server } from '../src/index.ts';
import { accessToken, httpsRequest, postForm, type HttpsReply } from './https-form-client.ts';
import {
  APP_FIELDS,
  createOAuth2Fixture,
  DEVICE_CODE,
  PUBLIC_FIELDS,
  SMTP_SCOPE,
  type OAuth2Fixture,
} from './oauth2-fixture.ts';

const DEVICE_USER = 'device-user@example.com';

describe('fake OAuth2 server user flows', () => {
  let fixture: OAuth2Fixture;
  before(async () => {
    fixture = await createOAuth2Fixture();
  });
  after(() => fixture.close());
  const post = (url: string, fields: Record<string, string>) =>
    postForm(url, fields, fixture.certs.caCert);

  describe('device code (RFC 8628)', () => {
    const startDevice = async (server: FakeOAuth2Server, fields = PUBLIC_FIELDS) => {
      const reply = await post(server.deviceCodeUrl, { ...fields, scope: SMTP_SCOPE });
      assert.equal(reply.status, 200, reply.body);
      return reply.json as {
        device_code: string;
        user_code: string;
        verification_uri: string;
        expires_in: number;
        interval: number;
        message: string;
      };
    };
    const poll = (server: FakeOAuth2Server, deviceCode: string) =>
      post(server.tokenUrl, { grant_type: DEVICE_CODE, ...PUBLIC_FIELDS, device_code: deviceCode });

    it('pending until approved, slow_down when polled too fast, then tokens once', async () => {
      const server = await fixture.start();
      const device = await startDevice(server);
      assert.match(device.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
      assert.equal(device.interval, 1);
      assert.equal(device.expires_in, 900);
      assert.equal(device.verification_uri, `${server.url}/devicelogin`);
      assert.ok(device.message.includes(device.user_code));

      const pending = await poll(server, device.device_code);
      assert.equal(pending.status, 400);
      assert.equal(pending.json.error, 'authorization_pending');
      const tooFast = await poll(server, device.device_code);
      assert.equal(tooFast.json.error, 'slow_down');

      server.approveDevice(device.user_code.replace('-', '').toLowerCase(), DEVICE_USER);
      // A client keeps polling at `interval` until it gets the tokens.
      const issued = await waitFor(
        async () => {
          const reply = await poll(server, device.device_code);
          return reply.status === 200 ? reply : undefined;
        },
        { timeoutMs: 5_000, intervalMs: device.interval * 1000 + 50, description: 'tokens' },
      );
      assert.ok(server.validateAccessToken(DEVICE_USER, accessToken(issued)));
      const refreshToken = issued.json.refresh_token;
      assert.ok(typeof refreshToken === 'string');
      assert.ok(server.currentRefreshTokens().includes(refreshToken));
      const refreshed = await post(server.tokenUrl, {
        grant_type: 'refresh_token',
        ...PUBLIC_FIELDS,
        refresh_token: refreshToken,
      });
      assert.ok(server.validateAccessToken(DEVICE_USER, accessToken(refreshed)));

      const again = await poll(server, device.device_code);
      assert.equal(again.json.error, 'invalid_grant');
      assert.deepEqual(
        server.tokenRequests
          .filter((r) => r.grantType === DEVICE_CODE)
          .map((r) => r.outcome)
          .slice(0, 2),
        ['authorization_pending', 'slow_down'],
      );
    });

    it('autoApproveDeviceAs: the first poll gets the tokens', async () => {
      const server = await fixture.start({ autoApproveDeviceAs: DEVICE_USER });
      const device = await startDevice(server);
      const reply = await poll(server, device.device_code);
      assert.ok(server.validateAccessToken(DEVICE_USER, accessToken(reply)));
    });

    it('expired_token once the device code has expired', async () => {
      const server = await fixture.start({ deviceCodeLifetimeSeconds: 1, deviceInterval: 0 });
      const device = await startDevice(server);
      const expired = await waitFor(
        async () => {
          const reply = await poll(server, device.device_code);
          return reply.json.error === 'expired_token' ? reply : undefined;
        },
        { timeoutMs: 5_000, intervalMs: 100, description: 'expired_token' },
      );
      assert.equal(expired.status, 400);
      assert.deepEqual(expired.json.error_codes, [70019]);
      assert.throws(() => {
        server.approveDevice(device.user_code, DEVICE_USER);
      }, /expired/);
    });

    it('refuses an unknown device code, a confidential client without secret, an unknown user code', async () => {
      const server = await fixture.start();
      assert.equal((await poll(server, 'no-such-code')).json.error, 'invalid_grant');
      const confidential = await post(server.deviceCodeUrl, {
        client_id: APP_FIELDS.client_id,
        scope: SMTP_SCOPE,
      });
      assert.equal(confidential.status, 401);
      assert.equal(confidential.json.error, 'invalid_client');
      assert.throws(() => {
        server.approveDevice('BCDF-GHJK', DEVICE_USER);
      }, /no device authorization/);
    });
  });

  describe('authorization code with PKCE (RFC 7636, S256)', () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const authorizeQuery = {
      response_type: 'code',
      ...PUBLIC_FIELDS,
      redirect_uri: redirectUri,
      scope: SMTP_SCOPE,
      state: 'st4te',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    let server: FakeOAuth2Server;
    before(async () => {
      server = await fixture.start({ authorizeAs: 'consenting@example.com' });
    });
    const authorize = (query: Record<string, string>): Promise<HttpsReply> =>
      httpsRequest(`${server.authorizationUrl}?${new URLSearchParams(query).toString()}`, {
        ca: fixture.certs.caCert,
      });
    const authorizationCode = async (): Promise<string> => {
      const reply = await authorize(authorizeQuery);
      assert.equal(reply.status, 302, reply.body);
      const location = new URL(String(reply.headers.location));
      assert.equal(`${location.origin}${location.pathname}`, redirectUri);
      assert.equal(location.searchParams.get('state'), 'st4te');
      return location.searchParams.get('code') ?? assert.fail('no code in the redirect');
    };
    const redeem = (code: string, change: Record<string, string> = {}) =>
      post(server.tokenUrl, {
        grant_type: 'authorization_code',
        ...PUBLIC_FIELDS,
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        ...change,
      });

    it('redirects with code and state; the code with its verifier gives access and refresh token', async () => {
      const code = await authorizationCode();
      const reply = await redeem(code);
      assert.ok(server.validateAccessToken('consenting@example.com', accessToken(reply)));
      const refreshToken = String(reply.json.refresh_token);
      assert.ok(server.currentRefreshTokens().includes(refreshToken));
      const refreshed = await post(server.tokenUrl, {
        grant_type: 'refresh_token',
        ...PUBLIC_FIELDS,
        refresh_token: refreshToken,
      });
      assert.ok(server.validateAccessToken('consenting@example.com', accessToken(refreshed)));
      const reused = await redeem(code);
      assert.equal(reused.json.error, 'invalid_grant');
      assert.deepEqual(reused.json.error_codes, [54005]);
    });

    const refusals: [string, Record<string, string>, number][] = [
      ['a wrong code_verifier', { code_verifier: randomBytes(32).toString('base64url') }, 501481],
      ['another redirect_uri', { redirect_uri: 'http://127.0.0.1:1/other' }, 70000],
      ['an unknown code', { code: 'made-up' }, 70008],
    ];
    for (const [what, change, code] of refusals) {
      it(`refuses ${what}: invalid_grant AADSTS${code}`, async () => {
        const reply = await redeem(await authorizationCode(), change);
        assert.equal(reply.status, 400, reply.body);
        assert.equal(reply.json.error, 'invalid_grant');
        assert.deepEqual(reply.json.error_codes, [code]);
      });
    }

    const pageErrors: [string, Record<string, string>][] = [
      ['an unknown client', { client_id: 'nobody' }],
      ['no PKCE', { code_challenge: '', code_challenge_method: '' }],
      ['PKCE plain', { code_challenge: verifier, code_challenge_method: 'plain' }],
      ['a redirect_uri off the loopback', { redirect_uri: 'https://attacker.example/callback' }],
      ['response_type token', { response_type: 'token' }],
    ];
    for (const [what, change] of pageErrors) {
      it(`the authorization endpoint answers ${what} with a 400 page, no redirect`, async () => {
        const query = Object.fromEntries(
          Object.entries({ ...authorizeQuery, ...change }).filter(([, v]) => v !== ''),
        );
        const reply = await authorize(query);
        assert.equal(reply.status, 400);
        assert.equal(reply.headers.location, undefined);
        assert.match(reply.body, /^AADSTS\d+: /);
      });
    }
  });
});
