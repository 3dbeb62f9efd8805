import { EventEmitter } from 'node:events';
import type { FakePop3Attempt, FakePop3Command, FakePop3Login } from './types.ts';

/** What the fake POP3 server saw, plus event-based waits on it. */
export class Pop3Recorder {
  readonly logins: FakePop3Login[] = [];
  readonly attempts: FakePop3Attempt[] = [];
  readonly commands: FakePop3Command[] = [];
  readonly #changes = new EventEmitter();

  addCommand(command: FakePop3Command): void {
    this.commands.push(command);
    this.#changes.emit('change');
  }

  addAttempt(attempt: FakePop3Attempt): void {
    this.attempts.push(attempt);
    if (attempt.success) {
      const { user, remoteAddress, secure, at, sessionId } = attempt;
      this.logins.push({ user, remoteAddress, secure, at, sessionId });
    }
    this.#changes.emit('change');
  }

  /** Clears in place, so arrays handed out earlier stay live views. */
  reset(): void {
    this.logins.length = 0;
    this.attempts.length = 0;
    this.commands.length = 0;
  }

  describe(): string {
    const attempts = this.attempts.map(
      (a) => `  ${a.at.toISOString()} ${a.sessionId} PASS for ${a.user}: ${a.reply}`,
    );
    const commands = this.commands
      .slice(-30)
      .map((c) => `  ${c.at.toISOString()} ${c.sessionId} ${c.secure ? 'tls' : 'plain'} ${c.line}`);
    return [
      `attempts (${String(this.attempts.length)}):`,
      ...attempts,
      `last commands (${String(commands.length)} of ${String(this.commands.length)}):`,
      ...commands,
    ].join('\n');
  }

  waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const ready = check();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const onChange = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.#changes.off('change', onChange);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#changes.off('change', onChange);
        reject(
          new Error(
            `Fake POP3 server: timed out after ${String(timeoutMs)} ms waiting for ${what}\n${this.describe()}`,
          ),
        );
      }, timeoutMs);
      this.#changes.on('change', onChange);
    });
  }
}
