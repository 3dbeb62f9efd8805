export * from './logger.ts';
export * from './metrics.ts';
export * from './admin-http.ts';
export * from './shutdown.ts';
export * from './process-lifecycle.ts';
export * from './version.ts';
export * from './settle-within.ts';
export * from './watch-redis.ts';
