import assert from 'node:assert/strict';
import type {
  DeliveryErrorShape,
  FailureCategory,
  FailureKind,
} from '../src/classification-rule.ts';
import { classifyDeliveryError } from '../src/delivery-classification.ts';

/**
 * One classification example (zone-mta bounces-test idea): an error shaped the
 * way nodemailer 10.6 reports it and what the whole table makes of it, so each
 * row also checks that no earlier rule takes the reply first.
 */
export interface ClassificationRow {
  readonly rule: string;
  readonly error: DeliveryErrorShape;
  readonly kind: FailureKind;
  readonly category: FailureCategory;
  /** "code enhanced" of the reply the failure carries. */
  readonly reply?: string;
  /** What the operator's hint must mention. */
  readonly hint?: RegExp;
}

export function rowTitle(row: ClassificationRow): string {
  const firstLine = (row.error.response ?? row.error.message).split('\n')[0] ?? '';
  return `${row.rule}: ${row.error.code ?? ''} ${row.error.command ?? ''} ${firstLine}`;
}

export function assertClassifies(row: ClassificationRow): void {
  const failure = classifyDeliveryError(row.error);
  assert.equal(failure.rule, row.rule);
  assert.equal(failure.kind, row.kind);
  assert.equal(failure.category, row.category);
  if (row.reply !== undefined) {
    assert.equal(`${failure.reply.code} ${failure.reply.enhanced}`, row.reply);
  }
  if (row.hint !== undefined) {
    assert.match(failure.hint ?? '', row.hint);
  }
}
