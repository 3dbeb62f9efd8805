import { classifyDeliveryError } from '@smtp-relay/smtp-errors';

// What a failed-over attempt rejects with, so the sender's classification
// decides as it would for one host (docs/reference.md "Failover, routes and
// rate limits": when every host is down the message is deferred).

/**
 * The error of the attempt when every host it tried failed (never empty): the
 * last one, unless a systemic failure (our credentials, TLS settings) would
 * hide a host that was merely unreachable. Only when every host failed
 * systemically is the mail held; one host that was just down means the
 * settings may well be right, and the mail is deferred.
 */
export function mostTellingError(errors: readonly [unknown, ...unknown[]]): unknown {
  const systemic = (error: unknown): boolean =>
    error instanceof Error && classifyDeliveryError(error).kind === 'systemic';
  const last = errors[errors.length - 1];
  if (errors.every(systemic)) return last;
  return errors.findLast((error) => !systemic(error)) ?? last;
}
