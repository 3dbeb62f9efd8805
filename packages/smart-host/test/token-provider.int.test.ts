import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { OAuth2Config } from '@smtp-relay/config';
import { RELAY_VERSION, createLogger, createMetrics } from '@smtp-relay/observability';
import {
  generateCertificates,
  startFakeOAuth2Server,
  startRedisServer,
  type FakeOAuth2Server,
  type GeneratedCertificates,
  type RedisServerHandle,
} from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import {
  OAuth2Error,
  createOAuth2TokenProvider,
  createRedisTokenStore,
  createTokenEndpointCall,
  type OAuth2TokenProvider,
} from '../src/index.ts';

// The provider against a real HTTPS authorization server (throwaway CA) and a real
// Redis: what one replica does, and what several replicas sharing the store do.

const MAILBOX = 'box@example.com';
const APP = { clientId: 'app', clientSecret: 'app-secret' };

let certs: GeneratedCertificates;
let redisServer: RedisServerHandle;
let redis: Redis;
let oauth: FakeOAuth2Server;

before(async () => {
  certs = await generateCertificates();
  redisServer = await startRedisServer();
  redis = new Redis(redisServer.url);
  oauth = await startFakeOAuth2Server({
    certificate: { key: certs.key, cert: certs.cert },
    clients: [APP],
  });
});

after(async () => {
  await oauth.close();
  await redis.quit();
  await redisServer.cleanup();
  await certs.cleanup();
});

function appOnly(): OAuth2Config {
  return {
    provider: 'microsoft',
    tenant: 'example.com',
    tokenUrl: oauth.tokenUrl,
    clientId: APP.clientId,
    scope: 'https://outlook.office365.com/.default',
    grant: { kind: 'client-credentials', clientSecret: APP.clientSecret },
  };
}

/** A replica: its own provider (and metrics, logs) over the shared store `credential`. */
async function replica(credential: string, config: OAuth2Config = appOnly()) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const metrics = createMetrics();
  const provider: OAuth2TokenProvider = createOAuth2TokenProvider({
    config,
    user: MAILBOX,
    store: createRedisTokenStore(redis, 'tp', credential),
    callEndpoint: createTokenEndpointCall({
      extraCa: await readFile(certs.caFile),
      timeoutMs: 5000,
    }),
    logger: createLogger({ service: 'test', version: RELAY_VERSION, level: 'info', destination }),
    metrics,
    pollMs: 10,
  });
  return { provider, lines, metrics };
}

const credential = () => randomBytes(6).toString('hex');
const issued = () => oauth.tokenRequests.filter((r) => r.outcome === 'issued').length;

describe('OAuth2 token provider (real endpoint, real Redis)', () => {
  it('makes one request for many concurrent logins in one process', async () => {
    const before = issued();
    const { provider } = await replica(credential());
    const tokens = await Promise.all(Array.from({ length: 10 }, () => provider.getToken()));
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    assert.equal(issued() - before, 1);
    assert.ok(oauth.validateAccessToken(MAILBOX, tokens[0]?.token ?? ''));
  });

  it('makes one request for three replicas that need a token at the same moment', async () => {
    const before = issued();
    const id = credential();
    const replicas = await Promise.all([replica(id), replica(id), replica(id)]);
    const tokens = await Promise.all(replicas.map(({ provider }) => provider.getToken()));
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    assert.equal(issued() - before, 1);
  });

  it('renews a rejected token once for all replicas, and not a token already replaced', async () => {
    const id = credential();
    const [a, b] = await Promise.all([replica(id), replica(id)]);
    const first = await a.provider.getToken();
    const before = issued();
    const [renewedA, renewedB] = await Promise.all([
      a.provider.renew(first.token),
      b.provider.renew(first.token),
    ]);
    assert.equal(renewedA.token, renewedB.token);
    assert.notEqual(renewedA.token, first.token);
    assert.equal(issued() - before, 1);
    // A late renewal of the old token keeps the new one.
    assert.equal((await a.provider.renew(first.token)).token, renewedA.token);
    assert.equal(issued() - before, 1);
  });

  it('refresh() asks the endpoint even with a cached token (oauth2 check)', async () => {
    const { provider } = await replica(credential());
    const first = await provider.getToken();
    const second = await provider.refresh();
    assert.notEqual(second.token, first.token);
    assert.equal((await provider.getToken()).token, second.token);
  });

  it('reports invalid_client with the endpoint text, counts it, and shares the failure', async () => {
    const id = credential();
    const [a, b] = await Promise.all([replica(id), replica(id)]);
    oauth.failNext({
      error: 'invalid_client',
      error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1',
      status: 401,
    });
    const requests = oauth.tokenRequests.length;
    await assert.rejects(a.provider.getToken(), (error: unknown) => {
      assert.ok(error instanceof OAuth2Error);
      assert.equal(error.reason, 'invalid_client');
      assert.match(
        error.message,
        /invalid_client \(AADSTS7000215: Invalid client secret provided\.\)$/,
      );
      return true;
    });
    // The second replica gets the same failure without asking again.
    await assert.rejects(b.provider.getToken(), /AADSTS7000215/);
    assert.equal(oauth.tokenRequests.length - requests, 1);
    const failed = a.lines.find((line) => line['event'] === 'oauth2.failed');
    assert.equal(failed?.['reason'], 'invalid_client');
    assert.ok(!JSON.stringify(a.lines).includes(APP.clientSecret));
    const text = await a.metrics.registry.metrics();
    assert.match(text, /smtp_relay_oauth2_failures_total\{reason="invalid_client"\} 1/);
    assert.match(text, /smtp_relay_oauth2_token_requests_total\{result="failed"\} 1/);
  });

  it('is unreachable (not a crash) when the endpoint does not answer, and recovers', async () => {
    const id = credential();
    const { provider } = await replica(id);
    await oauth.stop();
    try {
      await assert.rejects(provider.getToken(), (error: unknown) => {
        assert.ok(error instanceof OAuth2Error);
        assert.equal(error.reason, 'unreachable');
        assert.equal(error.code, 'EOAUTH2');
        return true;
      });
    } finally {
      await oauth.start();
    }
    // refresh() does not wait out the shared failure: an operator's check asks at once.
    const token = await provider.refresh();
    assert.ok(oauth.validateAccessToken(MAILBOX, token.token));
  });

  it('never logs a token: only grant, provider, lifetime and scope', async () => {
    const { provider, lines } = await replica(credential());
    const token = await provider.getToken();
    const obtained = lines.find((line) => line['event'] === 'oauth2.token');
    assert.equal(obtained?.['grant'], 'client-credentials');
    assert.equal(obtained['scope'], 'https://outlook.office365.com/.default');
    assert.ok(!JSON.stringify(lines).includes(token.token));
  });
});
