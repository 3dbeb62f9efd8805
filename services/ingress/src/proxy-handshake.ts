import type net from 'node:net';
import { readProxyHeader, type ProxiedSource } from './proxy-header.ts';

export type ProxyHandshakeResult =
  | { readonly ok: true; readonly source: ProxiedSource | undefined }
  | {
      readonly ok: false;
      readonly reason: string;
      /** The peer went away (a load balancer's TCP health check does that). */
      readonly peerLeft: boolean;
    };

/**
 * Reads the PROXY header off a freshly accepted socket before anything else sees
 * a byte of it, and puts back what followed it (the SMTP commands, or the TLS
 * ClientHello on an implicit TLS listener). On failure the socket is destroyed
 * without a word: a proxy that speaks no PROXY protocol, or a peer that is not
 * a proxy, gets no SMTP greeting. The caller bounds the wait (SMTP_SOCKET_TIMEOUT).
 */
export function readProxyHandshake(
  socket: net.Socket,
  done: (result: ProxyHandshakeResult) => void,
): void {
  let received = Buffer.alloc(0);
  let finished = false;

  const finish = (result: ProxyHandshakeResult): void => {
    if (finished) return;
    finished = true;
    socket.off('readable', onReadable);
    socket.off('error', onError);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    if (!result.ok) {
      // A late EPIPE/ECONNRESET must not become an uncaught 'error'.
      socket.on('error', () => undefined);
      socket.destroy();
    }
    done(result);
  };
  const onReadable = (): void => {
    let chunk: unknown;
    while (!finished && (chunk = socket.read()) !== null) {
      if (!Buffer.isBuffer(chunk)) continue;
      received = Buffer.concat([received, chunk]);
      const header = readProxyHeader(received);
      if (header.status === 'incomplete') continue;
      if (header.status === 'invalid') {
        finish({ ok: false, reason: header.reason, peerLeft: false });
        return;
      }
      const rest = received.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      finish({ ok: true, source: header.source });
    }
  };
  const onError = (error: Error): void => {
    finish({ ok: false, reason: error.message, peerLeft: false });
  };
  const onEnd = (): void => {
    finish({ ok: false, reason: 'connection ended before the PROXY header', peerLeft: true });
  };
  const onClose = (): void => {
    finish({ ok: false, reason: 'connection closed before the PROXY header', peerLeft: true });
  };
  socket.on('readable', onReadable);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('close', onClose);
}
