/** Delayed replies, cancelled together when the host goes down mid-conversation. */
export class PendingReplies {
  readonly #timers = new Set<NodeJS.Timeout>();

  after(ms: number, reply: () => void): void {
    if (ms <= 0) {
      reply();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      reply();
    }, ms);
    this.#timers.add(timer);
  }

  cancelAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
