export * from './delivery-job.ts';
export * from './delivery-queue.ts';
export * from './message-id.ts';
