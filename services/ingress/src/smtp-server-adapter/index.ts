// The one place that knows smtp-server beyond its options and hooks
// (docs/adr/004-enhanced-status-codes.md); eslint.config.js keeps the library's
// `lib/` modules out of every other file.
export { createSmtpServer } from './adapted-server.ts';
export { forEachConnection, openConnectionCount } from './server-connections.ts';
export { setDisabledCommands } from './session-commands.ts';
export type {
  ClientConnection,
  ConnectionWatcher,
  HeloCommand,
  OutgoingReply,
  PendingSocket,
  PreSessionGuard,
  ProxyOutcome,
  ServerBehaviour,
} from './server-behaviour.ts';
