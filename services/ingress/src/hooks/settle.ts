import type { Logger } from '@smtp-relay/observability';
import { toSafeSmtpServerError } from '../reply.ts';

/** The shape every smtp-server hook callback shares: a refusal first, then what a success carries. */
export type HookCallback = (error: Error | null | undefined, ...response: never[]) => void;

/**
 * Answers an smtp-server hook from the outcome of `work`, exactly once, and
 * never lets a throw escape.
 *
 * `promise.then(onValue, onError)` is not enough: a throw inside `onValue` (a
 * logger, a metric) becomes an unhandled rejection, the crash handler exits the
 * process, and every session on it is cut off. Here:
 * - `work` resolved: `onValue` answers. If it throws before answering, the
 *   error goes to `onError`, which answers with a 4xx (a 250 is only given when
 *   everything up to it went through; the client retries a 4xx).
 * - `work` rejected: `onError` answers.
 * - A throw after answering is only logged. When `onError` throws, or a
 *   handler returns without answering, that is logged and the client hears
 *   what `fallback` makes of the error (the hook's counted refusal; by default
 *   `toSafeSmtpServerError`: `451 4.3.0` unless it is a deliberate reply): a
 *   command never answered would stall the session.
 * - `answer` (the callback, guarded) passes on the first call only and logs
 *   any further one, so smtp-server never writes two replies to one command.
 *
 * Handlers may be async (an answer that needs another lookup first); what
 * they return is awaited before the checks above.
 */
export function settle<T, C extends HookCallback>(
  work: Promise<T>,
  callback: C,
  onValue: (value: T, answer: C) => void | Promise<void>,
  onError: (error: unknown, answer: C) => void | Promise<void>,
  log: Pick<Logger, 'error'> | undefined,
  fallback: (error: unknown) => Error = toSafeSmtpServerError,
): void {
  let answered = false;
  const report = (stage: string, error: unknown): void => {
    try {
      log?.error({ event: 'smtp.hook.failed', stage, err: error }, 'hook handler failed');
    } catch {
      // The logger is what failed: there is nowhere left to report to, and the
      // client must still be answered.
    }
  };
  const callOnce = (args: Parameters<HookCallback>): void => {
    if (answered) {
      report('answered-twice', new Error('hook answered more than once'));
      return;
    }
    answered = true;
    callback(...args);
  };
  // C is a callback type; the guard passes its arguments through unchanged.
  const answer = ((...args: Parameters<HookCallback>) => {
    callOnce(args);
  }) as C;
  const answerIfNobodyDid = (error: unknown): void => {
    if (answered) return;
    let refusal: Error;
    try {
      refusal = fallback(error);
    } catch (fallbackError) {
      // Counting failed: the client is still answered, uncounted.
      report('fallback', fallbackError);
      refusal = toSafeSmtpServerError(error);
    }
    try {
      callOnce([refusal]);
    } catch (callbackError) {
      report('callback', callbackError);
    }
  };

  const run = async (): Promise<void> => {
    const outcome = await work.then(
      (value) => ({ resolved: true, value }) as const,
      (error: unknown) => ({ resolved: false, error }) as const,
    );
    let failure = outcome.resolved ? undefined : { error: outcome.error };
    let threw = false;
    if (outcome.resolved) {
      try {
        await onValue(outcome.value, answer);
      } catch (error) {
        report('on-value', error);
        threw = true;
        if (!answered) failure = { error };
      }
    }
    if (failure) {
      threw = false;
      try {
        await onError(failure.error, answer);
      } catch (error) {
        report('on-error', error);
        threw = true;
      }
    }
    if (answered) return;
    if (!threw) report('unanswered', new Error('hook handler returned without answering'));
    answerIfNobodyDid(failure?.error);
  };
  // run() catches what the handlers throw; this is for a throw in that handling.
  run().catch((error: unknown) => {
    report('settle', error);
    answerIfNobodyDid(error);
  });
}
