import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogLimiter, logLimited } from '../src/abuse/log-limiter.ts';

// A client refused in a loop: its first refusal is logged, then at most one line
// per interval, carrying how many went unlogged since. The clock is injected.

const INTERVAL = 60_000;

type Step =
  | { admit: string; logged: number | undefined }
  | { advance: number }
  /** admit() this many times, none logged. */
  | { repeat: string; times: number };

const SCENARIOS: readonly { name: string; maxKeys?: number; steps: readonly Step[] }[] = [
  {
    name: 'logs the first, then one line a minute with the count skipped since',
    steps: [
      { admit: 'a', logged: 0 },
      { repeat: 'a', times: 40 },
      { advance: INTERVAL - 1 },
      { admit: 'a', logged: undefined },
      { advance: 1 },
      { admit: 'a', logged: 41 },
      { admit: 'a', logged: undefined },
      { advance: INTERVAL },
      { admit: 'a', logged: 1 },
      { advance: INTERVAL },
      { admit: 'a', logged: 0 },
    ],
  },
  {
    name: 'limits each key on its own',
    steps: [
      { admit: 'a', logged: 0 },
      { admit: 'b', logged: 0 },
      { admit: 'a', logged: undefined },
      { admit: 'c', logged: 0 },
      { advance: INTERVAL },
      { admit: 'b', logged: 0 },
      { admit: 'a', logged: 1 },
    ],
  },
  {
    // Keys over their interval with nothing to report are forgotten on the next line
    // written; one with a count is kept for its next line.
    name: 'holds at most maxKeys keys: the oldest goes first',
    maxKeys: 2,
    steps: [
      { admit: 'a', logged: 0 },
      { repeat: 'a', times: 3 },
      { admit: 'b', logged: 0 },
      { admit: 'c', logged: 0 },
      { admit: 'a', logged: 0 },
      { admit: 'c', logged: undefined },
      { admit: 'b', logged: 0 },
      { admit: 'a', logged: undefined },
    ],
  },
  {
    // Had b (over its interval, nothing to report) been kept, e would have pushed a out.
    name: 'keeps a count not yet reported while forgetting the quiet keys',
    maxKeys: 4,
    steps: [
      { admit: 'a', logged: 0 },
      { repeat: 'a', times: 5 },
      { admit: 'b', logged: 0 },
      { advance: INTERVAL },
      { admit: 'c', logged: 0 },
      { admit: 'd', logged: 0 },
      { admit: 'e', logged: 0 },
      { admit: 'a', logged: 5 },
      { admit: 'b', logged: 0 },
    ],
  },
];

describe('log limiter', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, () => {
      let clock = 1_000_000;
      const limiter = createLogLimiter({
        intervalMs: INTERVAL,
        now: () => clock,
        ...(scenario.maxKeys === undefined ? {} : { maxKeys: scenario.maxKeys }),
      });
      for (const [index, step] of scenario.steps.entries()) {
        const at = `step ${String(index + 1)}`;
        if ('advance' in step) {
          clock += step.advance;
        } else if ('repeat' in step) {
          for (let n = 0; n < step.times; n++)
            assert.equal(limiter.admit(step.repeat), undefined, at);
        } else {
          assert.equal(limiter.admit(step.admit), step.logged, at);
        }
      }
    });
  }

  it('logLimited writes the line with unloggedSinceLastLine, keyed by event and address', () => {
    let clock = 0;
    const limiter = createLogLimiter({ intervalMs: INTERVAL, now: () => clock });
    const lines: object[] = [];
    const log = { info: (obj: object) => lines.push(obj) };
    const refuse = (address: string, event = 'smtp.client.block-refused'): void => {
      logLimited(limiter, log, address, { event, reason: 'auth' }, 'refused');
    };
    refuse('192.0.2.1');
    refuse('192.0.2.1');
    refuse('192.0.2.1');
    refuse('192.0.2.1', 'smtp.client.connection-limit');
    refuse('192.0.2.2');
    clock += INTERVAL;
    refuse('192.0.2.1');
    assert.deepEqual(lines, [
      { event: 'smtp.client.block-refused', reason: 'auth' },
      { event: 'smtp.client.connection-limit', reason: 'auth' },
      { event: 'smtp.client.block-refused', reason: 'auth' },
      { event: 'smtp.client.block-refused', reason: 'auth', unloggedSinceLastLine: 2 },
    ]);
  });
});
