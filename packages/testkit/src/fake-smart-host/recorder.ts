import { EventEmitter } from 'node:events';
import type { FakeSmartHostEvent, MailParams, ReceivedMessage } from './types.ts';

function describeParams(params: MailParams): string {
  return Object.entries(params)
    .map(([key, value]) => (value === true ? ` ${key}` : ` ${key}=${value}`))
    .join('');
}

function describeMessage(message: ReceivedMessage): string {
  return `<${message.mailFrom}>${describeParams(message.mailParams)} -> ${message.rcptTo.map((r) => `<${r}>`).join(' ')} (${message.data.length} bytes)`;
}

function describeEvent(event: FakeSmartHostEvent): string {
  switch (event.type) {
    case 'connect':
      return `connect from ${event.remoteAddress}${event.reply ? ` refused ${event.reply.code}` : ''}`;
    case 'tls':
      return `tls ${event.protocol ?? ''}`;
    case 'auth':
      return `auth ${event.method} ${event.username}: ${event.reply.code}`;
    case 'mail-from':
      return `MAIL FROM:<${event.address}>${describeParams(event.params)}: ${event.reply.code} ${event.reply.message}`;
    case 'rcpt-to':
      return `RCPT TO:<${event.address}>: ${event.reply.code} ${event.reply.message}`;
    case 'data-received':
      return `DATA ${event.size} bytes received, reply pending`;
    case 'data':
      return `DATA ${event.size} bytes: ${event.reply.code} ${event.reply.message}`;
    case 'data-aborted':
      return `DATA aborted after ${event.size} bytes`;
    case 'close':
      return 'close';
    case 'error':
      return `error ${event.message}`;
  }
}

/** Everything the fake smart host saw, plus event-based waits on it. */
export class SmartHostRecorder {
  readonly messages: ReceivedMessage[] = [];
  readonly events: FakeSmartHostEvent[] = [];
  readonly #changes = new EventEmitter();

  addMessage(message: ReceivedMessage): void {
    this.messages.push(message);
    this.#changes.emit('change');
  }

  addEvent(event: FakeSmartHostEvent): void {
    this.events.push(event);
    this.#changes.emit('change');
  }

  /** Clears in place, so arrays handed out earlier stay live views. */
  reset(): void {
    this.messages.length = 0;
    this.events.length = 0;
  }

  waitForMessages(count: number, timeoutMs = 10_000): Promise<ReceivedMessage[]> {
    return this.#waitUntil(
      () => (this.messages.length >= count ? [...this.messages] : undefined),
      timeoutMs,
      () => `${count} message(s)`,
    );
  }

  waitForEvent(
    predicate: (event: FakeSmartHostEvent) => boolean,
    timeoutMs = 10_000,
  ): Promise<FakeSmartHostEvent> {
    return this.#waitUntil(
      () => this.events.find(predicate),
      timeoutMs,
      () => 'a matching event',
    );
  }

  /** A summary of what arrived, for failure messages. */
  describe(): string {
    const messages = this.messages.map((m, i) => `  ${i + 1}. ${describeMessage(m)}`);
    const events = this.events.slice(-30).map((e) => `  ${e.sessionId} ${describeEvent(e)}`);
    return [
      `messages (${this.messages.length}):`,
      ...messages,
      `last events (${events.length} of ${this.events.length}):`,
      ...events,
    ].join('\n');
  }

  #waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
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
            `Fake smart host: timed out after ${timeoutMs} ms waiting for ${what()}\n${this.describe()}`,
          ),
        );
      }, timeoutMs);
      this.#changes.on('change', onChange);
    });
  }
}
