export { startFakePop3Server } from './fake-pop3-server.ts';
export type * from './types.ts';
