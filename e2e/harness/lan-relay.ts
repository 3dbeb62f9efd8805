import {
  startFakeSmartHost,
  type FakeSmartHost,
  type FakeSmartHostOptions,
} from '@smtp-relay/testkit';
import { startRelayStack, type RelayStack } from './relay-stack.ts';
import { useTestRedis } from './test-redis.ts';

export interface LanRelay {
  readonly redisUrl: string;
  readonly smartHost: FakeSmartHost;
  readonly stack: RelayStack;
  /** Stops the services (SIGTERM) and the smart host; resolves with the exit codes. */
  close(): Promise<(number | null)[]>;
}

/**
 * The common e2e set-up: the run's Redis, a plain-text fake smart host, and
 * ingress + sender relaying for loopback clients without AUTH (as a LAN
 * device in SMTP_RELAY_NETWORKS would).
 */
export async function startLanRelay(
  options: {
    readonly variables?: Readonly<Record<string, string>>;
    readonly smartHost?: Omit<FakeSmartHostOptions, 'tls'>;
  } = {},
): Promise<LanRelay> {
  const redis = await useTestRedis();
  const smartHost = await startFakeSmartHost({ ...options.smartHost, tls: 'none' });
  let stack: RelayStack;
  try {
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: smartHost.port, tls: 'none' },
      variables: { SMTP_RELAY_NETWORKS: '127.0.0.0/8', ...options.variables },
    });
  } catch (error) {
    // A listening smart host would keep the test process alive after the failure.
    await smartHost.close();
    await redis.cleanup();
    throw error;
  }
  return {
    redisUrl: redis.url,
    smartHost,
    stack,
    async close() {
      const codes = await stack.stop();
      await smartHost.close();
      await redis.cleanup();
      return codes;
    },
  };
}
