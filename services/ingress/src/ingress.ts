import { readFile } from 'node:fs/promises';
import type { IngressConfig } from '@smtp-relay/config';
import {
  CLOSE_STEP_MS,
  INGRESS_AFTER_DRAIN_MS,
  SMTP_CLOSE_MS,
  closeRedis,
  settleWithin,
  startTranscripts,
  watchRedis,
  type Logger,
  type ReadinessCheck,
  type RelayMetrics,
  type StopBudget,
} from '@smtp-relay/observability';
import { createRelayNetworks } from '@smtp-relay/policy';
import { createDeliveryProducer, createDeliveryQueue, type QueueAccess } from '@smtp-relay/queue';
import {
  connectRedis,
  createRedisMessageStore,
  createReplicaWait,
  createThroughputRecorder,
} from '@smtp-relay/store';
import { createAbuseProtection } from './abuse/create-abuse-protection.ts';
import { createCredentialsFile } from './credentials-file.ts';
import { drainSessions } from './drain.ts';
import { createMessageIntake } from './message-intake.ts';
import { createSendersFile } from './sender-rules/senders-file.ts';
import { createIngressServer } from './server.ts';
import type { EnhancedStatusSmtpServer } from './enhanced-status-server.ts';

export interface Ingress {
  /** Opens the SMTP (and SMTPS) listeners. */
  listen(): Promise<void>;
  /** Stops accepting, lets sessions in DATA finish, closes Redis; all within `budget`. */
  close(budget: StopBudget): Promise<void>;
  readonly readiness: readonly ReadinessCheck[];
  /** Resolves if ioredis gives up on the Redis connection for good (watchRedis). */
  readonly redisLost: Promise<void>;
  /** Bound ports after listen(), for tests and logs. */
  ports(): { smtp: number | undefined; smtps: number | undefined };
  /** For the admin API and queue metrics. */
  readonly queueAccess: QueueAccess;
}

export interface IngressDependencies {
  readonly config: IngressConfig;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
}

/**
 * Redis calls during DATA are bounded so a hung Redis gives the client
 * `451 4.3.0` within its socket timeout (smtp-server pauses its own idle timer
 * while onData runs).
 */
function storeTimeoutFor(socketTimeoutMs: number): number {
  return Math.max(1000, Math.min(10_000, Math.floor(socketTimeoutMs / 3)));
}

export async function createIngress(deps: IngressDependencies): Promise<Ingress> {
  const { config, logger, metrics } = deps;
  const storeTimeoutMs = storeTimeoutFor(config.socketTimeoutMs);

  // Fail fast instead of queueing commands while Redis is away: a command that
  // ran later than its 451 would create a duplicate when the client retries.
  const redis = connectRedis(config.redis, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: storeTimeoutMs,
    // A command sent just before the connection dropped may have run already:
    // sending it again could store a chunk twice under a 250.
    autoResendUnfulfilledCommands: false,
    connectionName: 'smtp-relay-ingress',
  });
  const redisLost = watchRedis(redis, logger, 'ingress');

  const store = createRedisMessageStore({ redis, prefix: config.queuePrefix });
  const queue = createDeliveryQueue({ connection: redis, prefix: config.queuePrefix });
  queue.on('error', (error: Error) => {
    logger.debug({ event: 'queue.error', err: error }, 'queue error');
  });
  const producer = createDeliveryProducer(queue);
  const throughput = createThroughputRecorder({ redis, prefix: config.queuePrefix });
  const intake = createMessageIntake({
    store,
    producer,
    storeTimeoutMs,
    replicas:
      config.redisWaitReplicas > 0 ? createReplicaWait(redis, config.redisWaitReplicas) : undefined,
    readSubject: config.historyRetentionMs > 0,
    throughput,
  });
  const credentials = config.authFile
    ? await createCredentialsFile({ path: config.authFile, logger })
    : undefined;
  const senders = config.sendersFile
    ? await createSendersFile({ path: config.sendersFile, logger })
    : undefined;
  const relayNetworks = createRelayNetworks(config.relayNetworks);
  const abuse = await createAbuseProtection({ config, redis, logger, metrics });
  // Same CIDR matching as SMTP_RELAY_NETWORKS (IPv4-mapped peers included).
  const proxyPeers = config.proxyProtocol ? createRelayNetworks(config.proxyTrusted) : undefined;
  const tls = config.tls
    ? { key: await readFile(config.tls.keyFile), cert: await readFile(config.tls.certFile) }
    : undefined;

  const transcripts =
    config.transcriptDir === undefined
      ? undefined
      : startTranscripts({
          dir: config.transcriptDir,
          retentionMs: config.transcriptRetentionMs,
          logger,
        });

  let shuttingDown = false;
  const serverFor = (implicitTls: boolean): EnhancedStatusSmtpServer =>
    createIngressServer({
      settings: {
        hostname: config.smtpHostname,
        implicitTls,
        tls,
        allowInsecureAuth: config.allowInsecureAuth,
        maxMessageSize: config.maxMessageSize,
        maxRecipients: config.maxRecipients,
        maxClients: config.maxClients,
        maxClientsPerIp: config.maxClientsPerIp,
        socketTimeoutMs: config.socketTimeoutMs,
        greetingDelayMs: config.greetingDelayMs,
        // What smtp-server's close() still waits for after the drain (stuck
        // sessions): its share of the stop budget.
        closeTimeoutMs: SMTP_CLOSE_MS,
        tlsMinVersion: config.tlsMinVersion,
      },
      logger,
      metrics,
      intake,
      credentials,
      isRelayNetwork: (address) => relayNetworks.contains(address),
      isShuttingDown: () => shuttingDown,
      abuse: abuse.protection,
      isTrustedProxy: proxyPeers ? (address) => proxyPeers.contains(address) : undefined,
      transcripts: transcripts?.writer,
      senderRules: senders && (() => senders.rules()),
    });
  const smtp = serverFor(false);
  const smtps = config.smtpsPort === undefined ? undefined : serverFor(true);
  const listening = { smtp: false, smtps: false };
  const ports = (): { smtp: number | undefined; smtps: number | undefined } => ({
    smtp: boundPort(smtp),
    smtps: smtps ? boundPort(smtps) : undefined,
  });

  return {
    async listen() {
      await listenOn(smtp, config.smtpPort, config.smtpHost);
      listening.smtp = true;
      if (smtps && config.smtpsPort !== undefined) {
        await listenOn(smtps, config.smtpsPort, config.smtpHost);
        listening.smtps = true;
      }
      logger.info(
        {
          event: 'smtp.listening',
          ...ports(),
          host: config.smtpHost,
          auth: credentials !== undefined,
          tls: tls !== undefined,
          // who may relay without AUTH (container-bridges resolved: docs/adr/001)
          relayNetworks: config.relayNetworks,
        },
        'ingress listening',
      );
    },
    async close(budget) {
      shuttingDown = true;
      const servers = smtps ? [smtp, smtps] : [smtp];
      // Transactions in progress get what is left once the steps below have
      // their share (stop-budget.ts); idle sessions hear 421 at once.
      const deadlineMs = budget.until(INGRESS_AFTER_DRAIN_MS);
      await Promise.all(servers.map((server) => drainSessions(server, { deadlineMs, metrics })));
      await Promise.all(servers.map(closeServer));
      listening.smtp = false;
      listening.smtps = false;
      credentials?.close();
      senders?.close();
      abuse.close();
      // Bounded: with Redis gone these would wait for a reconnection.
      const closeStepMs = (): number => budget.atMost(CLOSE_STEP_MS);
      if (transcripts) await settleWithin(transcripts.close(), closeStepMs(), budget.clock);
      await settleWithin(throughput.close(), closeStepMs(), budget.clock);
      await settleWithin(queue.close(), closeStepMs(), budget.clock);
      await closeRedis(redis, closeStepMs(), budget.clock);
    },
    redisLost,
    readiness: [
      {
        name: 'redis',
        check: async () => {
          if (redis.status !== 'ready') return `redis ${redis.status}`;
          await redis.ping();
          return undefined;
        },
      },
      {
        name: 'smtp',
        check: () =>
          Promise.resolve(listening.smtp && !shuttingDown ? undefined : 'SMTP listener not up'),
      },
    ],
    ports,
    queueAccess: { queue, store, redis, prefix: config.queuePrefix },
  };
}

function listenOn(server: EnhancedStatusSmtpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: EnhancedStatusSmtpServer): Promise<void> {
  if (!server.server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

function boundPort(server: EnhancedStatusSmtpServer): number | undefined {
  const address = server.server.address();
  return address !== null && typeof address === 'object' ? address.port : undefined;
}
