import type { RouteStatus } from '@smtp-relay/smart-host/route-status';

// What a running relay shows of its routes (docs/reference.md "Failover,
// routes and rate limits"): a sender's route gauges, read live from Redis when
// /metrics is scraped, and GET /api/v1/routes as the senders last published it.

/** A route gauge of a process's /metrics, e.g. smtp_relay_route_paused_seconds; undefined when absent. */
export async function readRouteGauge(
  adminPort: number,
  metric: string,
  route = 'default',
): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${String(adminPort)}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${metric}{route="${route}"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** GET /api/v1/routes of any process (ADMIN_TOKEN set); throws on a status other than 200. */
export async function readRoutes(adminPort: number, token: string): Promise<RouteStatus[]> {
  const response = await fetch(`http://127.0.0.1:${String(adminPort)}/api/v1/routes`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`/api/v1/routes: ${String(response.status)}`);
  return ((await response.json()) as { routes: RouteStatus[] }).routes;
}
