import {
  DEFAULT_ROUTE_NAME,
  type Environment,
  type SenderConfig,
  type SmartHostConfig,
} from '@smtp-relay/config';
import { checkSmartHost, type OpenOAuth2Tokens } from './check-smart-host.ts';
import { describeConfiguration, loadConfiguration, readCaFile } from './configuration-step.ts';
import type { DiagnosticStep, SmartHostCheckReport } from './diagnostic-step.ts';
import { routeNaming } from './route-naming.ts';

// `npx smtp-relay check-smarthost [--route NAME]`: the sender's configuration, then
// every host of the route in the order the sender tries them (docs/reference.md
// "Failover, routes and rate limits"), each with its own port and TLS mode and the
// route's credentials. A backup host that fails matters: the route's report fails.

export interface SmartHostCheckOptions {
  readonly env: Environment;
  /** A route of SMART_HOST_ROUTES_FILE; `default` (the SMART_HOST_* variables) when unset. */
  readonly route?: string | undefined;
  /** Send a test message to this address after each host's login. */
  readonly sendTo?: string | undefined;
  /** Opens the access-token source for XOAUTH2; called only when OAuth2 is configured. */
  readonly openOAuth2Tokens?: OpenOAuth2Tokens;
  readonly now?: () => Date;
  /**
   * Each wait is SMTP_CLIENT_TIMEOUT capped at this (default 15 s): the sender
   * may wait a minute for a slow smart host, an operator at a prompt should not.
   */
  readonly maxWaitMs?: number;
}

export interface RouteCheckReport {
  /** false when any step of any host failed. */
  readonly ok: boolean;
  readonly route: string;
  /**
   * One report per host, in order. A configuration that does not load (or a CA file
   * that cannot be read) is one report without `smartHost`.
   */
  readonly hosts: readonly SmartHostCheckReport[];
}

/** `--route` names no route: the names there are. */
export class UnknownRouteError extends Error {
  readonly routes: readonly string[];

  constructor(route: string, routes: readonly string[]) {
    super(`no route "${route}": the routes are ${routes.join(', ')}`);
    this.name = 'UnknownRouteError';
    this.routes = routes;
  }
}

const DEFAULT_MAX_WAIT_MS = 15_000;

export async function checkSmartHostRoute(
  options: SmartHostCheckOptions,
): Promise<RouteCheckReport> {
  const name = options.route ?? DEFAULT_ROUTE_NAME;
  const loaded = loadConfiguration(options.env);
  if (loaded.config === undefined) return routeReport(name, [configFailure(loaded.problems)]);
  const { config, warnings } = loaded;
  const { smartHost, routeIndex } = findRoute(config, name);
  const ca = await readCaFile(smartHost);
  if ('step' in ca) return routeReport(name, [configFailure([ca.step])]);

  const naming = routeNaming(routeIndex);
  const hosts: SmartHostCheckReport[] = [];
  for (const [index, endpoint] of smartHost.hosts.entries()) {
    const oneHost: SmartHostConfig = { ...smartHost, ...endpoint, hosts: [endpoint] };
    hosts.push(
      await checkSmartHost({
        smartHost: oneHost,
        config,
        extraCa: ca.extraCa,
        // The warnings are about the whole configuration: said once, with the first host.
        configSteps: [
          naming(describeConfiguration(oneHost, config.heloName)),
          ...(index === 0 ? warnings : []),
        ],
        naming,
        sendTo: options.sendTo,
        openOAuth2Tokens: options.openOAuth2Tokens,
        now: options.now ?? (() => new Date()),
        timeoutMs: Math.min(config.clientTimeoutMs, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS),
      }),
    );
  }
  return routeReport(name, hosts);
}

/** The route's smart host; `routeIndex` is its place in SMART_HOST_ROUTES_FILE (none for `default`). */
function findRoute(
  config: SenderConfig,
  name: string,
): { readonly smartHost: SmartHostConfig; readonly routeIndex: number | undefined } {
  if (name === DEFAULT_ROUTE_NAME) return { smartHost: config.smartHost, routeIndex: undefined };
  const routeIndex = config.routes.findIndex((route) => route.name === name);
  const route = config.routes[routeIndex];
  if (route === undefined) {
    throw new UnknownRouteError(name, [
      DEFAULT_ROUTE_NAME,
      ...config.routes.map((known) => known.name),
    ]);
  }
  return { smartHost: route.smartHost, routeIndex };
}

function configFailure(steps: readonly DiagnosticStep[]): SmartHostCheckReport {
  return { ok: false, smartHost: undefined, steps };
}

function routeReport(route: string, hosts: readonly SmartHostCheckReport[]): RouteCheckReport {
  return { ok: hosts.every((host) => host.ok), route, hosts };
}
