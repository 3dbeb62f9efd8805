import { blockView } from '@smtp-relay/admin';
import type { Environment } from '@smtp-relay/config';
import { canonicalClientAddress, createRedisClientBlockList } from '@smtp-relay/store';
import type { CommandIo } from '../command-io.ts';
import { openQueueRedis } from '../queue-redis.ts';

export const BLOCKS_USAGE = `Usage: smtp-relay blocks [list|show ADDRESS|lift ADDRESS] [--json]

Client addresses ingress refuses with 421 on connect: too many failed AUTHs
(SMTP_AUTH_MAX_FAILURES) or a filter rule with the S flag. Reads and changes
them in Redis (REDIS_URL, QUEUE_PREFIX), for every ingress replica at once.

Commands:
  list (default)           blocked addresses, with reason and end of the block
  show ADDRESS             one address; exit code 1 when it is not blocked
  lift ADDRESS             end the block now (and forget the failed AUTHs counted)`;

export async function runBlocks(
  args: readonly string[],
  options: { readonly json: boolean },
  env: Environment,
  io: CommandIo,
): Promise<number> {
  const [action = 'list', argument] = args;
  if (!['list', 'show', 'lift'].includes(action)) {
    io.error(BLOCKS_USAGE);
    return 2;
  }
  const address = argument === undefined ? undefined : canonicalClientAddress(argument);
  if (action !== 'list' && address === undefined) {
    io.error(argument === undefined ? BLOCKS_USAGE : `not an IP address: ${argument}`);
    return 2;
  }
  const opened = openQueueRedis(env, io);
  if (opened === undefined) return 1;
  const { redis, prefix } = opened;
  const blocks = createRedisClientBlockList({ redis, prefix });
  try {
    if (action === 'list') {
      const views = (await blocks.list()).map(blockView);
      if (options.json) {
        io.print(JSON.stringify({ blocks: views }, null, 2));
        return 0;
      }
      io.print(`${String(views.length)} blocked`);
      for (const view of views) {
        io.print(`${view.address.padEnd(39)}  ${view.reason.padEnd(6)}  until ${view.until}`);
      }
      return 0;
    }
    const target = address ?? '';
    if (action === 'show') {
      const block = await blocks.isBlocked(target);
      if (block === undefined) {
        io.error(`${target}: not blocked`);
        return 1;
      }
      const view = blockView(block);
      io.print(
        options.json
          ? JSON.stringify(view, null, 2)
          : `${target}: ${view.reason} until ${view.until}`,
      );
      return 0;
    }
    if (await blocks.lift(target)) {
      io.print(`${target}: block lifted`);
      return 0;
    }
    io.error(`${target}: not blocked`);
    return 1;
  } finally {
    redis.disconnect();
  }
}
