import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withTimeout } from './settle-within.ts';

// Low-cardinality labels only: categories and reply classes, never addresses,
// message ids or free-text errors.
export interface RelayMetrics {
  readonly registry: Registry;
  readonly messagesReceived: Counter;
  readonly messagesRejected: Counter<'reason'>;
  readonly smtpReplies: Counter<'class'>;
  readonly authFailures: Counter;
  readonly messagesDelivered: Counter;
  readonly messagesDeferred: Counter<'category'>;
  readonly messagesBounced: Counter<'category'>;
  readonly systemicFailures: Counter<'category'>;
  readonly deliveryLatency: Histogram;
  readonly bytesReceived: Counter;
  /** Requests to the OAuth2 token endpoint, by result (issued, failed). */
  readonly oauth2TokenRequests: Counter<'result'>;
  /** No usable access token, by reason (unreachable, invalid_grant, invalid_client, refused, token_rejected). */
  readonly oauth2Failures: Counter<'reason'>;
  /** Client addresses ingress blocked, by reason (auth, filter). */
  readonly clientBlocks: Counter<'reason'>;
  /** Connections ingress refused before the greeting, by reason (per-ip-limit, blocked-auth, blocked-filter, shutting-down). */
  readonly connectionsRefused: Counter<'reason'>;
  /** Connection-level failures (refused, TLS, 421 greeting, AUTH) that put a smart host in cool-down. */
  readonly smartHostFailures: Counter<'route' | 'host'>;
  /** Outcomes of delivery attempts per route: delivered, deferred, bounced, held, throttled. */
  readonly routeAttempts: Counter<'route' | 'outcome'>;
}

export function createMetrics(): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'smtp_relay_process_' });
  const registers = [registry];
  return {
    registry,
    messagesReceived: new Counter({
      name: 'smtp_relay_messages_received_total',
      help: 'Messages accepted by ingress and queued (250 sent)',
      registers,
    }),
    bytesReceived: new Counter({
      name: 'smtp_relay_received_bytes_total',
      help: 'Bytes of messages accepted by ingress',
      registers,
    }),
    messagesRejected: new Counter({
      name: 'smtp_relay_messages_rejected_total',
      help: 'Transactions ingress refused or could not queue, by reason',
      labelNames: ['reason'],
      registers,
    }),
    smtpReplies: new Counter({
      name: 'smtp_relay_smtp_replies_total',
      help: 'Replies ingress gave (every refusal and the 250 of a queued message), by class',
      labelNames: ['class'],
      registers,
    }),
    authFailures: new Counter({
      name: 'smtp_relay_auth_failures_total',
      help: 'Failed SMTP AUTH attempts at ingress',
      registers,
    }),
    messagesDelivered: new Counter({
      name: 'smtp_relay_messages_delivered_total',
      help: 'Messages the smart host accepted for all their recipients',
      registers,
    }),
    messagesDeferred: new Counter({
      name: 'smtp_relay_messages_deferred_total',
      help: 'Delivery attempts that ended in a retry later, by category',
      labelNames: ['category'],
      registers,
    }),
    messagesBounced: new Counter({
      name: 'smtp_relay_messages_bounced_total',
      help: 'Messages (or some of their recipients) given up on, by category',
      labelNames: ['category'],
      registers,
    }),
    systemicFailures: new Counter({
      name: 'smtp_relay_systemic_failures_total',
      help: 'Attempts that failed because of our own smart-host settings (credentials, TLS, configuration)',
      labelNames: ['category'],
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'smtp_relay_delivery_latency_seconds',
      help: 'Time from acceptance by ingress to acceptance by the smart host',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600, 14400, 86400],
      registers,
    }),
    oauth2TokenRequests: new Counter({
      name: 'smtp_relay_oauth2_token_requests_total',
      help: 'Requests this process made to the OAuth2 token endpoint, by result',
      labelNames: ['result'],
      registers,
    }),
    oauth2Failures: new Counter({
      name: 'smtp_relay_oauth2_failures_total',
      help: 'Times no usable OAuth2 access token could be had (mail is held), by reason',
      labelNames: ['reason'],
      registers,
    }),
    clientBlocks: new Counter({
      name: 'smtp_relay_client_blocks_total',
      help: 'Client addresses blocked by this ingress (refused until the block ends), by reason',
      labelNames: ['reason'],
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'smtp_relay_connections_refused_total',
      help: 'Connections ingress refused with 421 before the greeting, by reason',
      labelNames: ['reason'],
      registers,
    }),
    smartHostFailures: new Counter({
      name: 'smtp_relay_smart_host_failures_total',
      help: 'Connection-level failures (refused, timeout, TLS, 421 greeting, AUTH) that put a smart host in cool-down, by route and host',
      labelNames: ['route', 'host'],
      registers,
    }),
    routeAttempts: new Counter({
      name: 'smtp_relay_route_attempts_total',
      help: 'How delivery attempts ended per route: delivered, deferred, bounced, held (systemic), throttled (waited without an attempt)',
      labelNames: ['route', 'outcome'],
      registers,
    }),
  };
}

const QUEUE_DEPTH_TIMEOUT_MS = 1000;

/**
 * Queue depth by state, read when /metrics is scraped (not on a timer). When
 * Redis is down or hung the gauge keeps its last values: a failing or hanging
 * collector would take every other metric down with it, exactly when they
 * matter most.
 */
export function registerQueueDepth(
  metrics: RelayMetrics,
  readCounts: () => Promise<Record<string, number>>,
): void {
  new Gauge({
    name: 'smtp_relay_queue_messages',
    help: 'Messages in the queue by state',
    labelNames: ['state'],
    registers: [metrics.registry],
    async collect() {
      const counts = await withTimeout(
        readCounts().catch(() => undefined),
        QUEUE_DEPTH_TIMEOUT_MS,
        () => undefined,
      );
      for (const [state, count] of Object.entries(counts ?? {})) this.set({ state }, count);
    },
  });
}

/**
 * Age of the oldest message per unfinished state, read at scrape time like the
 * queue depth and with the same rule: a state the read left out (Redis down,
 * hung) keeps its last value rather than failing the scrape.
 */
export function registerOldestMessageAge(
  metrics: RelayMetrics,
  readAges: () => Promise<Partial<Record<string, number>>>,
): void {
  new Gauge({
    name: 'smtp_relay_queue_oldest_message_age_seconds',
    help: 'Seconds since ingress accepted the oldest message in the queue, by state (0 when none)',
    labelNames: ['state'],
    registers: [metrics.registry],
    async collect() {
      const ages = await withTimeout(
        readAges().catch(() => undefined),
        QUEUE_DEPTH_TIMEOUT_MS,
        () => undefined,
      );
      for (const [state, age] of Object.entries(ages ?? {})) {
        if (age !== undefined) this.set({ state }, age);
      }
    },
  });
}

/** What the route gauges show of one route (the sender's route status report). */
export interface RouteGaugeSample {
  readonly name: string;
  readonly hosts: readonly {
    readonly host: string;
    readonly port: number;
    readonly coolingDownMs: number;
  }[];
  readonly pausedMs: number;
  readonly heldMs: number;
  readonly connectionLimit: number | null;
}

/**
 * Per route and smart host, read when /metrics is scraped, like the queue
 * depth: host up/down and cool-down left, the route's throttling pause, its
 * systemic hold and its lowered connection limit (0 = not lowered).
 */
export function registerRouteGauges(
  metrics: RelayMetrics,
  readRoutes: () => Promise<readonly RouteGaugeSample[]>,
): void {
  const registers = [metrics.registry];
  let latest: Promise<readonly RouteGaugeSample[] | undefined> | undefined;
  // One read per scrape for all the gauges below.
  const read = (): Promise<readonly RouteGaugeSample[] | undefined> => {
    latest ??= withTimeout(
      readRoutes().catch(() => undefined),
      QUEUE_DEPTH_TIMEOUT_MS,
      () => undefined,
    ).finally(() => {
      latest = undefined;
    });
    return latest;
  };
  const hostGauge = (name: string, help: string, value: (coolingDownMs: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['route', 'host'],
      registers,
      async collect() {
        for (const route of (await read()) ?? []) {
          for (const host of route.hosts) {
            this.set(
              { route: route.name, host: `${host.host}:${String(host.port)}` },
              value(host.coolingDownMs),
            );
          }
        }
      },
    });
  hostGauge(
    'smtp_relay_smart_host_up',
    'Whether a smart host of a route is up (1) or cooling down (0)',
    (ms) => (ms > 0 ? 0 : 1),
  );
  hostGauge(
    'smtp_relay_smart_host_cooldown_seconds',
    'Cool-down left of a smart host of a route (0 when up)',
    (ms) => ms / 1000,
  );
  const routeGauge = (name: string, help: string, value: (route: RouteGaugeSample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['route'],
      registers,
      async collect() {
        for (const route of (await read()) ?? []) this.set({ route: route.name }, value(route));
      },
    });
  routeGauge(
    'smtp_relay_route_paused_seconds',
    'Pause left of a route after its smart host said it throttles (0 = not paused)',
    (route) => route.pausedMs / 1000,
  );
  routeGauge(
    'smtp_relay_route_held_seconds',
    'Systemic hold left of a route (credentials, TLS, keys; 0 = not held)',
    (route) => route.heldMs / 1000,
  );
  routeGauge(
    'smtp_relay_route_connection_limit',
    'Connections a route may use at once after "too many connections" replies (0 = not lowered)',
    (route) => route.connectionLimit ?? 0,
  );
}
