export * from './smtp-reply.ts';
export * from './ingress-replies.ts';
export * from './delivery-classification.ts';
