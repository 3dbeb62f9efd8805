import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateCertificates,
  waitFor,
  type FakeOAuth2ServerOptions,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import {
  APP,
  CONFIGURED_REFRESH_TOKEN,
  MAILBOX,
  cachedAccessTokens,
  grantVariables,
  issuedTokens,
  startOAuth2World,
  type OAuth2World,
} from './harness/oauth2-relay.ts';
import { Redis } from 'ioredis';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import type { RelayProcess } from './harness/relay-process.ts';
import { sendThroughRelay } from './harness/send-through.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "OAuth2 to the smart host": AUTH XOAUTH2 with each grant, one token shared
// by every sender replica through Redis, refresh ahead of expiry, rotated refresh
// tokens kept across restarts, and token failures that hold mail instead of
// bouncing it. Real processes, a real HTTPS authorization server, a real SMTP
// smart host that validates the tokens.

type Grant = 'client-credentials' | 'refresh-token' | 'service-account';

const ADMIN = 'oauth2-e2e-admin-token-01';

/** What /api/v1/routes says of a route's login and hold. */
interface RouteView {
  readonly auth: string;
  readonly oauth2: {
    readonly tokenExpiresAt: number | null;
    readonly failure: { readonly reason: string } | null;
  } | null;
  readonly holdReason: { readonly category: string; readonly hint: string | null } | null;
}

describe('OAuth2 (XOAUTH2) towards the smart host', () => {
  let redis: TestRedis;
  let certs: GeneratedCertificates;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    redis = await useTestRedis();
    certs = await generateCertificates();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await certs.cleanup();
    await redis.cleanup();
  });

  async function relayWith(
    grant: Grant,
    oauthOptions: Partial<FakeOAuth2ServerOptions> = {},
    extra: Record<string, string> = {},
  ): Promise<{ world: OAuth2World; stack: RelayStack }> {
    const world = await startOAuth2World(certs, oauthOptions);
    const stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: world.smartHost.port, tls: 'starttls' },
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        RETRY_DELAYS: '300ms',
        ...grantVariables(world, certs, grant),
        ...extra,
      },
    });
    cleanups.push(async () => {
      const codes = await stack.stop();
      assert.ok(
        codes.every((code) => code === 0),
        `exit codes ${codes.join(',')}`,
      );
      await world.close();
    });
    return { world, stack };
  }

  function logsOf(...processes: RelayProcess[]): string {
    return processes
      .map((p) => [...p.logs.map((l) => JSON.stringify(l)), ...p.output].join('\n'))
      .join('\n');
  }

  const GRANTS: readonly (readonly [Grant, string])[] = [
    ['client-credentials', 'client_credentials'],
    ['refresh-token', 'refresh_token'],
    ['service-account', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
  ];
  for (const [grant, grantType] of GRANTS) {
    it(`delivers with the ${grant} grant (AUTH XOAUTH2 as the mailbox)`, async () => {
      const { world, stack } = await relayWith(grant);
      await sendThroughRelay(stack.smtpPort, { subject: grant });
      const [message] = await world.smartHost.waitForMessages(1);
      assert.ok(message);
      assert.equal(message.authMethod, 'XOAUTH2');
      assert.equal(message.authUser, MAILBOX);
      assert.equal(message.secure, true);
      assert.equal(issuedTokens(world.oauth, grantType), 1);
      const token = await stack.sender.waitForLog((line) => line.event === 'oauth2.token');
      assert.equal(token['grant'], grant);
      // Never a token or a secret in the logs.
      const logs = logsOf(stack.sender, stack.ingress);
      assert.ok(!logs.includes(APP.clientSecret));
      assert.ok(!logs.includes(CONFIGURED_REFRESH_TOKEN));
      assert.ok(!logs.includes('PRIVATE KEY'));
      assert.ok(!/Bearer|access_token|eyJ/.test(logs), 'a token appeared in the logs');
    });
  }

  // Messages sent all at once, to a slow smart host: both senders need a token at the same
  // moment with none cached, and still the endpoint is asked once (no thundering herd).
  async function sendAtOnce(stack: RelayStack, count: number): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, (_, index) =>
        sendThroughRelay(stack.smtpPort, { subject: `m${String(index)}` }),
      ),
    );
  }

  function deliveredBy(sender: RelayProcess): number {
    return sender.logs.filter((line) => line.event === 'delivery.delivered').length;
  }

  it('two senders share one token: one token request for all their deliveries', async () => {
    const { world, stack } = await relayWith('client-credentials', {}, { SENDER_CONCURRENCY: '3' });
    const first = stack.sender;
    const second = await stack.startSender();
    world.smartHost.setSlow(200);
    await sendAtOnce(stack, 12);
    await world.smartHost.waitForMessages(12, 30_000);
    assert.equal(issuedTokens(world.oauth), 1, JSON.stringify(world.oauth.tokenRequests));
    assert.equal(world.smartHost.messages.filter((m) => m.authMethod === 'XOAUTH2').length, 12);
    await waitFor(() => deliveredBy(first) + deliveredBy(second) === 12, {
      timeoutMs: 5000,
      description: 'both senders logged their deliveries',
    });
    assert.ok(deliveredBy(first) > 0 && deliveredBy(second) > 0, 'both senders delivered');
  });

  it('refreshes an expiring token once, for every sender', async () => {
    const { world, stack } = await relayWith(
      'client-credentials',
      { accessTokenLifetimeSeconds: 4 },
      { SENDER_CONCURRENCY: '3' },
    );
    await stack.startSender();
    await sendThroughRelay(stack.smtpPort);
    await world.smartHost.waitForMessages(1);
    assert.equal(issuedTokens(world.oauth), 1);
    // The shared token leaves Redis shortly before the endpoint's expiry.
    await waitFor(async () => (await cachedAccessTokens(redis.url, stack.prefix)) === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'cached access token gone before expiry',
    });
    // Pooled connections stay logged in; new ones (the smart host dropped them) need the token.
    await world.smartHost.stop();
    await world.smartHost.start();
    world.smartHost.setSlow(200);
    await sendAtOnce(stack, 8);
    await world.smartHost.waitForMessages(9, 30_000);
    assert.equal(issuedTokens(world.oauth), 2, JSON.stringify(world.oauth.tokenRequests));
  });

  it('keeps a rotated refresh token in Redis and uses it after a sender restart', async () => {
    const { world, stack } = await relayWith('refresh-token', {
      rotateRefreshTokens: true,
      accessTokenLifetimeSeconds: 4,
    });
    await sendThroughRelay(stack.smtpPort);
    await world.smartHost.waitForMessages(1);
    const [rotated] = world.oauth.currentRefreshTokens();
    assert.ok(rotated !== undefined && rotated !== 'configured-refresh-token-0001');
    assert.equal(await stack.sender.stop(), 0);
    await waitFor(async () => (await cachedAccessTokens(redis.url, stack.prefix)) === 0, {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'cached access token expired',
    });
    // Same configuration (the original, now void refresh token): Redis has the new one.
    await stack.startSender();
    await sendThroughRelay(stack.smtpPort);
    await world.smartHost.waitForMessages(2);
    const refreshes = world.oauth.tokenRequests.filter((r) => r.grantType === 'refresh_token');
    assert.deepEqual(
      refreshes.map((r) => r.outcome),
      ['issued', 'issued'],
    );
  });

  it('holds mail on invalid_grant (never bounces), says why, and resumes by itself', async () => {
    const { world, stack } = await relayWith('refresh-token', {}, { ADMIN_TOKEN: ADMIN });
    world.oauth.failAll({
      error: 'invalid_grant',
      error_description:
        'AADSTS70008: The provided authorization code or refresh token has expired.',
    });
    await sendThroughRelay(stack.smtpPort);
    const failed = await stack.sender.waitForLog((line) => line.event === 'oauth2.failed');
    assert.equal(failed['reason'], 'invalid_grant');
    assert.match(String(failed['description']), /AADSTS70008/);
    const held = await stack.sender.waitForLog((line) => line.event === 'delivery.systemic');
    assert.equal(held['category'], 'oauth2');
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(stack.sender.adminPort)}/metrics`)
    ).text();
    assert.match(metrics, /smtp_relay_oauth2_failures_total\{reason="invalid_grant"\} [1-9]/);
    assert.equal(world.smartHost.messages.length, 0);
    // The dashboard's route status says why and what to do (and never shows a token).
    const route = async () => {
      const response = await fetch(
        `http://127.0.0.1:${String(stack.ingress.adminPort)}/api/v1/routes`,
        {
          headers: { authorization: `Bearer ${ADMIN}` },
        },
      );
      const { routes } = (await response.json()) as { routes: RouteView[] };
      return routes[0];
    };
    const refused = await waitFor(
      async () => {
        const status = await route();
        return status?.oauth2?.failure && status.holdReason ? status : undefined;
      },
      { description: 'the refusal and the hold in the route status' },
    );
    assert.equal(refused.auth, 'oauth2');
    assert.equal(refused.oauth2?.failure?.reason, 'invalid_grant');
    assert.equal(refused.holdReason?.category, 'oauth2');
    assert.match(refused.holdReason.hint ?? '', /npx smtp-relay oauth2 login/);
    world.oauth.failAll(undefined);
    const [message] = await world.smartHost.waitForMessages(1, 20_000);
    assert.ok(message);
    // Delivered to the recipient, and no bounce was ever queued for it.
    assert.deepEqual(message.rcptTo, ['boss@example.test']);
    assert.ok(!stack.sender.logs.some((line) => line.event === 'delivery.bounced'));
    const resumed = await waitFor(
      async () => {
        const status = await route();
        return status?.oauth2?.tokenExpiresAt ? status : undefined;
      },
      { description: 'a valid token in the route status' },
    );
    assert.ok((resumed.oauth2?.tokenExpiresAt ?? 0) > Date.now(), 'valid for a while');
    const cached = new Redis(redis.url);
    try {
      const [key] = await cached.keys(`${stack.prefix}:oauth2:*:access`);
      assert.ok(key, 'a cached token');
      const { token } = JSON.parse((await cached.get(key)) ?? '{}') as { token?: string };
      assert.ok(token && !JSON.stringify(resumed).includes(token), 'no token in the status');
    } finally {
      cached.disconnect();
    }
  });

  it('holds mail while the token endpoint is down and resumes when it is back', async () => {
    const { world, stack } = await relayWith('client-credentials');
    await world.oauth.stop();
    await sendThroughRelay(stack.smtpPort);
    const failed = await stack.sender.waitForLog((line) => line.event === 'oauth2.failed');
    assert.equal(failed['reason'], 'unreachable');
    await world.oauth.start();
    await world.smartHost.waitForMessages(1, 20_000);
    assert.ok(!stack.sender.logs.some((line) => line.event === 'delivery.bounced'));
  });

  it('refreshes a token the smart host rejects (revoked) once, and the login succeeds', async () => {
    const { world, stack } = await relayWith('client-credentials');
    await sendThroughRelay(stack.smtpPort);
    await world.smartHost.waitForMessages(1);
    world.oauth.revokeAccessTokens();
    // The smart host drops its connections, so the next message needs a new login.
    world.smartHost.reset();
    await world.smartHost.stop();
    await world.smartHost.start();
    await sendThroughRelay(stack.smtpPort);
    await world.smartHost.waitForMessages(1, 20_000);
    const logins = world.smartHost.events.flatMap((e) =>
      e.type === 'auth' ? [{ method: e.method, success: e.success }] : [],
    );
    assert.deepEqual(logins, [
      { method: 'XOAUTH2', success: false },
      { method: 'XOAUTH2', success: true },
    ]);
    assert.equal(issuedTokens(world.oauth), 2);
  });
});
