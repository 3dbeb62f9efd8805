import { INGRESS_REPLIES, type SmtpReply } from '@smtp-relay/smtp-errors';

export type PolicyDecision =
  | { readonly accept: true; readonly reason: 'authenticated' | 'relay-network' }
  | { readonly accept: false; readonly reason: 'relay-denied'; readonly reply: SmtpReply };

export interface RelayRequest {
  /** The SMTP AUTH user of the session, if any. */
  readonly authenticatedUser: string | undefined;
  /** True when the client's address is in SMTP_RELAY_NETWORKS. */
  readonly fromRelayNetwork: boolean;
  /** Whether this ingress offers AUTH at all (a credentials file is configured). */
  readonly authOffered: boolean;
}

/**
 * Who may relay: an authenticated user, or a client inside SMTP_RELAY_NETWORKS.
 * Everyone else is refused for EVERY recipient, whatever its form
 * (`user%host@relay`, source routes, address literals): this relay has no local
 * domains, so there is no address an outsider may send to (no open relay).
 */
export function decideRelay(request: RelayRequest): PolicyDecision {
  if (request.authenticatedUser !== undefined) return { accept: true, reason: 'authenticated' };
  if (request.fromRelayNetwork) return { accept: true, reason: 'relay-network' };
  return {
    accept: false,
    reason: 'relay-denied',
    reply: request.authOffered
      ? INGRESS_REPLIES.authenticationRequired
      : INGRESS_REPLIES.relayDenied,
  };
}
