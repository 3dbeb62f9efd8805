import {
  historyRecordOf,
  matchesHistoryText,
  type HistoryAttempt,
  type HistoryRecord,
} from './history-record.ts';
import type { HistorySettings, MessageHistory } from './message-history.ts';

// The message history in memory, for unit tests of what writes and reads it;
// the same rules as the Redis one (message-history.ts) without a time budget.

export function createMemoryMessageHistory(options: {
  readonly settings: HistorySettings;
  readonly now?: () => number;
}): MessageHistory {
  const { settings } = options;
  const now = options.now ?? Date.now;
  const enabled = settings.retentionMs > 0 && settings.maxMessages > 0;
  const attempts = new Map<string, HistoryAttempt[]>();
  const records = new Map<string, HistoryRecord>();
  const kept = (): HistoryRecord[] =>
    [...records.values()]
      .filter((record) => record.finishedAt >= now() - settings.retentionMs)
      .sort((a, b) => b.finishedAt - a.finishedAt);

  return {
    enabled,
    recordAttempt(messageId, attempt) {
      if (enabled) attempts.set(messageId, [...(attempts.get(messageId) ?? []), attempt]);
      return Promise.resolve();
    },
    finish(message) {
      if (!enabled) return Promise.resolve();
      const { lastAttempt, ...rest } = message;
      const record = historyRecordOf(rest, [...(attempts.get(rest.id) ?? []), lastAttempt]);
      attempts.delete(rest.id);
      if (record.delivered.length > 0) records.set(rest.id, record);
      for (const old of kept().slice(settings.maxMessages)) records.delete(old.id);
      return Promise.resolve();
    },
    reopen(messageId) {
      const record = records.get(messageId);
      records.delete(messageId);
      if (enabled && record) attempts.set(messageId, [...record.attempts]);
      return Promise.resolve();
    },
    get(messageId) {
      return Promise.resolve(kept().find((record) => record.id === messageId));
    },
    search(query) {
      const inRange = kept().filter(
        (record) =>
          record.finishedAt >= (query.since ?? 0) &&
          record.finishedAt <= (query.until ?? Number.POSITIVE_INFINITY),
      );
      const matching = inRange.filter((record) => matchesHistoryText(record, query.text));
      return Promise.resolve({
        messages: matching.slice(0, query.limit),
        scanned: inRange.length,
        complete: matching.length <= query.limit,
        inRange: inRange.length,
      });
    },
    count() {
      return Promise.resolve(kept().length);
    },
  };
}
