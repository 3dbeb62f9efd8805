export { startFakeOAuth2Server } from './fake-oauth2-server.ts';
export type * from './types.ts';
