/**
 * SMTP_MAX_CLIENTS_PER_IP: concurrent connections per client address in this
 * process (both listeners together). Counted in memory, not in Redis: a
 * connection lives on one replica, and a crashed replica must not leave counts
 * behind. Each session is counted once and released once, whatever order
 * smtp-server reports its end in.
 */
export interface ConnectionsPerIp {
  /** Counts the session unless its address is at the limit; false = refuse it. */
  open(sessionId: string, address: string): boolean;
  /** The session ended (no-op for one that was never counted). */
  close(sessionId: string): void;
  count(address: string): number;
}

export function createConnectionsPerIp(maxPerAddress: number): ConnectionsPerIp {
  const counts = new Map<string, number>();
  const sessions = new Map<string, string>();
  const count = (address: string): number => counts.get(address) ?? 0;

  return {
    open(sessionId, address) {
      if (sessions.has(sessionId)) return true;
      if (count(address) >= maxPerAddress) return false;
      counts.set(address, count(address) + 1);
      sessions.set(sessionId, address);
      return true;
    },
    close(sessionId) {
      const address = sessions.get(sessionId);
      if (address === undefined) return;
      sessions.delete(sessionId);
      const remaining = count(address) - 1;
      if (remaining > 0) counts.set(address, remaining);
      else counts.delete(address);
    },
    count,
  };
}
