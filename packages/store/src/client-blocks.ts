import { isIP } from 'node:net';

// Client addresses that ingress refuses with 421 on connect (docs/reference.md "Abuse
// protection"): blocked after too many failed AUTHs, or by a filter rule with the
// S flag. Shared by every ingress replica through Redis; read and lifted by the
// admin API and `npx smtp-relay blocks`.

export const BLOCK_REASONS = ['auth', 'filter'] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

export interface ClientBlock {
  /** Canonical form (see canonicalClientAddress). */
  readonly address: string;
  readonly reason: BlockReason;
  /** When the block ends, epoch ms. */
  readonly until: number;
}

export interface BlockOutcome {
  /** The block in force now. */
  readonly block: ClientBlock;
  /** false when an existing block already lasted at least as long (it is kept as it is). */
  readonly created: boolean;
}

/** SMTP_AUTH_MAX_FAILURES within SMTP_AUTH_FAILURE_WINDOW block for SMTP_AUTH_BLOCK_TIME. */
export interface AuthFailureLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

export interface AuthFailureOutcome {
  /** Failures from the address within the window, this one included. */
  readonly failures: number;
  /** Set once the failures reached the limit: the address is blocked. */
  readonly blocked: BlockOutcome | undefined;
}

/** What the admin API and the CLI need: read and lift. */
export interface ClientBlockList {
  isBlocked(address: string): Promise<ClientBlock | undefined>;
  /** Blocks in force, soonest end first. */
  list(): Promise<ClientBlock[]>;
  /** Ends the block (and forgets the failures counted); false when there was none. */
  lift(address: string): Promise<boolean>;
}

/** What ingress needs as well. */
export interface ClientBlocks extends ClientBlockList {
  /** Counts one failed AUTH; blocks the address when the limit is reached. */
  recordAuthFailure(address: string): Promise<AuthFailureOutcome>;
  /** Blocks for `ms`, unless a block that lasts longer is already in force. */
  block(address: string, ms: number, reason: BlockReason): Promise<BlockOutcome>;
}

/** The Redis key names, in one place: `<QUEUE_PREFIX>:blocks:*`. */
export interface ClientBlockKeys {
  /** Hash {reason, until} with its TTL at `until`. */
  block(address: string): string;
  /** Sorted set of failure times within the window. */
  failures(address: string): string;
  /** Sorted set address -> until, so blocks can be listed without SCAN. */
  readonly index: string;
}

export function clientBlockKeys(prefix: string): ClientBlockKeys {
  return {
    block: (address) => `${prefix}:blocks:block:${address}`,
    failures: (address) => `${prefix}:blocks:failures:${address}`,
    index: `${prefix}:blocks:index`,
  };
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * One spelling per address, so that a block set from one form is found from another:
 * an IPv4-mapped IPv6 address (`::ffff:192.0.2.7`, what a dual-stack listener reports)
 * is the IPv4 address, IPv6 is lower-case and compressed (`2001:db8::7`), brackets and
 * a zone index are dropped. undefined for anything that is not an IP address.
 */
export function canonicalClientAddress(text: string): string | undefined {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  address = address.replace(/%.*$/, '');
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped?.[1] !== undefined) address = mapped[1];
  switch (isIP(address)) {
    case 4:
      return address;
    case 6:
      // The WHATWG URL parser serialises IPv6 per RFC 5952.
      return new URL(`http://[${address}]/`).hostname.slice(1, -1);
    default:
      return undefined;
  }
}

/** The address in canonical form, or a TypeError naming what was given. */
export function requireClientAddress(text: string): string {
  const address = canonicalClientAddress(text);
  if (address === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
  return address;
}

export function isBlockReason(value: unknown): value is BlockReason {
  return (BLOCK_REASONS as readonly unknown[]).includes(value);
}
