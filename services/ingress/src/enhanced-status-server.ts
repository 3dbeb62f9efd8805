import type net from 'node:net';
import type tls from 'node:tls';
import type { SMTPConnection, SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { GuardedConnection } from './guarded-connection.ts';
import { GuardedSmtpServer } from './guarded-server.ts';
import { runHeloCheck, type HeloCheck } from './helo-check.ts';

// With ENHANCEDSTATUSCODES advertised (SPEC), smtp-server derives the enhanced
// code from the basic code alone: 550 always becomes 5.1.1 and the 250 after
// DATA 2.6.0, where the contract needs "550 5.7.1 ..." and "250 2.0.0 Ok:
// queued as ...". Our replies therefore carry their own enhanced code at the
// start of the text, and this connection sends such a text as it is. The
// server's own replies (syntax errors, 452 too many recipients...) keep the
// library's codes. Pinned smtp-server version; covered by the reply tests.
const LEADING_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;

class OwnEnhancedCodeConnection extends GuardedConnection {
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string' && LEADING_ENHANCED_CODE.test(data)) {
      super.send(code, data, false);
      return;
    }
    super.send(code, data, context);
  }

  // smtp-server has no HELO/EHLO hook; the transaction filter's H rules need one.
  override handler_EHLO(command: Buffer, callback: () => void): void {
    runHeloCheck(this, heloCheckOf(this), command, callback, () => {
      super.handler_EHLO(command, callback);
    });
  }

  override handler_HELO(command: Buffer, callback: () => void): void {
    runHeloCheck(this, heloCheckOf(this), command, callback, () => {
      super.handler_HELO(command, callback);
    });
  }
}

function heloCheckOf(connection: SMTPConnection): HeloCheck | undefined {
  return connection._server instanceof EnhancedStatusSmtpServer
    ? connection._server.heloCheck
    : undefined;
}

export class EnhancedStatusSmtpServer extends GuardedSmtpServer {
  /** Called before each HELO/EHLO (see helo-check.ts); set by createIngressServer. */
  heloCheck: HeloCheck | undefined;

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
