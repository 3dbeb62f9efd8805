// One delivered message as the history keeps it (docs/reference.md "Message
// history"): metadata only, never the body. Pure: the Redis side is
// message-history.ts.

/** One attempt at the smart host that did not finish the message, or the one that did. */
export interface HistoryAttempt {
  /** Epoch ms when the attempt ended. */
  readonly at: number;
  /**
   * deferred: tried again later; delivered: the last attempt, someone got it;
   * failed: the last attempt, nobody got it in it (someone did in an earlier one).
   */
  readonly outcome: 'deferred' | 'delivered' | 'failed';
  /** The recipients the smart host accepted in this attempt. */
  readonly delivered: readonly string[];
  /** The recipients it refused for good in this attempt. */
  readonly bounced: readonly string[];
  /** The smart host's reply (for a deferral: the first recipient still to go's). */
  readonly reply: string;
}

export interface HistoryRecord {
  readonly id: string;
  readonly from: string;
  /** Every recipient ingress accepted. */
  readonly to: readonly string[];
  /** Who has the message (over all attempts). */
  readonly delivered: readonly string[];
  /** Who it bounced for (over all attempts). */
  readonly bounced: readonly string[];
  /** The Subject: header, decoded; '' when the message had none. */
  readonly subject: string;
  /** Stored size in bytes. */
  readonly size: number;
  readonly client: { readonly address: string; readonly helo: string };
  readonly authUser: string | null;
  /** The route of SMART_HOST_ROUTES_FILE; null without routes. */
  readonly route: string | null;
  /** Epoch ms of the ingress 250. */
  readonly receivedAt: number;
  /** Epoch ms of the last attempt. */
  readonly finishedAt: number;
  /** The smart host's final reply (250 ...). */
  readonly reply: string;
  /** The smart host's own id of the message, taken from its reply; null when the reply names none. */
  readonly smartHostQueueId: string | null;
  /** Every attempt, oldest first. */
  readonly attempts: readonly HistoryAttempt[];
}

/** At most this many attempts are kept per message: the first ones and the last ones. */
export const MAX_ATTEMPTS_KEPT = 50;

/** Keeps the first and the last attempts when there are too many to keep. */
export function boundedAttempts(attempts: readonly HistoryAttempt[]): HistoryAttempt[] {
  if (attempts.length <= MAX_ATTEMPTS_KEPT) return [...attempts];
  const half = MAX_ATTEMPTS_KEPT / 2;
  return [...attempts.slice(0, half), ...attempts.slice(attempts.length - half)];
}

/** The record of a finished message: who got it and who not, over every attempt. */
export function historyRecordOf(
  message: Omit<HistoryRecord, 'attempts' | 'delivered' | 'bounced'>,
  attempts: readonly HistoryAttempt[],
): HistoryRecord {
  const union = (pick: (attempt: HistoryAttempt) => readonly string[]): string[] => [
    ...new Set(attempts.flatMap(pick)),
  ];
  return {
    ...message,
    delivered: union((attempt) => attempt.delivered),
    bounced: union((attempt) => attempt.bounced),
    attempts: boundedAttempts(attempts),
  };
}

/**
 * Whether a record matches the search text: a case-insensitive part of its
 * id, envelope sender, a recipient, the subject, the authenticated user, the
 * client's address or the smart host's id. Empty text matches every record.
 */
export function matchesHistoryText(record: HistoryRecord, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') return true;
  const fields = [
    record.id,
    record.from,
    ...record.to,
    record.subject,
    record.authUser ?? '',
    record.client.address,
    record.smartHostQueueId ?? '',
  ];
  return fields.some((field) => field.toLowerCase().includes(needle));
}

/** The record in a stored value; undefined for anything that is not one (another version, damage). */
export function parseHistoryRecord(text: string): HistoryRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, record } = value as { v?: unknown; record?: unknown };
  if (v !== HISTORY_FORMAT || typeof record !== 'object' || record === null) return undefined;
  const candidate = record as Partial<HistoryRecord>;
  const valid =
    typeof candidate.id === 'string' &&
    typeof candidate.from === 'string' &&
    Array.isArray(candidate.to) &&
    typeof candidate.finishedAt === 'number' &&
    Array.isArray(candidate.attempts);
  return valid ? (record as HistoryRecord) : undefined;
}

/** Bumped when the stored shape changes: a reader skips what it does not know. */
export const HISTORY_FORMAT = 1;

export function serializeHistoryRecord(record: HistoryRecord): string {
  return JSON.stringify({ v: HISTORY_FORMAT, record });
}
