import net from 'node:net';

/**
 * One raw `PING` round trip. Resolves true only on `+PONG`: while Redis loads its AOF
 * it answers `-LOADING`, and tests must not start before the data is back.
 */
export function pingRedis(port: number, timeoutMs = 1_000, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let received = '';
    const finish = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => {
      finish(false);
    }, timeoutMs);
    socket.once('error', () => {
      finish(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const lineEnd = received.indexOf('\r\n');
      if (lineEnd !== -1) finish(received.slice(0, lineEnd) === '+PONG');
    });
    socket.once('close', () => {
      finish(false);
    });
  });
}
