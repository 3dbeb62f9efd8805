import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { SmartHostConfig } from '@smtp-relay/config';
import { RELAY_VERSION, createLogger, createMetrics } from '@smtp-relay/observability';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import {
  generateCertificates,
  startFakeOAuth2Server,
  startFakeSmartHost,
  type FakeOAuth2Server,
  type FakeSmartHost,
  type GeneratedCertificates,
} from '@smtp-relay/testkit';
import {
  createMemoryTokenStore,
  createOAuth2TokenProvider,
  createSmartHostClient,
  createTokenEndpointCall,
  type SmartHostClient,
} from '../src/index.ts';
import { singleHostConfig } from './single-host-config.ts';

// XOAUTH2 through the same client the sender uses, against a smart host that
// answers a bad token with a plain 535 (no 334 challenge, as Microsoft 365 does):
// one renewal, one more login; a second refusal is reported as oauth2.failed.

const MAILBOX = 'box@example.com';
const APP = { clientId: 'app', clientSecret: 'app-secret' };
const ENVELOPE = { from: 'a@example.test', to: ['b@example.test'], size: 6, use8BitMime: false };

let certs: GeneratedCertificates;
let oauth: FakeOAuth2Server;
let smartHost: FakeSmartHost;
let refusals = 0;

before(async () => {
  certs = await generateCertificates();
  oauth = await startFakeOAuth2Server({
    certificate: { key: certs.key, cert: certs.cert },
    clients: [APP],
  });
  smartHost = await startFakeSmartHost({
    tls: 'starttls',
    certificate: { key: certs.key, cert: certs.cert },
    auth: {
      methods: ['XOAUTH2'],
      xoauth2: (user, token) => oauth.validateAccessToken(user, token),
    },
    script: {
      auth: () => {
        if (refusals <= 0) return undefined;
        refusals--;
        return { code: 535, message: '5.7.3 Authentication unsuccessful' };
      },
    },
  });
});

after(async () => {
  await smartHost.close();
  await oauth.close();
  await certs.cleanup();
});

async function client(): Promise<{ client: SmartHostClient; logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  const logger = createLogger({
    service: 'test',
    version: RELAY_VERSION,
    level: 'info',
    destination,
  });
  const extraCa = await readFile(certs.caFile);
  const oauth2 = {
    provider: 'microsoft',
    tenant: 'example.com',
    tokenUrl: oauth.tokenUrl,
    clientId: APP.clientId,
    scope: 'https://outlook.office365.com/.default',
    grant: { kind: 'client-credentials', clientSecret: APP.clientSecret },
  } as const;
  const smartHostConfig: SmartHostConfig = singleHostConfig({
    provider: 'm365',
    region: undefined,
    demo: false,
    host: '127.0.0.1',
    port: smartHost.port,
    tls: 'starttls',
    user: MAILBOX,
    password: undefined,
    oauth2,
    authMethods: undefined,
    caFile: certs.caFile,
    tlsVerify: true,
  });
  const oauth2Tokens = createOAuth2TokenProvider({
    config: oauth2,
    user: MAILBOX,
    store: createMemoryTokenStore(),
    callEndpoint: createTokenEndpointCall({ extraCa, timeoutMs: 5000 }),
    logger,
    metrics: createMetrics(),
  });
  return {
    client: createSmartHostClient({
      smartHost: smartHostConfig,
      extraCa,
      heloName: 'relay.test',
      timeoutMs: 5000,
      logger,
      oauth2Tokens,
    }),
    logs,
  };
}

describe('XOAUTH2 login against a smart host that refuses without a challenge', () => {
  it('renews the token once after a plain 535 and delivers', async () => {
    refusals = 1;
    smartHost.reset();
    const issued = oauth.tokenRequests.length;
    const { client: relay } = await client();
    try {
      const result = await relay.send(ENVELOPE, [Buffer.from('hello\r\n')]);
      assert.deepEqual(result.accepted, ['b@example.test']);
    } finally {
      await relay.close();
    }
    assert.equal(oauth.tokenRequests.length - issued, 2);
    assert.deepEqual(
      smartHost.events.flatMap((e) => (e.type === 'auth' ? [e.success] : [])),
      [false, true],
    );
  });

  it('a second refusal is systemic (held) and reported once as oauth2.failed', async () => {
    refusals = 2;
    const { client: relay, logs } = await client();
    try {
      const error = await relay.send(ENVELOPE, [Buffer.from('hello\r\n')]).then(
        () => assert.fail('expected the login to fail'),
        (failure: unknown) => failure as Error,
      );
      const classified = classifyDeliveryError(error);
      assert.equal(classified.kind, 'systemic');
      const failed = logs.filter((line) => line['event'] === 'oauth2.failed');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.['reason'], 'token_rejected');
    } finally {
      await relay.close();
    }
  });
});
