import type { Logger, RelayMetrics } from '@smtp-relay/observability';
import {
  createSmartHostClient,
  type SmartHostClient,
  type SmartHostClientOptions,
  type SmartHostError,
  type SmartHostSendResult,
} from '../smart-host-client.ts';
import { mostTellingError } from './failover-errors.ts';
import { hostFailure } from './host-failure.ts';
import type { HostActivityLog } from '../route-status/host-activity.ts';
import { hostKey, type HostHealth, type HostHealthStore } from './host-health-store.ts';

// One route's smart hosts (SMART_HOST as a list) behind one client, tried in
// order (docs/reference.md "Failover, routes and rate limits"): a host that
// fails at connection level is cooled down for every replica and the same
// attempt moves on to the next at once. Each host keeps its own connection pool.

export interface RouteClientOptions extends SmartHostClientOptions {
  /** The route's name (DEFAULT_ROUTE_NAME for the SMART_HOST_* variables): in keys, events, metrics. */
  readonly route: string;
  readonly health: HostHealthStore;
  readonly metrics: Pick<RelayMetrics, 'smartHostFailures'>;
  /**
   * Hosts this replica read as all healthy are taken to be so for this long
   * (docs/adr/014-redis-work-per-delivery.md); 0: every send reads their health.
   */
  readonly healthyForMs?: number;
  /** Monotonic milliseconds for healthyForMs; tests step it by hand. */
  readonly monotonicNow?: () => number;
  /** Each host's last reply and success, for the dashboard (route-status/host-activity.ts). */
  readonly activity?: HostActivityLog | undefined;
}

/** How late another replica's cool-down of a host may reach this one. */
const HEALTHY_FOR_MS = 250;

interface RouteHost {
  readonly key: string;
  readonly client: SmartHostClient;
}

/** A SmartHostClient over `smartHost.hosts` with ordered failover and shared cool-downs. */
export function createRouteClient(options: RouteClientOptions): SmartHostClient {
  const { route, health, metrics, smartHost } = options;
  // The configuration never builds an empty list; a hand-made one must not mean "always cooling down".
  if (smartHost.hosts.length === 0) throw new Error(`route ${route} has no smart host`);
  const hosts: readonly RouteHost[] = smartHost.hosts.map((endpoint) => ({
    key: hostKey(endpoint),
    client: createSmartHostClient({
      ...options,
      smartHost: { ...smartHost, host: endpoint.host, port: endpoint.port, tls: endpoint.tls },
    }),
  }));
  const keys = hosts.map((host) => host.key);
  // docs/adr/014: a send reads the hosts' health at most every healthyForMs
  // while they are all healthy. A host another replica cools down meanwhile is
  // tried here until then: it fails (its cool-down is not extended, one outage
  // counts once) and the send moves on to the next host, as it would have had
  // that failure been the first. A failure seen here is read again at once.
  const healthyForMs = options.healthyForMs ?? HEALTHY_FOR_MS;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  let healthySeenAt: number | undefined;
  /** Moves with each failure recorded here: a read sent before it may be stale. */
  let failures = 0;
  const allHealthy: ReadonlyMap<string, HostHealth> = new Map(
    keys.map((key) => [key, { coolingDownMs: 0, failures: 0 }]),
  );
  /** A read sent since the last failure here, which sends starting meanwhile share. */
  let reading:
    | { readonly state: Promise<ReadonlyMap<string, HostHealth>>; readonly failures: number }
    | undefined;
  function readHealth(): Promise<ReadonlyMap<string, HostHealth>> {
    if (healthySeenAt !== undefined && monotonicNow() - healthySeenAt < healthyForMs) {
      return Promise.resolve(allHealthy);
    }
    if (reading?.failures === failures) return reading.state;
    const before = failures;
    const at = monotonicNow();
    const state = health.read(route, keys).then((read) => {
      const healthy = [...read.values()].every((h) => h.coolingDownMs <= 0 && h.failures === 0);
      healthySeenAt = healthy && before === failures ? at : undefined;
      return read;
    });
    reading = { state, failures };
    void state
      .finally(() => {
        if (reading?.state === state) reading = undefined;
      })
      .catch(() => undefined);
    return state;
  }

  /** Redis trouble must not stop the failover itself: the host is then simply tried again. */
  async function recording<T>(
    logger: Logger,
    host: RouteHost,
    record: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await record();
    } catch (storeError) {
      logger.warn(
        { event: 'smart-host.health-unavailable', route, host: host.key, err: storeError },
        'could not record the health of the smart host',
      );
      return undefined;
    }
  }

  async function failed(
    logger: Logger,
    host: RouteHost,
    error: unknown,
    reason: string,
  ): Promise<void> {
    healthySeenAt = undefined;
    failures++;
    const change = await recording(logger, host, () =>
      health.recordFailure(route, host.key, smartHost.cooldownMs),
    );
    if (change?.started !== true) return;
    metrics.smartHostFailures.inc({ route, host: host.key });
    const shaped = error as SmartHostError;
    logger.warn(
      {
        event: 'smart-host.down',
        route,
        host: host.key,
        reason,
        code: shaped.code,
        responseCode: shaped.responseCode,
        error: shaped.message,
        cooldownMs: change.cooldownMs,
        failures: change.failures,
      },
      'smart host failed at connection level: skipped while it cools down',
    );
  }

  async function succeeded(
    logger: Logger,
    host: RouteHost,
    before: HostHealth | undefined,
  ): Promise<void> {
    // Only a host known to have failed costs a write: most messages cost one read.
    if (before === undefined || (before.failures === 0 && before.coolingDownMs === 0)) return;
    if ((await recording(logger, host, () => health.recordSuccess(route, host.key))) !== true) {
      return;
    }
    logger.info(
      { event: 'smart-host.up', route, host: host.key, failures: before.failures },
      'smart host took a message again after failing',
    );
  }

  /** For the dashboard only: never throws, whatever the reply looks like. */
  function noteReply(host: RouteHost, reply: () => string, succeeded: boolean): void {
    try {
      options.activity?.note(route, host.key, reply(), succeeded);
    } catch {
      // see above
    }
  }

  return {
    async send(envelope, body, sendOptions) {
      // Lines about hosts name the message they happened to, when the caller says which.
      const logger = sendOptions?.logger ?? options.logger;
      const state = await readHealth();
      const coolingMs = (host: RouteHost): number => state.get(host.key)?.coolingDownMs ?? 0;
      // A systemic hold's probe tries every host: it must learn whether any is back.
      const order: RouteHost[] =
        sendOptions?.ignoreCooldown === true
          ? [...hosts]
          : hosts.filter((host) => coolingMs(host) <= 0);
      // Every host is cooling down: the one back soonest is tried, alone. The
      // message is then deferred on RETRY_DELAYS with that host's own failure
      // (held, if it is our credentials), or goes out the moment the host is
      // back: with one smart host this is exactly what happened before
      // failover existed (docs/reference.md "Failover, routes and rate limits").
      if (order.length === 0) {
        const soonest = hosts.reduce((best, host) =>
          coolingMs(host) < coolingMs(best) ? host : best,
        );
        order.push(soonest);
      }
      const errors: unknown[] = [];
      for (const [index, host] of order.entries()) {
        let result: SmartHostSendResult;
        try {
          result = await host.client.send(envelope, body, sendOptions);
        } catch (error) {
          noteReply(host, () => replyOf(error), false);
          const { reason } = hostFailure(error);
          if (reason === undefined) throw error;
          errors.push(error);
          await failed(logger, host, error, reason);
          const next = order[index + 1];
          if (next !== undefined) {
            logger.info(
              { event: 'smart-host.failover', route, from: host.key, to: next.key, reason },
              'trying the next smart host of the route',
            );
          }
          continue;
        }
        // Outside the try: nothing after the smart host took the message may look like its failure.
        noteReply(host, () => result.response, true);
        await succeeded(logger, host, state.get(host.key));
        return result;
      }
      const [first, ...rest] = errors;
      throw mostTellingError([first, ...rest]);
    },
    async close() {
      await Promise.all(hosts.map((host) => host.client.close()));
    },
  };
}

/** The smart host's reply in a failed send, or the error's own words (a refused connection). */
function replyOf(error: unknown): string {
  const shaped = error as Partial<SmartHostError>;
  if (typeof shaped.response === 'string' && shaped.response !== '') return shaped.response;
  return error instanceof Error ? error.message : String(error);
}
