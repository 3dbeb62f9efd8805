import ipaddr from 'ipaddr.js';
import { InvalidValueError, quote } from './errors.ts';
import { isIP, isIPv6, parseNetworkList } from './network-values.ts';

// Who may relay without AUTH when the relay runs in a container (docs/adr/001). A client
// on the Docker host reaches ingress through the engine: its address is the gateway of
// the container network, in the engine's bridge ranges. So do clients Docker's userland
// proxy forwards from anywhere (IPv6 clients of an IPv4 network, every client under
// Docker Desktop). Trusting those ranges is safe only while the SMTP port is published on
// loopback: then only this machine can reach it.

/** SMTP_RELAY_NETWORKS keyword: the container engines' bridge ranges, while on loopback. */
export const CONTAINER_BRIDGES = 'container-bridges';

/** Docker's default address pools (172.17-172.31) and Podman's pool for named networks. */
export const CONTAINER_BRIDGE_NETWORKS: readonly string[] = ['172.16.0.0/12', '10.89.0.0/16'];

export interface RelayNetworksSetting {
  /** the networks listed explicitly */
  readonly networks: readonly string[];
  /** the `container-bridges` keyword was given */
  readonly containerBridges: boolean;
}

/** SMTP_RELAY_NETWORKS: CIDRs (parseNetworkList) and/or the `container-bridges` keyword. */
export function parseRelayNetworks(text: string): RelayNetworksSetting {
  const entries = text.split(/[\s,]+/);
  const isKeyword = (entry: string) => entry.toLowerCase() === CONTAINER_BRIDGES;
  return {
    networks: parseNetworkList(entries.filter((entry) => !isKeyword(entry)).join(',')),
    containerBridges: entries.some(isKeyword),
  };
}

const PUBLISH_PORTS = /^(?:\d{1,5}(?:-\d{1,5})?)?$/;

/**
 * SMTP_PUBLISHED_ON: the host side of the compose file's SMTP port mapping (its
 * SMTP_PUBLISH), as Compose reads it: `2525` (every interface), `127.0.0.1:2525`,
 * `[::1]:2525`, `192.0.2.10:2525-2530`, `127.0.0.1:` (a random port).
 */
export function parsePublishAddress(text: string): string {
  if (publishHost(text) !== null) return text;
  throw new InvalidValueError(
    `must be where docker-compose.yml publishes the SMTP port (its SMTP_PUBLISH): a port such as 2525, or an IP address and port such as 127.0.0.1:2525 or [::1]:2525, got ${quote(text)}`,
  );
}

/** The host address of a publish spec; '' for every interface, null when malformed. */
function publishHost(text: string): string | null {
  if (PUBLISH_PORTS.test(text) && text !== '') return '';
  const bracketed = /^\[(?<host>[^\]]+)\]:(?<ports>.*)$/.exec(text);
  const plain = /^(?<host>[^:[\]]+):(?<ports>.*)$/.exec(text);
  const groups = bracketed?.groups ?? plain?.groups;
  const host = groups?.['host'] ?? '';
  const ports = groups?.['ports'] ?? 'x';
  if (!PUBLISH_PORTS.test(ports)) return null;
  if (bracketed !== null ? !isIPv6(host) : !isIP(host)) return null;
  return host;
}

/** Whether a published port can be reached from this machine only. */
export function isLoopbackPublish(publishedOn: string): boolean {
  const host = publishHost(publishedOn);
  if (host === null || host === '') return false;
  let address = ipaddr.parse(host);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) {
    address = address.toIPv4Address();
  }
  return address.range() === 'loopback';
}

/** Why the keyword trusts nothing in this set-up, or undefined when it trusts the bridges. */
export function containerBridgesRefusal(
  publishedOn: string | undefined,
  smtpsPort: number | undefined,
): string | undefined {
  if (publishedOn === undefined) {
    return 'SMTP_PUBLISHED_ON is not set (docker-compose.yml sets it to where it publishes the SMTP port)';
  }
  if (!isLoopbackPublish(publishedOn)) {
    return `SMTP is published beyond this machine (SMTP_PUBLISHED_ON=${publishedOn}, from SMTP_PUBLISH)`;
  }
  if (smtpsPort !== undefined) {
    return `SMTPS_PORT is set, and a port published by a compose override file cannot be seen from here`;
  }
  return undefined;
}

/** The networks ingress trusts: the explicit ones, plus the bridges if the keyword applies. */
export function effectiveRelayNetworks(
  setting: RelayNetworksSetting,
  publishedOn: string | undefined,
  smtpsPort: number | undefined,
): readonly string[] {
  const bridges =
    setting.containerBridges && containerBridgesRefusal(publishedOn, smtpsPort) === undefined
      ? CONTAINER_BRIDGE_NETWORKS
      : [];
  return [...new Set([...setting.networks, ...bridges])];
}

type Network = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseCidr(cidr: string): Network {
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  // `::ffff:10.0.0.0/104` is what the relay policy reads as 10.0.0.0/8
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && prefix >= 96) {
    return [address.toIPv4Address(), prefix - 96];
  }
  return [address, prefix];
}

/** Whether `outer` holds every address of `inner` (both normalised CIDRs). */
export function networkCovers(outer: string, inner: string): boolean {
  const [outerAddress, outerPrefix] = parseCidr(outer);
  const [innerAddress, innerPrefix] = parseCidr(inner);
  if (outerAddress.kind() !== innerAddress.kind() || outerPrefix > innerPrefix) return false;
  return outerAddress instanceof ipaddr.IPv4
    ? innerAddress.match(outerAddress, outerPrefix)
    : (innerAddress as ipaddr.IPv6).match(outerAddress, outerPrefix);
}

/** The explicit entries that trust a whole container bridge range (e.g. 172.16.0.0/12, 10.0.0.0/8). */
export function bridgeCoveringNetworks(networks: readonly string[]): readonly string[] {
  return networks.filter((network) =>
    CONTAINER_BRIDGE_NETWORKS.some((bridge) => networkCovers(network, bridge)),
  );
}

/** The entries that hold `address` (an IPv4 or IPv6 address, no prefix). */
export function networksHolding(networks: readonly string[], address: string): readonly string[] {
  const host = `${address}/${ipaddr.parse(address).kind() === 'ipv4' ? '32' : '128'}`;
  return networks.filter((network) => networkCovers(network, host));
}
