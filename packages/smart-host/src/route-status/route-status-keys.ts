// The Redis keys of the route status, built here and nowhere else (docs/architecture.md
// "Where to add things": a key lives in the package that owns it, under QUEUE_PREFIX).

/** `<prefix>:routes:status`: the published list (JSON, expires when no sender refreshes it). */
export const routeStatusKey = (prefix: string): string => `${prefix}:routes:status`;

/** `<prefix>:routes:counts:<route>`: a hash of outcome -> count. */
export const routeCountsKey = (prefix: string, route: string): string =>
  `${prefix}:routes:counts:${route}`;
