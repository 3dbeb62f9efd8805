import type { Environment, SenderConfig } from '@smtp-relay/config';
import type { OAuth2TokenProvider } from '../oauth2/token-provider.ts';
import { compareMechanisms, credentialsOf, verifyLogin, type LoginOptions } from './auth-steps.ts';
import { loadConfiguration } from './configuration-step.ts';
import {
  describeError,
  failed,
  type DiagnosticStep,
  type SmartHostCheckReport,
} from './diagnostic-step.ts';
import { connectToHost, resolveHost } from './network-steps.ts';
import { probeSession } from './session-steps.ts';
import { sendTestMessage } from './test-message.ts';

// `npx smtp-relay check-smarthost`, read top to bottom: configuration, DNS,
// TCP, greeting/TLS/EHLO, AUTH mechanisms, login, test message. Each step
// runs only when the one before passed (or only warned): after a failure the
// rest would fail the same way and hide the first cause.

export interface OAuth2TokenSource {
  readonly tokens: OAuth2TokenProvider;
  close(): Promise<void>;
}

export interface SmartHostCheckOptions {
  readonly env: Environment;
  /** Send a test message to this address after the login. */
  readonly sendTo?: string | undefined;
  /** Opens the access-token source for XOAUTH2; called only when OAuth2 is configured. */
  readonly openOAuth2Tokens?: (config: SenderConfig) => Promise<OAuth2TokenSource | undefined>;
  readonly now?: () => Date;
  /**
   * Each wait is SMTP_CLIENT_TIMEOUT capped at this (default 15 s): the sender
   * may wait a minute for a slow smart host, an operator at a prompt should not.
   */
  readonly maxWaitMs?: number;
}

const DEFAULT_MAX_WAIT_MS = 15_000;

export async function checkSmartHost(
  options: SmartHostCheckOptions,
): Promise<SmartHostCheckReport> {
  const now = options.now ?? (() => new Date());
  const configuration = await loadConfiguration(options.env);
  const { config, extraCa } = configuration;
  const steps: DiagnosticStep[] = [...configuration.steps];
  if (config === undefined) return finish(steps, undefined, []);

  const { smartHost } = config;
  const target = `${smartHost.host}:${String(smartHost.port)}`;
  const secrets = secretsOf(config);
  const timeoutMs = Math.min(config.clientTimeoutMs, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
  const passing = (): boolean => steps.every((step) => step.ok !== false);

  const resolved = await resolveHost(smartHost.host);
  steps.push(resolved.step);
  if (!passing()) return finish(steps, target, secrets);

  const connected = await connectToHost(resolved.addresses, smartHost.port, timeoutMs);
  steps.push(connected.step);
  if (connected.socket === undefined || connected.address === undefined) {
    return finish(steps, target, secrets);
  }

  const session = await probeSession(connected.socket, {
    smartHost,
    heloName: config.heloName,
    extraCa,
    timeoutMs,
    address: connected.address,
    now: now(),
  });
  steps.push(...session.steps);
  if (session.capabilities === undefined || !passing()) return finish(steps, target, secrets);

  steps.push(compareMechanisms(session.capabilities, smartHost));
  if (!passing()) return finish(steps, target, secrets);

  let tokenSource: OAuth2TokenSource | undefined;
  try {
    if (credentialsOf(smartHost).kind === 'oauth2') {
      tokenSource = await options.openOAuth2Tokens?.(config);
    }
  } catch (error) {
    steps.push(
      failed('login', `no OAuth2 token source: ${describeError(error)}`, {
        cause: 'Run npx smtp-relay oauth2 check for the details.',
        variable: 'SMART_HOST_OAUTH2_CLIENT_ID',
      }),
    );
    return finish(steps, target, secrets);
  }
  try {
    const login: LoginOptions = {
      smartHost,
      extraCa,
      heloName: config.heloName,
      timeoutMs,
      oauth2Tokens: tokenSource?.tokens,
    };
    steps.push(await verifyLogin(login));
    if (passing() && options.sendTo !== undefined) {
      steps.push(
        await sendTestMessage({
          ...login,
          from: testSender(smartHost.user, config.postmaster),
          to: options.sendTo,
          now: now(),
        }),
      );
    }
  } finally {
    await tokenSource?.close();
  }
  return finish(steps, target, secrets);
}

/** Values that must never be printed, even if a smart host echoed one back. */
function secretsOf(config: SenderConfig): string[] {
  const { password, oauth2 } = config.smartHost;
  const grant = oauth2?.grant;
  const candidates = [
    password,
    grant?.kind === 'refresh-token' ? grant.refreshToken : undefined,
    grant?.kind === 'refresh-token' || grant?.kind === 'client-credentials'
      ? grant.clientSecret
      : undefined,
  ];
  // Very short values would blank out ordinary words.
  return candidates.filter((value): value is string => value !== undefined && value.length >= 4);
}

function finish(
  steps: readonly DiagnosticStep[],
  smartHost: string | undefined,
  secrets: readonly string[],
): SmartHostCheckReport {
  const redact = (text: string): string =>
    secrets.reduce((result, secret) => result.replaceAll(secret, '[redacted]'), text);
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)]));
    }
    return value;
  };
  return {
    ok: steps.every((step) => step.ok !== false),
    smartHost,
    steps: secrets.length === 0 ? steps : (scrub(steps) as DiagnosticStep[]),
  };
}

/**
 * The mailbox the relay logs in as, when it is an address: Microsoft 365 and Gmail
 * refuse any other sender (SendAsDenied), and a test that fails for that reason
 * says nothing about the smart-host settings. Otherwise POSTMASTER.
 */
export function testSender(user: string | undefined, postmaster: string): string {
  return user !== undefined && /^[^\s@]+@[^\s@]+$/.test(user) ? user : postmaster;
}
