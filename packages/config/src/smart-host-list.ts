import { InvalidValueError, quote } from './errors.ts';
import { isIPv6, parseHostOrAddress, parsePort } from './network-values.ts';

// SMART_HOST as an ordered list (docs/reference.md "Failover, routes and rate limits"):
// `primary.example:587,backup.example:465`. A port is optional per entry; the entry's
// TLS mode is decided later, with the preset and SMART_HOST_PORT (build-smart-host.ts).

/** One entry as written: its own port, or undefined (SMART_HOST_PORT or the preset's applies). */
export interface SmartHostEntry {
  readonly host: string;
  readonly port: number | undefined;
}

const EXAMPLE = 'such as mail.example.com, mail.example.com:465 or [2001:db8::1]:587';

function parseEntry(entry: string): SmartHostEntry {
  // A bare IPv6 address has colons but no port: `2001:db8::1` stays one host.
  if (isIPv6(entry)) return { host: entry, port: undefined };
  if (entry.includes('://')) {
    throw new InvalidValueError(
      `entry ${quote(entry)}: give the host without a scheme, ${EXAMPLE}`,
    );
  }
  const match = /^(?:\[(?<v6>[^\]]*)\]|(?<name>[^:[\]]*))(?::(?<port>[^:]*))?$/.exec(entry);
  const groups = match?.groups;
  if (groups === undefined) {
    throw new InvalidValueError(
      `entry ${quote(entry)}: must be host or host:port, an IPv6 address in brackets to add a port, ${EXAMPLE}`,
    );
  }
  const v6 = groups['v6'];
  if (v6 !== undefined && !isIPv6(v6)) {
    throw new InvalidValueError(
      `entry ${quote(entry)}: only an IPv6 address goes in brackets, got ${quote(v6)}`,
    );
  }
  const reasons: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      reasons.push(...error.reasons.map((reason) => `entry ${quote(entry)}: ${reason}`));
      return undefined;
    }
  };
  const host = v6 ?? attempt(() => parseHostOrAddress(groups['name'] ?? ''));
  const portText = groups['port'];
  const port = portText === undefined ? undefined : attempt(() => parsePort(portText));
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  return { host: host ?? '', port };
}

/**
 * `a.example:587, b.example` → entries in order. White space around entries is trimmed and
 * empty entries (a trailing comma) are skipped, as in the other list variables; each bad
 * entry is its own reason. (A host listed twice is a rule: its port may come from elsewhere.)
 */
export function parseSmartHostList(text: string): readonly SmartHostEntry[] {
  const entries: SmartHostEntry[] = [];
  const reasons: string[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    try {
      entries.push(parseEntry(item));
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      reasons.push(...error.reasons);
    }
  }
  const [first, ...rest] = reasons;
  if (first !== undefined) throw new InvalidValueError(first, ...rest);
  if (entries.length === 0) throw new InvalidValueError(`must name a host, ${EXAMPLE}`);
  return entries;
}

/** `mail.example.com:587`, `[2001:db8::1]:587`: how a host and port are written back. */
export function formatHostAndPort(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${String(port)}`;
}
