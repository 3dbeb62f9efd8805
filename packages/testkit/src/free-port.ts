import { readFileSync } from 'node:fs';
import net from 'node:net';

// Ports handed out here lie below the kernel's ephemeral range (on Linux
// /proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default). A port the
// kernel picked for `listen(0)` could be given to any outgoing connection as
// its source port between our close and the server's bind: with many tests
// connecting at once that happened (EADDRINUSE at start-up). Below the range
// only another test's explicit choice can collide, which the test bind here
// and the callers' retries cover.

const LOWEST = 20_000;

function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return start !== undefined && start > LOWEST + 1000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGHEST = ephemeralStart() - 1;

/** Binds `port` on loopback and closes again: whether it is free right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * A free loopback port, chosen at random below the ephemeral range. Another
 * process may still take it before the caller binds it, so callers that spawn
 * servers on it should retry with a fresh port when the bind fails.
 */
export async function getFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port found between ${String(LOWEST)} and ${String(HIGHEST)}`);
}
