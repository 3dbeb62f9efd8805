import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { InvalidValueError, quote } from './errors.ts';

const SERVICE_LINK_HINT =
  ' (this looks like a Kubernetes service link variable: set enableServiceLinks: false in the pod spec)';

/** A TCP port. With `allowZero`, 0 means "off" (ADMIN_PORT). */
export function parsePort(text: string, { allowZero = false } = {}): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  const min = allowZero ? 0 : 1;
  if (port >= min && port <= 65_535) return port;
  // Kubernetes injects `<SERVICE>_PORT=tcp://10.0.0.7:2525` for a Service named e.g. "smtp".
  const hint = /^tcp:\/\//i.test(text) ? SERVICE_LINK_HINT : '';
  const range = allowZero ? '1-65535, or 0 for off' : '1-65535';
  throw new InvalidValueError(`must be a port number ${range}, got ${quote(text)}${hint}`);
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'i');
// Docker Compose service names may hold `_`, and Docker's DNS resolves them.
const RESOLVABLE_LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const RESOLVABLE_NAME = new RegExp(`^${RESOLVABLE_LABEL}(?:\\.${RESOLVABLE_LABEL})*$`, 'i');
const MAX_NAME_LENGTH = 253;

export function isDomainName(text: string): boolean {
  return text.length <= MAX_NAME_LENGTH && DOMAIN_NAME.test(text) && !isIPv4(text);
}

/** A name we announce in SMTP (greeting, EHLO, Received:): RFC 1123 letters, digits, `-`. */
export function parseDomainName(text: string): string {
  if (isDomainName(text)) return text;
  const reason = isIP(text)
    ? 'must be a domain name, not an address'
    : 'must be a domain name such as mail.example.com';
  throw new InvalidValueError(`${reason}, got ${quote(text)}`);
}

/** Strict IP syntax: dotted-quad IPv4 (no `10.1`, `0x0a...`, or leading zeros) or IPv6 without zone. */
export function isIP(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) || isIPv6(text);
}

export function isIPv6(text: string): boolean {
  return !text.includes('%') && ipaddr.IPv6.isValid(text);
}

function withoutBrackets(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

/** Where to connect to: a resolvable name or an address; `[2001:db8::1]` loses its brackets. */
export function parseHostOrAddress(text: string): string {
  const host = withoutBrackets(text);
  if (isIP(host) || (host.length <= MAX_NAME_LENGTH && RESOLVABLE_NAME.test(host))) return host;
  let hint = '';
  if (text.includes('://')) hint = ' (give the name alone, without a scheme)';
  else if (/^[^:]+:\d+$/.test(text)) hint = ' (set the port in the matching _PORT variable)';
  throw new InvalidValueError(`must be a host name or IP address, got ${quote(text)}${hint}`);
}

/**
 * SMTP_RELAY_NETWORKS: CIDRs separated by commas and/or white space. A bare address is
 * one host (/32 or /128). Entries are normalised (`2001:DB8::/32` → `2001:db8::/32`) and
 * de-duplicated. Each bad entry is its own reason.
 */
export function parseNetworkList(text: string): readonly string[] {
  const networks = new Set<string>();
  const reasons: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter((part) => part !== '')) {
    try {
      networks.add(parseNetwork(entry));
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      reasons.push(...error.reasons);
    }
  }
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  return [...networks];
}

function parseNetwork(entry: string): string {
  const [address = '', prefix, ...extra] = entry.split('/');
  const maxPrefix = ipaddr.IPv4.isValidFourPartDecimal(address) ? 32 : isIPv6(address) ? 128 : 0;
  const prefixLength =
    prefix === undefined ? maxPrefix : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (maxPrefix === 0 || extra.length > 0 || prefixLength < 0 || prefixLength > maxPrefix) {
    throw new InvalidValueError(
      `entries must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8, got ${quote(entry)}`,
    );
  }
  const parsed = ipaddr.parse(address);
  const network = (
    parsed.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefixLength}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefixLength}`)
  ).toString();
  const normalised = `${network}/${prefixLength}`;
  // `192.168.1.5/16` is far more often a typo for /24 or /32 than a wish for the /16: refuse it.
  if (network !== parsed.toString()) {
    throw new InvalidValueError(
      `${quote(entry)} has host bits set: write ${quote(normalised)} if you mean that network`,
    );
  }
  return normalised;
}

/** REDIS_URL. Never echoes the value: it may hold the Redis password. */
export function parseRedisUrl(text: string): string {
  const expected = 'must be a redis:// or rediss:// URL such as redis://redis:6379';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidValueError(`${expected}, got something that is not a URL`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidValueError(`${expected}, got a URL with scheme ${quote(url.protocol)}`);
  }
  if (url.hostname === '') throw new InvalidValueError(`${expected}, got a URL without a host`);
  if (!/^(?:\/\d*)?$/.test(url.pathname)) {
    throw new InvalidValueError(`must have a database number as its path (redis://redis:6379/0)`);
  }
  return text;
}

/** `mailpit:1025`, `[2001:db8::1]:25`: a host and its port in one value. */
export function parseHostAndPort(text: string): { readonly host: string; readonly port: number } {
  const match = /^(?<host>.+):(?<port>\d{1,5})$/.exec(text);
  if (match?.groups === undefined) {
    throw new InvalidValueError(`must be host:port such as mailpit:1025, got ${quote(text)}`);
  }
  return {
    host: parseHostOrAddress(match.groups['host'] ?? ''),
    port: parsePort(match.groups['port'] ?? ''),
  };
}
