import net from 'node:net';
import {
  Command,
  INETProtocol,
  IPv4ProxyAddress,
  IPv6ProxyAddress,
  TransportProtocol,
  V1ProxyProtocol,
  V2ProxyProtocol,
} from 'proxy-protocol-js';

// PROXY protocol v1 and v2 (HAProxy's proxy-protocol.txt): a load balancer sends
// the client's address ahead of the connection's first byte. proxy-protocol-js
// (pinned) decodes a complete header; framing it out of a byte stream, the size
// limits and the checks that the addresses really are addresses are ours: the
// library parses v1 with `[^ ]+` for the addresses and treats everything after
// the v2 address block as "data", without looking at the header's length.

export interface ProxiedSource {
  readonly address: string;
  readonly port: number;
}

export type ProxyHeaderResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly reason: string }
  | {
      readonly status: 'complete';
      /** Bytes the header took; what follows belongs to SMTP (or TLS). */
      readonly length: number;
      /**
       * undefined for v2 LOCAL and v1 UNKNOWN (the proxy's own health check):
       * the spec says to use the connection's real endpoints then.
       */
      readonly source: ProxiedSource | undefined;
    };

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** "PROXY TCP6 <39> <39> <5> <5>\r\n": 107 bytes at most (spec 2.1). */
const V1_MAX_LENGTH = 107;
/** 16 fixed bytes + addresses (216 at most) + TLVs; HAProxy's own TLVs fit easily. */
const V2_MAX_LENGTH = 16 + 4096;

const INCOMPLETE = { status: 'incomplete' } as const;
const invalid = (reason: string): ProxyHeaderResult => ({ status: 'invalid', reason });

/** Whether `buffer` starts like `prefix` as far as both go. */
function startsLike(buffer: Buffer, prefix: Buffer): boolean {
  const length = Math.min(buffer.length, prefix.length);
  return buffer.subarray(0, length).equals(prefix.subarray(0, length));
}

/** Reads a PROXY header from the first bytes of a connection. */
export function readProxyHeader(buffer: Buffer): ProxyHeaderResult {
  if (buffer.length === 0) return INCOMPLETE;
  if (startsLike(buffer, V2_SIGNATURE)) return readV2(buffer);
  if (startsLike(buffer, V1_PREFIX)) return readV1(buffer);
  return invalid('not a PROXY protocol header');
}

function readV1(buffer: Buffer): ProxyHeaderResult {
  const lf = buffer.indexOf(0x0a);
  if (lf === -1) {
    return buffer.length >= V1_MAX_LENGTH ? invalid('v1 header too long') : INCOMPLETE;
  }
  if (lf + 1 > V1_MAX_LENGTH) return invalid('v1 header too long');
  if (buffer[lf - 1] !== 0x0d) return invalid('v1 header not ended by CRLF');
  const line = buffer.toString('latin1', 0, lf + 1);
  const length = lf + 1;
  // UNKNOWN: "the receiver must ignore anything presented before the CRLF".
  if (/^PROXY UNKNOWN[ \r]/.test(line)) return { status: 'complete', length, source: undefined };
  let header: V1ProxyProtocol;
  try {
    header = V1ProxyProtocol.parse(line);
  } catch {
    return invalid('malformed v1 header');
  }
  const family = header.inetProtocol === INETProtocol.TCP4 ? 4 : 6;
  const { source, destination } = header;
  if (net.isIP(source.ipAddress) !== family || net.isIP(destination.ipAddress) !== family) {
    return invalid(`v1 addresses are not ${header.inetProtocol} addresses`);
  }
  if (!isPort(source.port) || !isPort(destination.port)) return invalid('v1 port out of range');
  return {
    status: 'complete',
    length,
    source: { address: canonical(source.ipAddress, family), port: source.port },
  };
}

function readV2(buffer: Buffer): ProxyHeaderResult {
  if (buffer.length < 16) return INCOMPLETE;
  const length = 16 + buffer.readUInt16BE(14);
  if (length > V2_MAX_LENGTH) return invalid('v2 header too long');
  if (buffer.length < length) return INCOMPLETE;
  let header: V2ProxyProtocol;
  try {
    header = V2ProxyProtocol.parse(buffer.subarray(0, length));
  } catch (error) {
    // The library throws plain objects with a message, not Errors.
    const message = (error as { message?: unknown } | null)?.message;
    return invalid(`malformed v2 header: ${typeof message === 'string' ? message : 'unknown'}`);
  }
  // LOCAL: "the receiver must accept this connection as valid and must use the
  // real connection endpoints and discard the protocol block including the family".
  if (header.command === Command.LOCAL) return { status: 'complete', length, source: undefined };
  if (header.transportProtocol !== TransportProtocol.STREAM) {
    return invalid('v2 header is not for a TCP connection');
  }
  const address = header.proxyAddress;
  // UNSPEC and UNIX carry no client IP. The spec lets a receiver use the real
  // endpoint instead, but that is the proxy's own address, which may well be in
  // SMTP_RELAY_NETWORKS: refusing is the safe choice for a relay.
  if (address instanceof IPv4ProxyAddress) {
    return {
      status: 'complete',
      length,
      source: { address: address.sourceAddress.address.join('.'), port: address.sourcePort },
    };
  }
  if (address instanceof IPv6ProxyAddress) {
    const bytes = address.sourceAddress.address;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
    }
    return {
      status: 'complete',
      length,
      source: { address: canonical(groups.join(':'), 6), port: address.sourcePort },
    };
  }
  return invalid('v2 header carries no IPv4 or IPv6 address');
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65_535;
}

/** RFC 5952 text for IPv6 (`2001:db8::1`), as logs and Received: show it. */
function canonical(address: string, family: 4 | 6): string {
  if (family === 4) return address;
  return new net.SocketAddress({ address, family: 'ipv6' }).address;
}
