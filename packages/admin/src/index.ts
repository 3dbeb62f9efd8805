export * from './message-admin.ts';
export * from './admin-routes.ts';
export { isAuthorized } from './token-auth.ts';
export { createRelayAdminHttp, type RelayAdminHttpOptions } from './relay-admin-http.ts';
