export * from './message-store.ts';
export * from './redis-message-store.ts';
