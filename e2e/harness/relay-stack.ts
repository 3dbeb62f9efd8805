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
  /** Set directly in ingress's environment, for variables docker-compose.yml does not pass. */
  readonly ingressOverrides?: Readonly<Record<string, string>>;
}

export interface RelayStack {
  readonly prefix: string;
  readonly smtpPort: number;
  readonly smtpsPort: number | undefined;
  /** The current ingress process. */
  readonly ingress: RelayProcess;
  /** The newest running sender (else the newest); throws when the stack runs none. */
  readonly sender: RelayProcess;
  /** Starts a (further) sender process with the same settings. */
  startSender(): Promise<RelayProcess>;
  /** Starts ingress again (after stop or kill) on the same port. */
  restartIngress(): Promise<RelayProcess>;
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
  const startIngress = (): Promise<RelayProcess> =>
    startRelayProcess({
      service: 'ingress',
      variables,
      overrides: {
        ...shared,
        SMTP_PORT: String(smtpPort),
        ...(smtpsPort === undefined ? {} : { SMTPS_PORT: String(smtpsPort) }),
        ...options.ingressOverrides,
      },
    });
  let ingress = await startIngress();
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
    get ingress(): RelayProcess {
      return ingress;
    },
    async restartIngress() {
      ingress = await startIngress();
      return ingress;
    },
    get sender(): RelayProcess {
      const alive = senders.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      const newest = alive.at(-1) ?? senders.at(-1);
      if (!newest) throw new Error('this stack runs no sender');
      return newest;
    },
    startSender,
    /** Running processes only: a killed one is not stopped again. */
    async stop() {
      const running = [ingress, ...senders].filter(
        (p) => p.child.exitCode === null && p.child.signalCode === null,
      );
      return Promise.all(running.map((p) => p.stop()));
    },
  };
}
