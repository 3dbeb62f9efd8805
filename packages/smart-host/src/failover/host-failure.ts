import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import type { SmartHostError } from '../smart-host-client.ts';

// Is this error a connection-level failure of one smart host, which moves the
// same attempt on to the next host and cools this one down (docs/reference.md
// "Failover, routes and rate limits")? Only failures of the session before MAIL
// qualify: a reply to MAIL, RCPT or DATA is the message's outcome, and a
// connection lost during the transaction may have left the message with the
// host (trying another could deliver it twice). First match wins; each row has
// a test in test/host-failure.test.ts.

/** Why a host is skipped: the `reason` of the smart-host.down event. */
export type HostFailureReason = 'unreachable' | 'greeting' | 'tls' | 'auth';

interface HostFailureRule {
  readonly name: string;
  readonly matches: (error: SmartHostError) => boolean;
  /** undefined: not this host's failure; the error is the attempt's outcome as it is. */
  readonly reason: HostFailureReason | undefined;
}

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  // A greeting that is not SMTP at all ("Invalid greeting"): something else listens there.
  'EPROTOCOL',
]);

// Node's and OpenSSL's words for a certificate it does not trust; nodemailer
// reports them as socket or connection errors, not ETLS.
const CERTIFICATE_ERROR =
  /certificate|self[- ]signed|unable to verify|altname|hostname\/ip does not match|CERT_|ERR_TLS_CERT/i;

const atGreeting = (error: SmartHostError): boolean =>
  ['CONN', 'EHLO', 'HELO'].includes((error.command ?? '').toUpperCase());

export const HOST_FAILURE_RULES: readonly HostFailureRule[] = [
  {
    name: 'failed during the transaction (MAIL, RCPT, DATA) or outside the session',
    matches: (e) => e.stage !== 'session',
    reason: undefined,
  },
  {
    // A connection cap, not an outage: the route lowers its concurrency
    // (route-limits) and the mail waits; failing over would only hammer the next
    // host harder. The classification's row decides, so the two never disagree.
    name: 'greeting says too many connections',
    matches: (e) => classifyDeliveryError(e).category === 'connection-limit',
    reason: undefined,
  },
  {
    // Our token endpoint failed before the host saw a token: every host would
    // fail the same way, so none of them is to blame (the mail is held instead).
    name: 'no OAuth2 token obtained',
    matches: (e) =>
      e.code === 'EOAUTH2' ||
      (e as { originalCode?: string }).originalCode === 'EOAUTH2' ||
      (e.code === 'EAUTH' && e.responseCode === undefined && e.command === 'AUTH XOAUTH2'),
    reason: undefined,
  },
  {
    // Our wiring, not the host (a token source missing).
    name: 'client misconfigured',
    matches: (e) => e.code === 'ECONFIG',
    reason: undefined,
  },
  {
    // 421 "service not available", or a 5xx refusing this relay's address: either
    // way this host will not take mail from us now; the next one may.
    name: 'greeting or EHLO refused',
    matches: (e) => e.responseCode !== undefined && e.responseCode >= 400 && atGreeting(e),
    reason: 'greeting',
  },
  {
    name: 'TLS failed (STARTTLS refused, handshake, certificate)',
    matches: (e) =>
      e.code === 'ETLS' ||
      (e.code !== undefined && NETWORK_CODES.has(e.code) && CERTIFICATE_ERROR.test(e.message)),
    reason: 'tls',
  },
  {
    name: 'authentication refused or not offered',
    matches: (e) => e.code === 'EAUTH' || e.code === 'ENOAUTH',
    reason: 'auth',
  },
  {
    name: 'connection refused, reset, timed out, DNS',
    matches: (e) => e.code !== undefined && NETWORK_CODES.has(e.code),
    reason: 'unreachable',
  },
  {
    name: 'anything else',
    matches: () => true,
    reason: undefined,
  },
];

export interface HostFailure {
  /** The matching row's name. */
  readonly rule: string;
  /** Why to skip this host; undefined when the error is the attempt's outcome as it is. */
  readonly reason: HostFailureReason | undefined;
}

export function hostFailure(error: unknown): HostFailure {
  const shaped: SmartHostError = error instanceof Error ? error : new Error(String(error));
  const rule = HOST_FAILURE_RULES.find((candidate) => candidate.matches(shaped));
  return { rule: rule?.name ?? 'anything else', reason: rule?.reason };
}
