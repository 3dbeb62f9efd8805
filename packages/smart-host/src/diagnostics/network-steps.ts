import { lookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import {
  describeError,
  errorCode,
  failed,
  passed,
  type DiagnosticStep,
} from './diagnostic-step.ts';
import { seconds } from './smtp-probe.ts';

// Name resolution and the TCP connection: the two steps where "the smart host
// is unreachable" is usually decided, and where the variable to change is
// SMART_HOST or SMART_HOST_PORT (or a firewall nobody configured here).

export interface Resolved {
  readonly step: DiagnosticStep;
  readonly addresses: readonly string[];
}

export async function resolveHost(host: string): Promise<Resolved> {
  if (isIP(host) !== 0) {
    return {
      step: passed('resolve', `${host} is an IP address`, { addresses: [host] }),
      addresses: [host],
    };
  }
  try {
    const found = await lookup(host, { all: true });
    const addresses = found.map((entry) => entry.address);
    return {
      step: passed('resolve', `${host} -> ${addresses.join(', ')}`, { addresses }),
      addresses,
    };
  } catch (error) {
    const code = errorCode(error);
    const cause =
      code === 'ENOTFOUND' || code === 'ENODATA'
        ? `SMART_HOST ${host} does not resolve: check its spelling (SMART_HOST_PROVIDER sets it for known providers)`
        : `SMART_HOST ${host} could not be resolved (${code ?? 'error'}): check this machine's DNS servers, or set SMART_HOST to an IP address`;
    return {
      step: failed('resolve', `lookup of ${host} failed: ${describeError(error)}`, {
        cause,
        variable: 'SMART_HOST',
      }),
      addresses: [],
    };
  }
}

export interface Connected {
  readonly step: DiagnosticStep;
  readonly socket: Socket | undefined;
  readonly address: string | undefined;
}

/** Tries the addresses in the order the resolver gave them, as a client library would. */
export async function connectToHost(
  addresses: readonly string[],
  port: number,
  timeoutMs: number,
): Promise<Connected> {
  const failures: { address: string; error: unknown }[] = [];
  for (const address of addresses) {
    try {
      const socket = await openSocket(address, port, timeoutMs);
      const earlier = failures.map(
        (failure) => `${failure.address}: ${describeError(failure.error)}`,
      );
      const detail = `connected to ${endpoint(address, port)}${earlier.length > 0 ? ` (after ${earlier.join('; ')})` : ''}`;
      return { step: passed('connect', detail, { address, port }), socket, address };
    } catch (error) {
      failures.push({ address, error });
    }
  }
  const last = failures.at(-1);
  const code = errorCode(last?.error);
  const tried = failures
    .map((failure) => `${endpoint(failure.address, port)}: ${describeError(failure.error)}`)
    .join('; ');
  return {
    step: failed('connect', `no connection: ${tried}`, {
      cause: connectAdvice(code, port, timeoutMs),
      variable: code === 'ETIMEDOUT' || code === 'ECONNREFUSED' ? 'SMART_HOST_PORT' : 'SMART_HOST',
    }),
    socket: undefined,
    address: undefined,
  };
}

function connectAdvice(code: string | undefined, port: number, timeoutMs: number): string {
  switch (code ?? '') {
    case 'ECONNREFUSED':
      return `Nothing accepts connections on port ${String(port)} there: check SMART_HOST_PORT (587 for STARTTLS, 465 for implicit TLS, 25) and SMART_HOST.`;
    case 'ETIMEDOUT':
      return `No answer within ${seconds(timeoutMs)}: a firewall drops the packets (many clouds block outbound port 25), or SMART_HOST or SMART_HOST_PORT is wrong.`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'No route to the smart host from this machine: check the network, or SMART_HOST.';
    default:
      return 'The connection failed: check SMART_HOST, SMART_HOST_PORT and the network between this machine and the smart host.';
  }
}

function endpoint(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${String(port)}` : `${address}:${String(port)}`;
}

/** A TCP connection, or an error with code ETIMEDOUT after `timeoutMs`. */
export function openSocket(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        Object.assign(new Error(`no TCP connection within ${seconds(timeoutMs)}`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
  });
}
