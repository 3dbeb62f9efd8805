import { isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
type Network = readonly [address: IpAddress, prefixLength: number];

/** The networks allowed to relay without AUTH (SMTP_RELAY_NETWORKS). */
export interface RelayNetworks {
  /** False, never an exception, for garbage, empty or undefined input. */
  contains(address: string | undefined): boolean;
}

/**
 * Only dotted-quad decimal IPv4: ipaddr.js (like inet_aton) also reads `10.1`,
 * `0x0a.0.0.1` and octal `010.0.0.1` (= 8.0.0.1), surprises no allow-list should have.
 * IPv6 text must pass inet_pton (node:net), which is as strict about an embedded
 * dotted quad.
 */
function parseAddress(text: string): IpAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (isIPv6(text)) return ipaddr.IPv6.parse(withHexTail(text));
  return undefined;
}

const DOTTED_TAIL = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)(%.*)?$/;

/**
 * `::10.1.2.3` -> `::a01:203`. ipaddr.js 2.5 reads an IPv4-compatible address
 * (`::a.b.c.d`, RFC 4291 2.5.5.1, deprecated) as the IPv4-mapped `::ffff:a.b.c.d`,
 * which would let such a peer match IPv4 networks; written in hex it stays the
 * IPv6 address it is. Mapped ones (`::ffff:a.b.c.d`) are unaffected.
 */
function withHexTail(text: string): string {
  const match = DOTTED_TAIL.exec(text);
  if (match === null) return text;
  const [, head = '', a, b, c, d, zone = ''] = match;
  const group = (high: string | undefined, low: string | undefined): string =>
    ((Number(high) << 8) | Number(low)).toString(16);
  return `${head}${group(a, b)}:${group(c, d)}${zone}`;
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, how dual-stack sockets report IPv4
 * peers) as IPv4, so a client gets the same answer whichever socket it reached.
 * Nothing else is unwrapped: IPv4-compatible `::10.1.2.3`, NAT64 `64:ff9b::10.1.2.3`
 * and 6to4 addresses are IPv6 peers and match IPv6 networks only (RFC 4291 2.5.5).
 */
function unmapped(address: IpAddress): IpAddress {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()
    ? address.toIPv4Address()
    : address;
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a single host). Host bits below
 * the prefix are allowed (`192.168.1.10/24` means 192.168.1.0/24). A mapped range
 * such as `::ffff:10.0.0.0/104` is kept as the IPv4 range it denotes.
 */
function parseNetwork(entry: string): Network | undefined {
  const [addressText = '', prefixText, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || addressText.includes('%')) return undefined;
  const address = parseAddress(addressText);
  if (address === undefined) return undefined;
  const maxPrefix = address.kind() === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefixLength = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (prefixLength > maxPrefix) return undefined;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && prefixLength >= 96) {
    return [address.toIPv4Address(), prefixLength - 96];
  }
  return [address, prefixLength];
}

export function isValidRelayNetwork(entry: string): boolean {
  return parseNetwork(entry) !== undefined;
}

/**
 * Builds the relay allow-list. Blank entries (a trailing comma) are ignored; an
 * invalid one throws a RangeError naming every invalid entry, because an allow-list
 * that silently drops a typo fails in ways nobody notices.
 */
export function createRelayNetworks(entries: readonly string[]): RelayNetworks {
  const networks: Network[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    if (entry.trim() === '') continue;
    const network = parseNetwork(entry);
    if (network === undefined) invalid.push(entry);
    else networks.push(network);
  }
  if (invalid.length > 0) {
    throw new RangeError(
      `invalid relay network(s): ${invalid.map((entry) => JSON.stringify(entry)).join(', ')}; ` +
        'expected an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or 2001:db8::/32',
    );
  }
  return {
    contains(text) {
      if (typeof text !== 'string') return false;
      const parsed = parseAddress(text);
      if (parsed === undefined) return false;
      const address = unmapped(parsed);
      return networks.some(
        ([network, prefixLength]) =>
          network.kind() === address.kind() && address.match(network, prefixLength),
      );
    },
  };
}
