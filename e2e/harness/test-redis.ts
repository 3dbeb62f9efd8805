// The e2e tests' name for the testkit's: the run's Redis, or a private one.
export { useTestRedis, type TestRedis } from '@smtp-relay/testkit';
