// "At most once per interval per process" (docs/reference.md "POP3 before
// SMTP"), as a value: deliveries ask the gate before they reach the smart
// host; the first one after the interval logs in, the ones arriving meanwhile
// wait for that same login (single flight). A failed login is not remembered:
// the next delivery, after the systemic hold, tries again.

export interface LoginGate {
  /** Resolves once a login succeeded less than an interval ago; rejects with the login's error. */
  ensure(): Promise<void>;
}

export interface LoginGateOptions {
  readonly intervalMs: number;
  readonly login: () => Promise<void>;
  /** Milliseconds on a clock that never goes back; tests pass one they move by hand. */
  readonly now?: () => number;
}

export function createLoginGate(options: LoginGateOptions): LoginGate {
  // Monotonic: a wall clock set back must not stretch the interval past the
  // time the POP3 server lets a login relay.
  const now = options.now ?? (() => performance.now());
  let loggedInAt: number | undefined;
  let inFlight: Promise<void> | undefined;

  const fresh = (): boolean => loggedInAt !== undefined && now() - loggedInAt < options.intervalMs;

  return {
    ensure() {
      if (inFlight !== undefined) return inFlight;
      if (fresh()) return Promise.resolve();
      const login = (async () => {
        try {
          await options.login();
          // Counted from the end of the login: the server's acceptance came
          // before it, so logins it records are never closer than the interval.
          loggedInAt = now();
        } finally {
          inFlight = undefined;
        }
      })();
      inFlight = login;
      return login;
    },
  };
}
