import { readFile } from 'node:fs/promises';
import {
  DEFAULT_ROUTE_NAME,
  type RouteConfig,
  type SenderConfig,
  type SmartHostConfig,
} from '@smtp-relay/config';
import type { Logger, RelayMetrics, TranscriptWriter } from '@smtp-relay/observability';
import {
  createPop3BeforeSmtpClient,
  createRedisRouteLimits,
  createRouteClient,
  createSharedOAuth2Tokens,
  type DkimSigner,
  type HostHealthStore,
  type SmartHostClient,
} from '@smtp-relay/smart-host';
import type { Redis } from 'ioredis';
import { createDeliveryHold, type HoldStore } from '../delivery-hold.ts';
import { createRedisHoldStore } from '../redis-hold-store.ts';
import { signBeforeSending, startDkimSigning } from '../sign-before-sending.ts';
import { holdTiming } from '../systemic-hold.ts';
import type { DeliveryRoute } from './delivery-route.ts';
import type { HostActivityLog } from '@smtp-relay/smart-host/route-status';

// Builds every route the sender delivers through: the default route (the
// SMART_HOST_* variables) and those of SMART_HOST_ROUTES_FILE, each with its
// own smart-host client (failover over its hosts, its credentials, POP3 before
// SMTP for the default route, DKIM), REWRITE_FROM, systemic hold and limits.
// The shared parts live in Redis, so every replica sees the same route.

/** A built route, with what its status report reads. */
export interface BuiltRoute extends DeliveryRoute {
  readonly smartHost: SmartHostConfig;
  /** null for the default route. */
  readonly match: RouteConfig['match'] | null;
  readonly holdStore: HoldStore;
}

export interface BuildRoutesOptions {
  readonly config: SenderConfig;
  /** A connection that answers at once (not the worker's). */
  readonly redis: Redis;
  /** BullMQ's rate limit key of the delivery queue: the one route's hold without a routes file. */
  readonly limiterKey: string;
  readonly health: HostHealthStore;
  /** Each smart host's last reply and success, for the dashboard. */
  readonly activity?: HostActivityLog | undefined;
  readonly transcripts: TranscriptWriter | undefined;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}

interface RouteParts {
  readonly name: string;
  readonly smartHost: SmartHostConfig;
  readonly match: RouteConfig['match'] | null;
  readonly rewriteFrom: string | undefined;
  readonly dkimKeysDir: string | undefined;
}

export async function buildRoutes(options: BuildRoutesOptions): Promise<BuiltRoute[]> {
  const { config } = options;
  const parts: RouteParts[] = [
    ...config.routes.map((route) => ({
      name: route.name,
      smartHost: route.smartHost,
      match: route.match,
      rewriteFrom: route.rewriteFrom,
      dkimKeysDir: route.dkimKeysDir,
    })),
    {
      name: DEFAULT_ROUTE_NAME,
      smartHost: config.smartHost,
      match: null,
      rewriteFrom: config.rewriteFrom,
      dkimKeysDir: config.dkimKeysDir,
    },
  ];
  // One signer per key directory: routes sharing DKIM_KEYS_DIR share its keys.
  const signers = new Map<string, Promise<DkimSigner>>();
  const signerFor = (dir: string): Promise<DkimSigner> => {
    let signer = signers.get(dir);
    if (signer === undefined) {
      signer = startDkimSigning(dir, options.logger);
      signers.set(dir, signer);
    }
    return signer;
  };
  const built: BuiltRoute[] = [];
  for (const route of parts) built.push(await buildRoute(route, options, signerFor));
  return built;
}

async function buildRoute(
  route: RouteParts,
  options: BuildRoutesOptions,
  signerFor: (dir: string) => Promise<DkimSigner>,
): Promise<BuiltRoute> {
  const { config, redis, logger, metrics } = options;
  const { smartHost } = route;
  const extraCa = smartHost.caFile === undefined ? undefined : await readFile(smartHost.caFile);
  const oauth2Tokens = createSharedOAuth2Tokens({
    smartHost,
    prefix: config.queuePrefix,
    clientTimeoutMs: config.clientTimeoutMs,
    redis,
    extraCa,
    logger,
    metrics,
  });
  const clientOptions = {
    smartHost,
    extraCa,
    heloName: config.heloName,
    timeoutMs: config.clientTimeoutMs,
    logger,
    route: route.name,
    health: options.health,
    activity: options.activity,
    metrics,
    ...(oauth2Tokens ? { oauth2Tokens } : {}),
    ...(options.transcripts ? { transcripts: options.transcripts } : {}),
  };
  // docs/reference.md "POP3 before SMTP": the SMART_HOST_* route's mailbox.
  const pop3 = route.match === null ? config.pop3 : undefined;
  const smartHostClient: SmartHostClient =
    pop3 === undefined
      ? createRouteClient(clientOptions)
      : createPop3BeforeSmtpClient({ ...clientOptions, pop3 });
  // docs/reference.md "DKIM signing": inside send(), after deliver.ts's rewriting.
  const client =
    route.dkimKeysDir === undefined
      ? smartHostClient
      : signBeforeSending(smartHostClient, await signerFor(route.dkimKeysDir), logger);
  // Without a routes file the one route holds the whole queue, as before routes
  // existed (docs/adr/003); with one, each route holds only its own jobs.
  const holdsQueue = config.routes.length === 0;
  const holdStore = createRedisHoldStore({
    redis,
    prefix: config.queuePrefix,
    route: holdsQueue ? undefined : route.name,
    limiterKey: options.limiterKey,
  });
  return {
    name: route.name,
    smartHost,
    match: route.match,
    client,
    rewriteFrom: route.rewriteFrom,
    hold: createDeliveryHold(holdStore, holdTiming(config.retryDelaysMs, config.clientTimeoutMs)),
    holdStore,
    holdsQueue,
    limits: createRedisRouteLimits({
      redis,
      prefix: config.queuePrefix,
      route: route.name,
      rate: smartHost.rate,
      recipientRate: smartHost.recipientRate,
    }),
  };
}
