import type { SenderConfig, SmartHostConfig } from '@smtp-relay/config';
import type { OAuth2TokenProvider } from '../oauth2/token-provider.ts';
import { compareMechanisms, credentialsOf, verifyLogin, type LoginOptions } from './auth-steps.ts';
import {
  describeError,
  failed,
  type DiagnosticStep,
  type SmartHostCheckReport,
} from './diagnostic-step.ts';
import { connectToHost, resolveHost } from './network-steps.ts';
import { probeSession } from './session-steps.ts';
import { sendTestMessage } from './test-message.ts';

// One smart host of a route, read top to bottom: DNS, TCP, greeting/TLS/EHLO,
// AUTH mechanisms, login, test message (check-route.ts loads the configuration
// and runs this for each host). Each step runs only when the one before passed
// (or only warned): after a failure the rest would fail the same way and hide
// the first cause.

export interface OAuth2TokenSource {
  readonly tokens: OAuth2TokenProvider;
  close(): Promise<void>;
}

/** Opens the access-token source for XOAUTH2 with a route's smart host (its credentials). */
export type OpenOAuth2Tokens = (
  smartHost: SmartHostConfig,
  config: SenderConfig,
) => Promise<OAuth2TokenSource | undefined>;

export interface HostCheckOptions {
  /** The route's smart host, its host, port and tls those of the one host to check. */
  readonly smartHost: SmartHostConfig;
  readonly config: SenderConfig;
  /** The route's CA file's contents. */
  readonly extraCa: Buffer | undefined;
  /** The configuration's steps, first in the report. */
  readonly configSteps: readonly DiagnosticStep[];
  /** How a step of this host names what to change (a route's keys rather than variables). */
  readonly naming: (step: DiagnosticStep) => DiagnosticStep;
  readonly sendTo: string | undefined;
  /** Called only when OAuth2 is configured. */
  readonly openOAuth2Tokens: OpenOAuth2Tokens | undefined;
  readonly now: () => Date;
  readonly timeoutMs: number;
}

export async function checkSmartHost(options: HostCheckOptions): Promise<SmartHostCheckReport> {
  const { smartHost, config, extraCa, now, timeoutMs } = options;
  const target = `${smartHost.host}:${String(smartHost.port)}`;
  const steps: DiagnosticStep[] = [...options.configSteps];
  const add = (...found: DiagnosticStep[]): void => {
    steps.push(...found.map(options.naming));
  };
  const passing = (): boolean => steps.every((step) => step.ok !== false);
  const report = (): SmartHostCheckReport => finish(steps, target, secretsOf(smartHost, config));

  const resolved = await resolveHost(smartHost.host);
  add(resolved.step);
  if (!passing()) return report();

  const connected = await connectToHost(resolved.addresses, smartHost.port, timeoutMs);
  add(connected.step);
  if (connected.socket === undefined || connected.address === undefined) return report();

  const session = await probeSession(connected.socket, {
    smartHost,
    heloName: config.heloName,
    extraCa,
    timeoutMs,
    address: connected.address,
    now: now(),
  });
  add(...session.steps);
  if (session.capabilities === undefined || !passing()) return report();

  add(compareMechanisms(session.capabilities, smartHost));
  if (!passing()) return report();

  let tokenSource: OAuth2TokenSource | undefined;
  try {
    if (credentialsOf(smartHost).kind === 'oauth2') {
      tokenSource = await options.openOAuth2Tokens?.(smartHost, config);
    }
  } catch (error) {
    add(
      failed('login', `no OAuth2 token source: ${describeError(error)}`, {
        cause: 'Run npx smtp-relay oauth2 check for the details.',
        variable: 'SMART_HOST_OAUTH2_CLIENT_ID',
      }),
    );
    return report();
  }
  try {
    const login: LoginOptions = {
      smartHost,
      extraCa,
      heloName: config.heloName,
      timeoutMs,
      oauth2Tokens: tokenSource?.tokens,
    };
    add(await verifyLogin(login));
    if (passing() && options.sendTo !== undefined) {
      add(
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
  return report();
}

/** Values that must never be printed, even if a smart host echoed one back. */
function secretsOf(smartHost: SmartHostConfig, config: SenderConfig): string[] {
  const candidates = [smartHost, config.smartHost].flatMap(({ password, oauth2 }) => {
    const grant = oauth2?.grant;
    return [
      password,
      grant?.kind === 'refresh-token' ? grant.refreshToken : undefined,
      grant?.kind === 'refresh-token' || grant?.kind === 'client-credentials'
        ? grant.clientSecret
        : undefined,
    ];
  });
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
