export * from './smtp-reply.ts';
export * from './ingress-replies.ts';
export type {
  ClassificationRule,
  DeliveryErrorShape,
  DeliveryFailure,
  FailureCategory,
  FailureKind,
} from './classification-rule.ts';
export * from './provider-rules.ts';
export * from './delivery-classification.ts';
