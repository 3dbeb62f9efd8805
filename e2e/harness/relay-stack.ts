import { randomBytes } from 'node:crypto';
import { getFreePort } from '@smtp-relay/testkit';
import { startRelayProcess, type RelayProcess } from './relay-process.ts';

export interface RelayStackOptions {
  readonly redisUrl: string;
  /** Where the sender relays to (the fake smart host). */
  readonly smartHost: { readonly port: number; readonly tls: 'implicit' | 'starttls' | 'none' };
  /** `.env`-style variables for both services (SMTP_AUTH_FILE, RETRY_DELAYS...). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Start an SMTPS listener too. */
  readonly smtps?: boolean;
  /** Start only ingress (no sender). */
  readonly withoutSender?: boolean;
}

export interface RelayStack {
  readonly prefix: string;
  readonly smtpPort: number;
  readonly smtpsPort: number | undefined;
  readonly ingress: RelayProcess;
  /** The first sender; throws when the stack was started without one. */
  readonly sender: RelayProcess;
  /** Starts a (further) sender process with the same settings. */
  startSender(): Promise<RelayProcess>;
  /** SIGTERM both; resolves with their exit codes. */
  stop(): Promise<(number | null)[]>;
}

/**
 * Ingress and sender as two local processes, each started with the command and
 * environment docker-compose.yml gives its container, on loopback ports, with a
 * queue prefix of their own on the test Redis.
 */
export async function startRelayStack(options: RelayStackOptions): Promise<RelayStack> {
  const prefix = `e2e-${randomBytes(6).toString('hex')}`;
  const smtpPort = await getFreePort();
  const smtpsPort = options.smtps ? await getFreePort() : undefined;
  const shared = {
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: prefix,
    SMTP_HOSTNAME: 'relay.test',
    LOG_LEVEL: 'debug',
  };
  const variables = { ...options.variables };
  const ingress = await startRelayProcess({
    service: 'ingress',
    variables,
    overrides: {
      ...shared,
      SMTP_PORT: String(smtpPort),
      ...(smtpsPort === undefined ? {} : { SMTPS_PORT: String(smtpsPort) }),
    },
  });
  const senders: RelayProcess[] = [];
  const startSender = async (): Promise<RelayProcess> => {
    const sender = await startRelayProcess({
      service: 'sender',
      variables: {
        SMART_HOST: '127.0.0.1',
        SMART_HOST_PORT: String(options.smartHost.port),
        SMART_HOST_TLS: options.smartHost.tls,
        ...variables,
      },
      overrides: shared,
    });
    senders.push(sender);
    return sender;
  };
  if (!options.withoutSender) await startSender();
  return {
    prefix,
    smtpPort,
    smtpsPort,
    ingress,
    get sender(): RelayProcess {
      const [first] = senders;
      if (!first) throw new Error('this stack runs no sender');
      return first;
    },
    startSender,
    async stop() {
      return Promise.all([ingress.stop(), ...senders.map((s) => s.stop())]);
    },
  };
}
