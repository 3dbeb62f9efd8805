export * from './message-store.ts';
export * from './redis-message-store.ts';
export * from './memory-message-store.ts';
export * from './client-blocks.ts';
export * from './redis-client-blocks.ts';
export * from './memory-client-blocks.ts';
export * from './redis-connection.ts';
export * from './replica-wait.ts';
