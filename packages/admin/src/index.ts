export * from './message-admin.ts';
export * from './admin-routes.ts';
export { blockView, registerBlockRoutes, type BlockView } from './block-routes.ts';
export { isAuthorized } from './token-auth.ts';
export {
  createRelayAdminHttp,
  startRelayAdminHttp,
  type RelayAdminHttpOptions,
  type RunningAdminHttp,
} from './relay-admin-http.ts';
export {
  parseHistoryQuery,
  HISTORY_LIMIT,
  HISTORY_OFF,
  type HistoryQueryInput,
} from './history-query.ts';
