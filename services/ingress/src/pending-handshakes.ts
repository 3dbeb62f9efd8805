/**
 * SMTP_MAX_CLIENTS_PER_IP for sockets that have no session yet: implicit-TLS
 * handshakes in progress, per peer address. The per-IP count of onConnect
 * starts only with the session, and smtp-server's maxClients counts these
 * sockets for every peer together, so without this one address could hold
 * every pending slot with handshakes trickled in slowly.
 */
export interface PendingHandshakes {
  /**
   * Counts one socket for the peer unless it is at the limit (undefined: refuse
   * it). The release may be called any number of times; it counts once.
   */
  admit(peer: string): (() => void) | undefined;
  count(peer: string): number;
}

export function createPendingHandshakes(maxPerPeer: number): PendingHandshakes {
  const counts = new Map<string, number>();
  const count = (peer: string): number => counts.get(peer) ?? 0;
  return {
    admit(peer) {
      if (count(peer) >= maxPerPeer) return undefined;
      counts.set(peer, count(peer) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const remaining = count(peer) - 1;
        // No entry for a peer with nothing pending: the map stays as small as the load.
        if (remaining > 0) counts.set(peer, remaining);
        else counts.delete(peer);
      };
    },
    count,
  };
}
