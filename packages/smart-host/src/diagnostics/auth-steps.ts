import type { SmartHostConfig } from '@smtp-relay/config';
import { createLogger, RELAY_VERSION } from '@smtp-relay/observability';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { chooseMechanism, offeredMechanisms } from '../auth-mechanism.ts';
import type { OAuth2TokenProvider } from '../oauth2/token-provider.ts';
import {
  authenticate,
  connectionOptions,
  phase,
  type SmartHostClientOptions,
} from '../smart-host-client.ts';
import {
  classifyStepError,
  describeError,
  failed,
  passed,
  type DiagnosticStep,
} from './diagnostic-step.ts';

// AUTH: first what the smart host offers against what the configuration
// allows (a pure comparison of the EHLO reply), then a real login through the
// sender's own code (connectionOptions + authenticate of smart-host-client.ts),
// so a login that passes here is the login the sender does.

export interface Credentials {
  readonly user: string | undefined;
  /** 'password', 'oauth2' or undefined (no credentials: the smart host must accept this relay by address). */
  readonly kind: 'password' | 'oauth2' | undefined;
}

export function credentialsOf(smartHost: SmartHostConfig): Credentials {
  if (smartHost.user === undefined) return { user: undefined, kind: undefined };
  if (smartHost.oauth2 !== undefined) return { user: smartHost.user, kind: 'oauth2' };
  return { user: smartHost.user, kind: smartHost.password === undefined ? undefined : 'password' };
}

/** SASL mechanisms the smart host offers (after TLS) versus SMART_HOST_AUTH_METHODS. */
export function compareMechanisms(
  capabilities: readonly string[],
  smartHost: SmartHostConfig,
): DiagnosticStep {
  // The same parser the sender applies to nodemailer's copy of the EHLO reply.
  const offered = offeredMechanisms(capabilities.map((line) => `250-${line}`).join('\r\n'));
  const allowed = smartHost.authMethods;
  const credentials = credentialsOf(smartHost);
  const facts = { offered, allowed: allowed ?? null };
  const offeredText = offered.length === 0 ? 'no AUTH offered' : `offered ${offered.join(' ')}`;
  const allowedText = allowed === undefined ? 'any allowed' : `allowed ${allowed.join(' ')}`;
  if (credentials.kind === undefined) {
    return passed(
      'auth',
      `${offeredText}; not used: SMART_HOST_USER is not set, so the smart host must accept this relay without a login (by its IP address)`,
      facts,
    );
  }
  if (offered.length === 0) {
    return failed('auth', `${offeredText}, yet credentials are configured`, {
      cause:
        smartHost.tls === 'none'
          ? 'Many smart hosts offer AUTH only after STARTTLS: set SMART_HOST_TLS=starttls. If this one relays by IP address instead, unset SMART_HOST_USER.'
          : 'This smart host takes no logins on this port (it may relay by IP address: then unset SMART_HOST_USER), or SMART_HOST_PORT is its port for incoming mail (25) rather than submission (587).',
      variable: smartHost.tls === 'none' ? 'SMART_HOST_TLS' : 'SMART_HOST_USER',
      facts,
    });
  }
  const choice = chooseMechanism(allowed, offered, { oauth2: credentials.kind === 'oauth2' });
  if (choice.kind === 'none-allowed') {
    if (credentials.kind === 'oauth2' && !offered.includes('XOAUTH2')) {
      return failed('auth', `${offeredText}; OAuth2 is configured but XOAUTH2 is not offered`, {
        cause:
          'This smart host takes no OAuth2 tokens here: use SMART_HOST_PASSWORD instead of the SMART_HOST_OAUTH2_* variables, or check SMART_HOST (Microsoft 365: smtp.office365.com; Gmail: smtp.gmail.com).',
        variable: 'SMART_HOST_OAUTH2_CLIENT_ID',
        facts,
      });
    }
    return failed('auth', `${offeredText}; ${allowedText}: no mechanism in common`, {
      cause: `SMART_HOST_AUTH_METHODS excludes every mechanism the smart host offers: add one of ${offered.join(', ')} (or unset it to use any offered mechanism).`,
      variable: 'SMART_HOST_AUTH_METHODS',
      facts,
    });
  }
  // nodemailer picks the first offered mechanism it can run when none is chosen.
  const mechanism =
    choice.mechanism ?? offered.find((candidate) => candidate !== 'XOAUTH2') ?? 'PLAIN';
  return passed('auth', `${offeredText}; ${allowedText}; will use ${mechanism}`, {
    ...facts,
    mechanism,
  });
}

export interface LoginOptions {
  readonly smartHost: SmartHostConfig;
  readonly extraCa: Buffer | undefined;
  readonly heloName: string;
  readonly timeoutMs: number;
  readonly oauth2Tokens: OAuth2TokenProvider | undefined;
}

/** One connection through the sender's client code: connect, TLS, EHLO, AUTH, QUIT. */
export async function verifyLogin(options: LoginOptions): Promise<DiagnosticStep> {
  const credentials = credentialsOf(options.smartHost);
  if (credentials.kind === undefined || credentials.user === undefined) {
    return passed('login', 'skipped (no SMART_HOST_USER)');
  }
  if (credentials.kind === 'oauth2' && options.oauth2Tokens === undefined) {
    return failed('login', 'skipped: no OAuth2 token source', {
      cause:
        'OAuth2 is configured but no token source could be opened: run npx smtp-relay oauth2 check.',
      variable: 'SMART_HOST_OAUTH2_CLIENT_ID',
    });
  }
  const clientOptions: SmartHostClientOptions = {
    smartHost: options.smartHost,
    extraCa: options.extraCa,
    heloName: options.heloName,
    timeoutMs: options.timeoutMs,
    logger: createLogger({ service: 'check-smarthost', version: RELAY_VERSION, level: 'silent' }),
    ...(options.oauth2Tokens === undefined ? {} : { oauth2Tokens: options.oauth2Tokens }),
  };
  const connection = new SMTPConnection(connectionOptions(clientOptions));
  // Errors are settled by phase(); this keeps a late one from crashing the command.
  connection.on('error', () => undefined);
  try {
    await phase<undefined>(connection, (done) => {
      connection.connect((error?: Error | null) => {
        done(error ?? undefined, undefined);
      });
    });
    await authenticate(connection, clientOptions);
    const how = credentials.kind === 'oauth2' ? 'an OAuth2 access token' : 'SMART_HOST_PASSWORD';
    const reply =
      typeof connection.lastServerResponse === 'string' ? connection.lastServerResponse : '';
    return passed(
      'login',
      `logged in as ${credentials.user} with ${how}${reply ? ` (${reply})` : ''}`,
    );
  } catch (error) {
    return loginFailure(error, credentials, options.smartHost);
  } finally {
    connection.quit();
    connection.close();
  }
}

function loginFailure(
  error: unknown,
  credentials: Credentials,
  smartHost: SmartHostConfig,
): DiagnosticStep {
  const { fields: shaped, classified } = classifyStepError(error);
  const reply = shaped.response ?? describeError(error);
  const detail = `${credentials.user ?? ''} was not logged in: ${reply}`;
  // No token from the endpoint: the grant's secret. A token or password the
  // smart host refused: the credential it was refused for.
  const noToken = shaped.code === 'EOAUTH2' || shaped.originalCode === 'EOAUTH2';
  const variable = noToken
    ? oauth2Variable(smartHost)
    : classified.category === 'tls-certificate'
      ? 'SMART_HOST_CA_FILE'
      : classified.category === 'auth' || classified.category === 'oauth2'
        ? credentials.kind === 'oauth2'
          ? 'SMART_HOST_USER'
          : 'SMART_HOST_PASSWORD'
        : 'SMART_HOST';
  return failed('login', detail, {
    cause:
      classified.hint ??
      (classified.kind === 'transient'
        ? 'The smart host refused the login for now (a 4xx reply): try again later; its reply says why.'
        : 'The login failed: the reply above says why.'),
    variable,
  });
}

/** The variable that holds the grant's secret: the usual thing to renew. */
function oauth2Variable(smartHost: SmartHostConfig): string {
  switch (smartHost.oauth2?.grant.kind) {
    case 'service-account':
      return 'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE';
    case 'client-credentials':
      return 'SMART_HOST_OAUTH2_CLIENT_SECRET';
    case 'refresh-token':
    case undefined:
      return 'SMART_HOST_OAUTH2_REFRESH_TOKEN';
  }
}
