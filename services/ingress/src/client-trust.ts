import type { SMTPServerSession } from 'smtp-server';

/** What trust is decided on: smtp-server's session, or the connection before it has one. */
export type ClientIdentity = Pick<SMTPServerSession, 'id' | 'remoteAddress'>;

/**
 * Whether a session is a trusted SMTP_RELAY_NETWORKS client: it may relay
 * without AUTH and is exempt from the refused-command limit. A session whose
 * PROXY header carried no client address (v2 LOCAL, v1 UNKNOWN: the load
 * balancer's own health check) has the proxy's own address as remoteAddress,
 * as the PROXY spec asks; the proxy usually sits inside the relay networks
 * (same Docker network), yet stands for nobody in particular, so such a session
 * is never trusted (docs/adr/009-socket-level-abuse-guards.md).
 */
export interface ClientTrust {
  readonly isRelayClient: (client: ClientIdentity) => boolean;
  /** The session came through the PROXY protocol without a client address. */
  readonly cameWithoutClientAddress: (sessionId: string) => boolean;
  /**
   * Records such a session before smtp-server sees it; the returned function
   * forgets it (call it when the connection closes, so the record stays bounded).
   */
  withoutClientAddress(sessionId: string): () => void;
}

export function createClientTrust(isRelayNetwork: (address: string) => boolean): ClientTrust {
  const withoutAddress = new Set<string>();
  return {
    isRelayClient: (client) =>
      !withoutAddress.has(client.id) && isRelayNetwork(client.remoteAddress),
    cameWithoutClientAddress: (sessionId) => withoutAddress.has(sessionId),
    withoutClientAddress(sessionId) {
      withoutAddress.add(sessionId);
      return () => {
        withoutAddress.delete(sessionId);
      };
    },
  };
}
