import { SentinelConnector, type SentinelConnectionOptions } from 'ioredis';

type ConnectArguments = Parameters<SentinelConnector['connect']>;

/** The part of ioredis's (private) failover detector this file touches. */
interface WithFailoverDetector {
  failoverDetector?: { cleanup(): void } | null;
}

/**
 * ioredis's SentinelConnector, except that each new connection attempt first
 * retires the failover detector of the previous connection
 * (docs/adr/017-sentinel-failover-detector.md).
 *
 * ioredis cleans that detector up only when it disconnects on purpose or once
 * the next connection is up. When the connection drops on its own (the
 * primary is killed), the old detector stays subscribed to the sentinels; a
 * +switch-master it hears while the next attempt is asking a sentinel for the
 * primary interrupts that attempt, and ioredis then ends the client for good:
 * every later command fails with "Connection is closed." An attempt that is
 * under way asks the sentinels anyway, so the old detector has nothing left
 * to do.
 */
export class SentinelConnectorWithoutStaleDetector extends SentinelConnector {
  // ioredis hands a `Connector` its own options, typed unknown.
  constructor(options: unknown) {
    super(options as SentinelConnectionOptions);
  }

  override connect(...args: ConnectArguments): ReturnType<SentinelConnector['connect']> {
    const connector = this as unknown as WithFailoverDetector;
    connector.failoverDetector?.cleanup();
    connector.failoverDetector = null;
    return super.connect(...args);
  }
}
