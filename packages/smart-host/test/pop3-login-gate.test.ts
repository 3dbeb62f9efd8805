import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoginGate } from '../src/pop3/login-gate.ts';

// docs/reference.md "POP3 before SMTP": at most one login per interval per process,
// one login for every delivery that arrives while it runs, failures not remembered.

const INTERVAL = 300_000;

/** A login under the test's control: each call waits until the test settles it. */
function scriptedLogin() {
  const calls: { resolve: () => void; reject: (error: Error) => void }[] = [];
  return {
    calls,
    login: () =>
      new Promise<void>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
  };
}

function at(clock: { ms: number }) {
  return () => clock.ms;
}

/** Lets the gate's promise callbacks run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('POP3 login gate', () => {
  it('logs in once, then not again within the interval', async () => {
    const clock = { ms: 1_000 };
    let logins = 0;
    const gate = createLoginGate({
      intervalMs: INTERVAL,
      now: at(clock),
      login: () => {
        logins++;
        return Promise.resolve();
      },
    });
    await gate.ensure();
    clock.ms += INTERVAL - 1;
    await gate.ensure();
    await gate.ensure();
    assert.equal(logins, 1);
    clock.ms += 1;
    await gate.ensure();
    assert.equal(logins, 2, 'a new login once the interval has passed');
  });

  it('counts the interval from the end of the login', async () => {
    const clock = { ms: 0 };
    const { calls, login } = scriptedLogin();
    const gate = createLoginGate({ intervalMs: INTERVAL, now: at(clock), login });
    const first = gate.ensure();
    clock.ms = 5_000;
    calls[0]?.resolve();
    await first;
    clock.ms = INTERVAL + 4_999;
    await gate.ensure();
    assert.equal(calls.length, 1);
    clock.ms = INTERVAL + 5_000;
    void gate.ensure();
    assert.equal(calls.length, 2);
    calls[1]?.resolve();
  });

  it('gives deliveries that arrive during a login that same login (single flight)', async () => {
    const { calls, login } = scriptedLogin();
    const gate = createLoginGate({ intervalMs: INTERVAL, now: at({ ms: 0 }), login });
    const waiting = Array.from({ length: 5 }, () => gate.ensure());
    assert.equal(calls.length, 1);
    let done = 0;
    for (const wait of waiting) void wait.then(() => done++);
    await settled();
    assert.equal(done, 0, 'nobody goes on before the login succeeded');
    calls[0]?.resolve();
    await Promise.all(waiting);
    assert.equal(done, 5);
    assert.equal(calls.length, 1);
  });

  it('fails every waiting delivery with the login error, and tries again on the next one', async () => {
    const clock = { ms: 0 };
    const { calls, login } = scriptedLogin();
    const gate = createLoginGate({ intervalMs: INTERVAL, now: at(clock), login });
    const waiting = [gate.ensure(), gate.ensure(), gate.ensure()];
    const refused = Object.assign(new Error('-ERR [AUTH] Authentication failed.'), {
      code: 'EPOP3',
    });
    calls[0]?.reject(refused);
    for (const wait of waiting) await assert.rejects(wait, refused);
    assert.equal(calls.length, 1, 'one failed login for all of them');
    // Not cached for the interval: the very next delivery (after the hold) logs in again.
    clock.ms += 1;
    const retry = gate.ensure();
    assert.equal(calls.length, 2);
    calls[1]?.resolve();
    await retry;
    await gate.ensure();
    assert.equal(calls.length, 2);
  });

  it('after an earlier success, a failed renewal is retried rather than treated as fresh', async () => {
    const clock = { ms: 0 };
    const { calls, login } = scriptedLogin();
    const gate = createLoginGate({ intervalMs: INTERVAL, now: at(clock), login });
    const first = gate.ensure();
    calls[0]?.resolve();
    await first;
    clock.ms = INTERVAL;
    const renewal = gate.ensure();
    calls[1]?.reject(new Error('connection refused'));
    await assert.rejects(renewal);
    const again = gate.ensure();
    assert.equal(calls.length, 3);
    calls[2]?.resolve();
    await again;
  });
});
