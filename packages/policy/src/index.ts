export {
  authenticate,
  type AuthenticateOptions,
  type AuthenticationResult,
} from './authenticate.ts';
export { createConcurrencyLimit, type ConcurrencyLimit } from './concurrency-limit.ts';
export { chooseDummySecret, DEFAULT_DUMMY_SECRET } from './dummy-secret.ts';
export { hashMemoryBytes, hashParameters } from './hash-cost.ts';
export {
  MAX_CONCURRENT_HASH_CHECKS,
  MAX_HASH_MEMORY_BYTES,
  MAX_HASH_MEMORY_MIB,
  PASSWORD_HASH_LIMIT,
} from './hash-limits.ts';
export {
  ARGON2ID_PARAMETERS,
  BCRYPT_COST,
  hashPassword,
  SCRYPT_PARAMETERS,
  type PasswordHashAlgorithm,
} from './hash-password.ts';
export {
  parseCredentials,
  type CredentialsProblem,
  type ParsedCredentials,
} from './parse-credentials.ts';
export { createRelayNetworks, isValidRelayNetwork, type RelayNetworks } from './relay-networks.ts';
export { readStoredSecret, type StoredSecret, type StoredSecretKind } from './stored-secret.ts';
export { parseSendersFile, type SenderRules } from './parse-senders-file.ts';
export {
  matchesSenderPattern,
  parseSenderPattern,
  type SenderPattern,
  type SenderPatternResult,
} from './sender-pattern.ts';
export { decideSender, type SenderDecision } from './sender-permission.ts';
export { verifyPassword } from './verify-password.ts';
export * from './relay-decision.ts';
export {
  createVerificationCache,
  type VerificationCache,
  type VerificationCacheOptions,
} from './verification-cache.ts';
export * from './transaction-filter/index.ts';
