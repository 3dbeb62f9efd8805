export * from './delivery-job.ts';
export * from './delivery-queue.ts';
export * from './message-id.ts';
export * from './queue-access.ts';
export * from './queued-job.ts';
