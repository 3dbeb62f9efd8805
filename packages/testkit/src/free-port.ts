import net from 'node:net';

/**
 * Asks the kernel for a free loopback port by binding to port 0 and closing again.
 * Another process may take the port before the caller binds it, so callers that spawn
 * servers on it should retry with a fresh port when the bind fails.
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`Unexpected listening address ${String(address)}`));
        return;
      }
      server.close(() => {
        resolve(address.port);
      });
    });
  });
}
