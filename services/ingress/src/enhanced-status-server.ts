import type net from 'node:net';
import type tls from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';

// With ENHANCEDSTATUSCODES advertised (SPEC), smtp-server derives the enhanced
// code from the basic code alone: 550 always becomes 5.1.1 and the 250 after
// DATA 2.6.0, where the contract needs "550 5.7.1 ..." and "250 2.0.0 Ok:
// queued as ...". Our replies therefore carry their own enhanced code at the
// start of the text, and this connection sends such a text as it is. The
// server's own replies (syntax errors, 452 too many recipients...) keep the
// library's codes. Pinned smtp-server version; covered by the reply tests.
const LEADING_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

class OwnEnhancedCodeConnection extends SMTPConnection {
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string' && LEADING_ENHANCED_CODE.test(data)) {
      super.send(code, data, false);
      return;
    }
    super.send(code, data, context);
  }
}

export class EnhancedStatusSmtpServer extends SMTPServer {
  // Same steps as SMTPServer.connect, with our connection class.
  override connect(
    socket: net.Socket | tls.TLSSocket,
    socketOptions?: SMTPConnectionOptions | null,
  ): void {
    const connection = new OwnEnhancedCodeConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (error: Error) => {
      this._onError(error);
    });
    connection.on('connect', (data: unknown) => {
      this.emit('connect', data);
    });
    connection.init();
  }
}
