import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '@smtp-relay/observability';
import { settle } from '../src/hooks/settle.ts';
import { ReplyError } from '../src/reply.ts';
import { captureAnswers, watchUnhandledRejections } from './hook-fixtures.ts';

// settle answers an smtp-server hook exactly once whatever its handlers do,
// and never lets a throw become an unhandled rejection (which would end the
// process, and every session on it, through the crash handler).

type TestCallback = (error?: Error | null, message?: string) => void;
type Handler<T> = (value: T, answer: TestCallback) => void | Promise<void>;

interface Case {
  readonly name: string;
  readonly work: () => Promise<string>;
  readonly onValue: Handler<string>;
  readonly onError: Handler<unknown>;
  /** Every call the callback got: [reply code, text] for an error, [250, message] otherwise. */
  readonly calls: readonly (readonly [number, string])[];
  /** The `stage` of each smtp.hook.failed line. */
  readonly logged: readonly string[];
  /** The callback itself throws (smtp-server writing to a socket that is gone). */
  readonly callbackThrows?: boolean;
  /** The logger throws too. */
  readonly logThrows?: boolean;
}

const succeed = (): Promise<string> => Promise.resolve('2.0.0 Ok');
const fail = (): Promise<string> => Promise.reject(new Error('Redis down'));
const answerValue: Handler<string> = (value, answer) => {
  answer(null, value);
};
const answerRefusal: Handler<unknown> = (_error, answer) => {
  answer(Object.assign(new Error('4.3.0 Queue unavailable'), { responseCode: 451 }));
};
const boom = (): never => {
  throw new Error('metrics broke');
};
const TEMPORARY_FAILURE = [451, '4.3.0 Temporary failure, try again later'] as const;
const QUEUE_UNAVAILABLE = [451, '4.3.0 Queue unavailable'] as const;

const CASES: readonly Case[] = [
  {
    name: 'resolved: onValue answers',
    work: succeed,
    onValue: answerValue,
    onError: answerRefusal,
    calls: [[250, '2.0.0 Ok']],
    logged: [],
  },
  {
    name: 'rejected: onError answers',
    work: fail,
    onValue: answerValue,
    onError: answerRefusal,
    calls: [QUEUE_UNAVAILABLE],
    logged: [],
  },
  {
    name: 'onValue throws before answering: onError answers with its 4xx',
    work: succeed,
    onValue: boom,
    onError: answerRefusal,
    calls: [QUEUE_UNAVAILABLE],
    logged: ['on-value'],
  },
  {
    name: 'onValue throws after answering: that answer stands, the throw is logged',
    work: succeed,
    onValue: (value, answer) => {
      answer(null, value);
      boom();
    },
    onError: answerRefusal,
    calls: [[250, '2.0.0 Ok']],
    logged: ['on-value'],
  },
  {
    name: 'an async onValue answers after awaiting something else',
    work: succeed,
    onValue: async (value, answer) => {
      const checked = await Promise.resolve(`${value} (checked)`);
      answer(null, checked);
    },
    onError: answerRefusal,
    calls: [[250, '2.0.0 Ok (checked)']],
    logged: [],
  },
  {
    name: 'a second answer is dropped and logged',
    work: succeed,
    onValue: (value, answer) => {
      answer(null, value);
      answer(null, value);
    },
    onError: answerRefusal,
    calls: [[250, '2.0.0 Ok']],
    logged: ['answered-twice'],
  },
  {
    name: 'onError throws before answering: 451 4.3.0',
    work: fail,
    onValue: answerValue,
    onError: boom,
    calls: [TEMPORARY_FAILURE],
    logged: ['on-error'],
  },
  {
    name: 'onError throws on a deliberate refusal: the refusal is still given',
    work: () => Promise.reject(new ReplyError({ code: 552, enhanced: '5.3.4', text: 'Too big' })),
    onValue: answerValue,
    onError: boom,
    calls: [[552, '5.3.4 Too big']],
    logged: ['on-error'],
  },
  {
    name: 'a handler returns without answering: 451 4.3.0 instead of a stalled session',
    work: succeed,
    onValue: () => undefined,
    onError: answerRefusal,
    calls: [TEMPORARY_FAILURE],
    logged: ['unanswered'],
  },
  {
    name: 'the callback throws: called once, logged',
    work: succeed,
    onValue: answerValue,
    onError: answerRefusal,
    callbackThrows: true,
    calls: [[250, '2.0.0 Ok']],
    logged: ['on-value'],
  },
  {
    name: 'onValue and the logger both throw: still one 4xx',
    work: succeed,
    onValue: boom,
    onError: answerRefusal,
    logThrows: true,
    calls: [QUEUE_UNAVAILABLE],
    logged: [],
  },
];

describe('settle', () => {
  const unhandled = watchUnhandledRejections();

  for (const c of CASES) {
    it(c.name, async () => {
      const calls = captureAnswers();
      const callback: TestCallback = (error, message) => {
        calls.callback(error, message);
        if (c.callbackThrows) throw new Error('socket gone');
      };
      const logged: string[] = [];
      const log: Pick<Logger, 'error'> = {
        error: (fields: unknown) => {
          if (c.logThrows) throw new Error('log destination broke');
          logged.push((fields as { stage: string }).stage);
        },
      };

      settle(c.work(), callback, c.onValue, c.onError, log);
      await calls.settled();

      assert.deepEqual(calls.answers, c.calls);
      assert.deepEqual(logged, c.logged);
      assert.deepEqual(unhandled, []);
    });
  }
});
