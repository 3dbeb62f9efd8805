import {
  createMessageAdmin,
  HISTORY_OFF,
  MESSAGE_STATES,
  parseHistoryQuery,
  type MessageState,
  type MessageView,
} from '@smtp-relay/admin';
import type { Environment } from '@smtp-relay/config';
import { createDeliveryQueue, resumeDeliveries, type ResumedDeliveries } from '@smtp-relay/queue';
import { createRedisMessageStore } from '@smtp-relay/store';
import type { CommandIo } from '../command-io.ts';
import { openQueueRedis } from '../queue-redis.ts';

export const QUEUE_USAGE = `Usage: smtp-relay queue <command>

Reads and changes the queue in Redis (REDIS_URL, QUEUE_PREFIX).

Commands:
  counts                   messages per state
  list [state] [--limit n] messages in a state: ${MESSAGE_STATES.join(', ')} (default waiting)
  show <id>                one message (a delivered one with its attempts, from the history)
  search [TEXT] [--since T] [--until T] [--limit n]
                           delivered messages of the history (HISTORY_RETENTION) whose
                           id, sender, recipient, subject, user, client address or
                           smart-host queue id contains TEXT; T is an ISO 8601 time
                           (2026-12-04T09:00, UTC), epoch ms or a duration ago (2h)
  retry <id>               try a delayed message now, or a failed one again
  delete <id>              drop a message (no bounce is sent)
  resume                   end every hold after a systemic failure (e.g. once the
                           smart-host password is fixed) instead of waiting for it:
                           the whole queue's, and each route's, whose messages
                           waiting for the hold come back at once`;

/** What `queue resume` did, in one line. */
export function describeResume(resumed: ResumedDeliveries): string {
  const done: string[] = [];
  if (resumed.queueHold) done.push('queue hold lifted');
  if (resumed.routes.length > 0) {
    const routes = `${resumed.routes.length === 1 ? 'route' : 'routes'} ${resumed.routes.join(', ')}`;
    const messages = `${String(resumed.promoted)} ${resumed.promoted === 1 ? 'message' : 'messages'}`;
    done.push(`${routes}: ${messages} back in the queue`);
  }
  return done.length === 0 ? 'no hold to end' : `deliveries resumed (${done.join('; ')})`;
}

export async function runQueue(
  args: readonly string[],
  options: {
    readonly limit: string | undefined;
    readonly json: boolean;
    readonly since?: string | undefined;
    readonly until?: string | undefined;
  },
  env: Environment,
  io: CommandIo,
): Promise<number> {
  const [action, argument] = args;
  const opened = openQueueRedis(env, io);
  if (opened === undefined) return 1;
  const { redis, prefix, history } = opened;
  const queue = createDeliveryQueue({ connection: redis, prefix });
  const store = createRedisMessageStore({ redis, prefix });
  const admin = createMessageAdmin({ queue, store, redis, prefix, history });
  try {
    switch (action) {
      case 'counts': {
        const counts = await admin.counts();
        for (const state of MESSAGE_STATES)
          io.print(`${state.padEnd(10)} ${String(counts[state])}`);
        return 0;
      }
      case 'list': {
        const state = argument ?? 'waiting';
        if (!(MESSAGE_STATES as readonly string[]).includes(state)) {
          io.error(`state must be one of ${MESSAGE_STATES.join(', ')}`);
          return 2;
        }
        const { total, messages } = await admin.list(
          state as MessageState,
          Number(options.limit ?? 50),
        );
        if (options.json) {
          // As the API: whether delivered messages come from the message history.
          const source = state === 'completed' ? { history: admin.historyKept } : {};
          io.print(JSON.stringify({ state, ...source, total, messages }, null, 2));
          return 0;
        }
        io.print(`${String(total)} ${state}`);
        for (const m of messages) {
          const next = m.nextAttemptAt ? ` next ${m.nextAttemptAt}` : '';
          io.print(
            `${m.id}  ${m.receivedAt}  <${m.from}> -> ${m.to.join(', ')}  attempts ${String(m.attempts)}${next}`,
          );
          if (m.lastError) io.print(`    ${m.lastError}`);
        }
        return 0;
      }
      case 'search': {
        const parsed = parseHistoryQuery(
          { q: argument, since: options.since, until: options.until, limit: options.limit },
          Date.now(),
        );
        if (!parsed.ok) {
          io.error(parsed.problem);
          return 2;
        }
        if (!admin.historyKept) {
          io.error(HISTORY_OFF);
          return 1;
        }
        const found = await admin.search(parsed.query);
        if (options.json) {
          io.print(JSON.stringify({ state: 'completed', ...found }, null, 2));
          return 0;
        }
        for (const m of found.messages) printDelivered(io, m);
        const searched = found.complete
          ? ''
          : ' (not every message was searched: narrow it with --since/--until)';
        io.print(
          `${String(found.messages.length)} found of ${String(found.total)} delivered${searched}`,
        );
        return 0;
      }
      case 'show': {
        const message = argument === undefined ? undefined : await admin.get(argument);
        if (!message) {
          io.error('no such message');
          return 1;
        }
        io.print(JSON.stringify(message, null, 2));
        return 0;
      }
      case 'retry':
      case 'delete': {
        if (argument === undefined) {
          io.error(QUEUE_USAGE);
          return 2;
        }
        const result =
          action === 'retry' ? await admin.retry(argument) : await admin.remove(argument);
        if (result.ok) io.print(`${argument}: ${result.message}`);
        else io.error(`${argument}: ${result.message}`);
        return result.ok ? 0 : 1;
      }
      case 'resume': {
        io.print(describeResume(await resumeDeliveries({ queue, redis, prefix })));
        return 0;
      }
      case undefined:
      default:
        io.error(QUEUE_USAGE);
        return 2;
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** One delivered message of a search: when, envelope, subject, and the smart host's answer. */
function printDelivered(io: CommandIo, m: MessageView): void {
  const queueId = m.history?.smartHostQueueId;
  io.print(`${m.id}  ${m.finishedAt ?? ''}  <${m.from}> -> ${m.originalTo.join(', ')}`);
  if (m.subject) io.print(`    subject: ${m.subject}`);
  io.print(`    ${m.history?.reply ?? ''}${queueId ? `  (smart host id ${queueId})` : ''}`);
}
