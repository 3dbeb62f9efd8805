import type { Pop3Config } from '@smtp-relay/config';
import { createRouteClient, type RouteClientOptions } from '../failover/route-client.ts';
import type { SmartHostClient } from '../smart-host-client.ts';
import { createLoginGate } from './login-gate.ts';
import { isPop3Error } from './pop3-error.ts';
import { pop3Login } from './pop3-login.ts';

// Mercury's "authenticate via prior POP3 connection" (docs/reference.md "POP3
// before SMTP"): the smart host relays for an address that logged in to its
// POP3 server a short while ago. The gate sits before every message, not only
// before a new connection: a pooled connection can outlive the server's
// window, and such servers check the address at MAIL or RCPT, answering 5xx
// (a bounce) once the window has passed.

export interface Pop3BeforeSmtpOptions extends RouteClientOptions {
  readonly pop3: Pop3Config;
  /** Milliseconds on a monotonic clock (the login gate's); for tests. */
  readonly now?: () => number;
}

/**
 * The route's client (its smart hosts with failover), with a POP3 login at most once
 * per SMART_HOST_POP3_INTERVAL before its messages. The login takes the place of SMTP
 * AUTH (as in Mercury): the credentials are the POP3 mailbox's, so they are not
 * offered to the smart host. The gate comes first: a failed POP3 login is not a
 * failure of any smart host, so it never cools one down.
 */
export function createPop3BeforeSmtpClient(options: Pop3BeforeSmtpOptions): SmartHostClient {
  const { pop3, smartHost, logger } = options;
  const { user, password } = smartHost;
  // The configuration rules require both (docs/reference.md "POP3 before SMTP").
  if (user === undefined || password === undefined) {
    throw new Error('POP3 before SMTP needs SMART_HOST_USER and SMART_HOST_PASSWORD');
  }
  const smtp = createRouteClient({
    ...options,
    smartHost: { ...smartHost, user: undefined, password: undefined, authMethods: undefined },
  });
  const stopping = new AbortController();
  const where = { host: pop3.host, port: pop3.port, tls: pop3.tls };
  const gate = createLoginGate({
    intervalMs: pop3.intervalMs,
    ...(options.now ? { now: options.now } : {}),
    login: async () => {
      try {
        await pop3Login({
          ...where,
          user,
          password,
          tlsVerify: smartHost.tlsVerify,
          extraCa: options.extraCa,
          timeoutMs: options.timeoutMs,
          signal: stopping.signal,
        });
      } catch (error) {
        // Once per failed login, not once per delivery waiting for it.
        logger.error(
          {
            event: 'pop3.failed',
            ...where,
            user,
            command: isPop3Error(error) ? error.command : undefined,
            reply: isPop3Error(error) ? error.response : undefined,
            error: error instanceof Error ? error.message : String(error),
          },
          'POP3 login before SMTP failed: deliveries are held',
        );
        throw error;
      }
      logger.info({ event: 'pop3.login', ...where, user }, 'logged in to POP3 before SMTP');
    },
  });
  return {
    async send(envelope, body, sendOptions) {
      await gate.ensure();
      return smtp.send(envelope, body, sendOptions);
    },
    close() {
      stopping.abort();
      return smtp.close();
    },
  };
}
