import type { TransactionFilter } from '../filter/transaction-filter.ts';
import type { ClientBlocking } from './client-blocking.ts';
import type { ConnectionsPerIp } from './connections-per-ip.ts';
import type { LogLimiter } from './log-limiter.ts';

/** What the SMTP hooks of every listener of this process share. */
export interface AbuseProtection {
  /** SMTP_MAX_CLIENTS_PER_IP (this process, both listeners together). */
  readonly connections: ConnectionsPerIp;
  /** AUTH failure counting and client blocks, shared by every replica (Redis). */
  readonly blocking: ClientBlocking;
  /** SMTP_FILTER_FILE; undefined when it is not set. */
  readonly filter: TransactionFilter | undefined;
  /** Refusals a client can repeat in a loop log once per address and minute at most. */
  readonly refusalLog: LogLimiter;
}
