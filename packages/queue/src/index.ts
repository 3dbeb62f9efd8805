export * from './delivery-job.ts';
export * from './delivery-queue.ts';
export { holdKeys, type HoldKeys } from './hold-keys.ts';
export * from './message-id.ts';
export * from './queue-access.ts';
export * from './queued-job.ts';
export * from './resume-deliveries.ts';
