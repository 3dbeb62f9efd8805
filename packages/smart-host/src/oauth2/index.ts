export { OAuth2Error, type OAuth2FailureReason } from './oauth2-error.ts';
export { oauth2CredentialId } from './credential-id.ts';
export {
  createTokenEndpointCall,
  toTokenResponse,
  type TokenEndpointCall,
  type TokenEndpointOptions,
  type TokenResponse,
} from './token-endpoint.ts';
export {
  createOAuth2TokenProvider,
  refreshMarginMs,
  type OAuth2TokenProvider,
  type OAuth2TokenProviderDependencies,
} from './token-provider.ts';
export { buildTokenRequest, JWT_BEARER_GRANT } from './token-request.ts';
export {
  createMemoryTokenStore,
  createRedisTokenStore,
  tokenKeys,
  type CachedAccessToken,
  type TokenStore,
} from './token-store.ts';
export {
  createSharedOAuth2Tokens,
  type SharedOAuth2TokensOptions,
} from './shared-token-provider.ts';
