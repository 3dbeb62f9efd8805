import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeOAuth2Server, waitFor, type FakeOAuth2Server } from '../src/index.ts';
import { accessToken, basicAuth, httpsRequest, postForm } from './https-form-client.ts';
import {
  APP_FIELDS,
  APP_ONLY_SCOPE,
  createOAuth2Fixture,
  MAILBOX,
  type OAuth2Fixture,
} from './oauth2-fixture.ts';

const CLIENT_CREDENTIALS = {
  grant_type: 'client_credentials',
  ...APP_FIELDS,
  scope: APP_ONLY_SCOPE,
};
const REFRESH = { grant_type: 'refresh_token', ...APP_FIELDS, refresh_token: 'rt-app' };
const THROTTLED_BODY = {
  error: 'temporarily_unavailable',
  error_description:
    'AADSTS50196: The server terminated an operation because it encountered a client request loop.',
  error_codes: [50196],
};
const THROTTLED = { ...THROTTLED_BODY, status: 503 };

describe('fake OAuth2 server state', () => {
  let fixture: OAuth2Fixture;
  let server: FakeOAuth2Server;
  before(async () => {
    fixture = await createOAuth2Fixture();
    server = await fixture.start();
  });
  after(() => fixture.close());
  const token = (fields: Record<string, string>) =>
    postForm(server.tokenUrl, fields, fixture.certs.caCert);

  it('revokeAccessTokens(): issued tokens stop validating, refresh tokens stay good', async () => {
    const earlier = accessToken(await token(REFRESH));
    assert.ok(server.validateAccessToken(MAILBOX, earlier));
    server.revokeAccessTokens();
    assert.equal(server.validateAccessToken(MAILBOX, earlier), false);
    const later = accessToken(await token(REFRESH));
    assert.ok(server.validateAccessToken(MAILBOX, later));
  });

  it('tokens expire after accessTokenLifetimeSeconds', async () => {
    const shortLived = await fixture.start({ accessTokenLifetimeSeconds: 1 });
    const requestedAt = Date.now();
    const reply = await postForm(shortLived.tokenUrl, CLIENT_CREDENTIALS, fixture.certs.caCert);
    assert.equal(reply.json.expires_in, 1);
    const issued = accessToken(reply);
    assert.ok(shortLived.validateAccessToken(MAILBOX, issued));
    await waitFor(() => !shortLived.validateAccessToken(MAILBOX, issued), {
      timeoutMs: 5_000,
      description: 'the access token to expire',
    });
    assert.ok(Date.now() - requestedAt >= 1_000);
  });

  it('failNext(error, 2): the next two token requests fail with it, then grants work again', async () => {
    server.failNext(THROTTLED, 2);
    for (const fields of [CLIENT_CREDENTIALS, REFRESH]) {
      const reply = await token(fields);
      assert.equal(reply.status, 503);
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.deepEqual(reply.json, THROTTLED_BODY);
    }
    assert.equal((await token(CLIENT_CREDENTIALS)).status, 200);
    const outcomes = server.tokenRequests.slice(-3).map((r) => [r.grantType, r.outcome]);
    assert.deepEqual(outcomes, [
      ['client_credentials', 'temporarily_unavailable'],
      ['refresh_token', 'temporarily_unavailable'],
      ['client_credentials', 'issued'],
    ]);
  });

  it('failNext() defaults to one failure with HTTP 400, before failAll()', async () => {
    server.failAll({ error: 'server_error', status: 500 });
    server.failNext({ error: 'invalid_grant', error_description: 'AADSTS50173: revoked' });
    try {
      const first = await token(REFRESH);
      assert.equal(first.status, 400);
      assert.deepEqual(first.json, {
        error: 'invalid_grant',
        error_description: 'AADSTS50173: revoked',
      });
      for (let i = 0; i < 2; i++) {
        const reply = await token(REFRESH);
        assert.equal(reply.status, 500);
        assert.deepEqual(reply.json, { error: 'server_error' });
      }
    } finally {
      server.failAll(undefined);
    }
    assert.equal((await token(REFRESH)).status, 200);
    assert.throws(() => {
      server.failNext({ error: 'x' }, 0);
    }, /positive integer/);
  });

  it('tokenRequests records grant, client, scope and outcome of every request in order', async () => {
    const before = server.tokenRequests.length;
    await token(CLIENT_CREDENTIALS);
    await token({ ...CLIENT_CREDENTIALS, client_secret: 'wrong' });
    await token({ grant_type: 'password', client_id: 'app' });
    const recorded = server.tokenRequests.slice(before).map(({ at, ...rest }) => {
      assert.ok(at instanceof Date);
      return rest;
    });
    assert.deepEqual(recorded, [
      {
        grantType: 'client_credentials',
        clientId: 'app',
        scope: APP_ONLY_SCOPE,
        outcome: 'issued',
      },
      {
        grantType: 'client_credentials',
        clientId: 'app',
        scope: APP_ONLY_SCOPE,
        outcome: 'invalid_client',
      },
      {
        grantType: 'password',
        clientId: 'app',
        scope: undefined,
        outcome: 'unsupported_grant_type',
      },
    ]);
  });

  it('stop() takes the endpoint down, start() brings it back on the same port with its tokens', async () => {
    const issued = accessToken(await token(CLIENT_CREDENTIALS));
    const { port, tokenUrl } = server;
    await server.stop();
    await assert.rejects(token(CLIENT_CREDENTIALS), { code: 'ECONNREFUSED' });
    await server.start();
    assert.equal(server.port, port);
    assert.equal(server.tokenUrl, tokenUrl);
    assert.equal((await token(CLIENT_CREDENTIALS)).status, 200);
    assert.ok(server.validateAccessToken(MAILBOX, issued));
  });

  it('refuses a duplicated parameter and two client authentication methods at once', async () => {
    const duplicated = await httpsRequest(server.tokenUrl, {
      method: 'POST',
      ca: fixture.certs.caCert,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `${new URLSearchParams(CLIENT_CREDENTIALS).toString()}&scope=other`,
    });
    assert.equal(duplicated.status, 400);
    assert.equal(duplicated.json.error, 'invalid_request');
    const both = await postForm(
      server.tokenUrl,
      CLIENT_CREDENTIALS,
      fixture.certs.caCert,
      basicAuth(APP_FIELDS.client_id, APP_FIELDS.client_secret),
    );
    assert.equal(both.status, 400);
    assert.equal(both.json.error, 'invalid_request');
  });

  it('answers 405 for a GET of the token endpoint and 404 for an unknown path', async () => {
    const get = await httpsRequest(server.tokenUrl, { ca: fixture.certs.caCert });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const unknown = await httpsRequest(`${server.url}/nothing`, { ca: fixture.certs.caCert });
    assert.equal(unknown.status, 404);
  });

  it('refuses impossible options at start', async () => {
    const base = { certificate: fixture.certs, clients: [] };
    await assert.rejects(
      startFakeOAuth2Server({ ...base, accessTokenLifetimeSeconds: 0 }),
      /accessTokenLifetimeSeconds must be a positive number/,
    );
    await assert.rejects(
      startFakeOAuth2Server({
        ...base,
        serviceAccounts: [{ clientEmail: 'x@y', publicKeyPem: 'not a key' }],
      }),
    );
  });
});
