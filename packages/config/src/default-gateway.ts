import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

// Docker's userland proxy (IPv6 clients, everyone under Docker Desktop) hands every client
// of a published port the address of the container network's gateway (docs/adr/001).
// Inside the container that is the default route's gateway, which Linux lists in
// /proc/net/route for the process's own network namespace.

/** The IPv4 routing table of this process's network namespace (Linux only). */
const PROC_NET_ROUTE = '/proc/net/route';

// include/uapi/linux/route.h
const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const HEX_ADDRESS = /^[0-9a-f]{8}$/i;

/**
 * The IPv4 default gateway in the text of /proc/net/route, or undefined without one.
 * The kernel prints each address as a 32-bit number in the machine's byte order:
 * `010012AC` is 172.18.0.1 on a little-endian machine. Of several default routes the one
 * with the lowest metric is the one the kernel uses.
 */
export function defaultGatewayOf(table: string, byteOrder: 'LE' | 'BE' = 'LE'): string | undefined {
  const [header = '', ...lines] = table.split('\n');
  const columns = header.trim().split(/\s+/);
  const at = (name: string) => columns.indexOf(name);
  const [destination, gateway, flags, metric, mask] = [
    at('Destination'),
    at('Gateway'),
    at('Flags'),
    at('Metric'),
    at('Mask'),
  ];
  if ([destination, gateway, flags, metric, mask].includes(-1)) return undefined;

  let best: { address: string; metric: number } | undefined;
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    const field = (index: number) => fields[index] ?? '';
    const routeFlags = Number.parseInt(field(flags), 16);
    const isDefault = /^0{8}$/.test(field(destination)) && /^0{8}$/.test(field(mask));
    const hasGateway = (routeFlags & RTF_UP) !== 0 && (routeFlags & RTF_GATEWAY) !== 0;
    if (!isDefault || !hasGateway || !HEX_ADDRESS.test(field(gateway))) continue;
    const bytes = Buffer.from(field(gateway), 'hex');
    if (byteOrder === 'LE') bytes.reverse();
    const address = [...bytes].join('.');
    const routeMetric = Number(field(metric));
    if (address !== '0.0.0.0' && (best === undefined || routeMetric < best.metric)) {
      best = { address, metric: routeMetric };
    }
  }
  return best?.address;
}

/** This network namespace's IPv4 default gateway; undefined where there is no /proc (not Linux). */
export function readDefaultGateway(path: string = PROC_NET_ROUTE): string | undefined {
  let table: string;
  try {
    table = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return defaultGatewayOf(table, endianness());
}
