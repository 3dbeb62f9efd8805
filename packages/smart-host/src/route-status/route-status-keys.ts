// The Redis keys of the route status, built here and nowhere else (docs/architecture.md
// "Where to add things": a key lives in the package that owns it, under QUEUE_PREFIX).

/** `<prefix>:routes:status`: the published list (JSON, expires when no sender refreshes it). */
export const routeStatusKey = (prefix: string): string => `${prefix}:routes:status`;

/** `<prefix>:routes:counts:<route>`: a hash of outcome -> count. */
export const routeCountsKey = (prefix: string, route: string): string =>
  `${prefix}:routes:counts:${route}`;

/** `<prefix>:routes:hosts:<route>:<host:port>`: a hash of the host's last reply and success. */
export const hostActivityKey = (prefix: string, route: string, hostKey: string): string =>
  `${prefix}:routes:hosts:${route}:${hostKey}`;

/** `<prefix>:routes:hold-reason:<route>`: why the route was last held (JSON). */
export const holdReasonKey = (prefix: string, route: string): string =>
  `${prefix}:routes:hold-reason:${route}`;
