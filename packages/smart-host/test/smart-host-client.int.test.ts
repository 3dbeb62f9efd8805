import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@smtp-relay/observability';
import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import { createSmartHostClient } from '../src/smart-host-client.ts';
import { singleHostConfig } from './single-host-config.ts';

// A smart host (or a load balancer without a healthy backend) that accepts the
// TCP connection and closes it before its greeting: a network problem to retry,
// never "our credentials are wrong".

describe('smart host client against a peer that closes before the greeting', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  for (const credentials of [false, true]) {
    it(`fails as a transient network error (${credentials ? 'with' : 'without'} SMART_HOST_USER)`, async () => {
      const client = createSmartHostClient({
        smartHost: singleHostConfig({
          provider: undefined,
          region: undefined,
          demo: false,
          oauth2: undefined,
          host: '127.0.0.1',
          port,
          tls: 'none',
          user: credentials ? 'relay' : undefined,
          password: credentials ? 'secret' : undefined,
          authMethods: undefined,
          caFile: undefined,
          tlsVerify: true,
        }),
        extraCa: undefined,
        heloName: 'relay.test',
        timeoutMs: 5000,
        logger: createLogger({ service: 'test', version: '0', level: 'error' }),
      });
      try {
        const sending = client.send(
          { from: 'a@example.test', to: ['b@example.test'], size: 5, use8BitMime: false },
          [Buffer.from('hi\r\n')],
        );
        const error = await sending.then(
          () => assert.fail('expected a failure'),
          (failure: unknown) => failure as Error & { code?: string },
        );
        const classified = classifyDeliveryError(error);
        assert.equal(classified.kind, 'transient', `${error.code ?? ''} ${error.message}`);
        assert.equal(classified.category, 'network');
      } finally {
        await client.close();
      }
    });
  }
});
