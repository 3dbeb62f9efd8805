// Where the sender replicas share a systemic hold (docs/adr/003), under
// QUEUE_PREFIX; the sender's redis-hold-store.ts keeps its state there, and
// `npx smtp-relay queue resume` (resume-deliveries.ts) ends it. The key names
// are built here and nowhere else:
//   <prefix>:hold:holds   holds in a row; no expiry, only a probe that gets through ends it
//   <prefix>:hold:until   present while a hold runs (expires with it)
//   <prefix>:hold:probe   the probe's job id (expires with its claim)
//   <prefix>:hold:paused  unused: without routes the pause is BullMQ's queue-wide rate limit key
// and with SMART_HOST_ROUTES_FILE the same four per route, under
// `<prefix>:hold:route:<name>:`, `paused` being the route's own pause.

export interface HoldKeys {
  readonly holds: string;
  readonly until: string;
  readonly probe: string;
  readonly paused: string;
}

/** The hold keys of `route`; undefined: the one hold of a sender without routes. */
export function holdKeys(prefix: string, route: string | undefined): HoldKeys {
  const base = route === undefined ? `${prefix}:hold` : `${prefix}:hold:route:${route}`;
  return {
    holds: `${base}:holds`,
    until: `${base}:until`,
    probe: `${base}:probe`,
    paused: `${base}:paused`,
  } as const;
}

type RouteHoldPart = 'until' | 'paused';

/**
 * A SCAN MATCH pattern for one key of every route's hold. QUEUE_PREFIX and
 * route names hold no glob characters (config parseKeyPrefix, the job's route).
 */
export function routeHoldPattern(prefix: string, part: RouteHoldPart): string {
  return `${prefix}:hold:route:*:${part}`;
}

/** The route whose hold `key` (found by routeHoldPattern) belongs to; undefined for another key. */
export function routeOfHoldKey(
  prefix: string,
  key: string,
  part: RouteHoldPart,
): string | undefined {
  const head = `${prefix}:hold:route:`;
  const tail = `:${part}`;
  if (!key.startsWith(head) || !key.endsWith(tail)) return undefined;
  const route = key.slice(head.length, key.length - tail.length);
  return route === '' || route.includes(':') ? undefined : route;
}
