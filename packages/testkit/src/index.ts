export {
  generateCertificates,
  generateSelfSignedCertificate,
  type CertificateOptions,
  type GeneratedCertificates,
  type SelfSignedCertificate,
} from './certificates.ts';
export { captureLogs, type CapturedLogs } from './captured-logs.ts';
export * from './fake-oauth2-server/index.ts';
export * from './fake-pop3-server/index.ts';
export * from './fake-smart-host/index.ts';
export { getFreePort } from './free-port.ts';
export { pingRedis } from './redis-ping.ts';
export {
  startRedisServer,
  type RedisServerHandle,
  type RedisServerOptions,
} from './redis-server.ts';
export * from './smtp-conversation/index.ts';
export {
  connectTestRedis,
  deleteKeys,
  uniquePrefix,
  useTestRedis,
  type RedisKeysConnection,
  type TestRedis,
  type TestRedisConnection,
} from './test-redis.ts';
export { unreachableRedis } from './unreachable-redis.ts';
export { waitFor, type WaitForOptions } from './wait-for.ts';
export {
  redisCli,
  startRedisSentinelGroup,
  type SentinelGroup,
  type SentinelGroupOptions,
} from './redis-sentinel-group.ts';
