import type { SMTPServer } from 'smtp-server';
import { AdaptedConnection } from './adapted-connection.ts';
import type { ClientConnection } from './server-behaviour.ts';

/**
 * Calls `visit` for each open connection of a server made by createSmtpServer.
 * smtp-server keeps them in `connections`, adds each when its socket is handed
 * over and removes it when it closes (or is told 421).
 */
export function forEachConnection(
  server: SMTPServer,
  visit: (connection: ClientConnection) => void,
): void {
  for (const connection of server.connections) {
    const handle = AdaptedConnection.handleOf(connection);
    if (handle) visit(handle);
  }
}

/** How many connections the server still has open (sessions, not pending sockets). */
export function openConnectionCount(server: SMTPServer): number {
  return server.connections.size;
}
