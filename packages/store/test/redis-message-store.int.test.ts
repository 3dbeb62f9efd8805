import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type RedisServerHandle } from '@smtp-relay/testkit';
import { Redis } from 'ioredis';
import { BodyChangedError } from '../src/message-store.ts';
import { createRedisMessageStore } from '../src/redis-message-store.ts';

describe('Redis message store (real Redis)', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  const prefix = `store-${randomBytes(4).toString('hex')}`;

  before(async () => {
    // Its own server: one test stops it.
    server = await startRedisServer();
    redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    await new Promise((resolve) => redis.once('ready', resolve));
  });

  after(async () => {
    redis.disconnect();
    await server.cleanup();
  });

  it('round-trips every byte value, in one chunk for a small message', async () => {
    const store = createRedisMessageStore({ redis, prefix });
    const bytes = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a, 0xc3, 0xa9, 0x0a, 0x0d]);
    const writer = store.openWriter('small');
    await writer.write(bytes.subarray(0, 4));
    await writer.write(bytes.subarray(4));
    assert.equal(await writer.finish(), bytes.length);
    const chunks = await store.readChunks('small');
    assert.ok(chunks);
    assert.equal(chunks.length, 1);
    assert.ok(Buffer.concat(chunks).equals(bytes));
  });

  it('stores a large body as several chunks that join to the original, and reads its head', async () => {
    const store = createRedisMessageStore({ redis, prefix, flushBytes: 1000 });
    const body = randomBytes(10_500);
    const writer = store.openWriter('large');
    for (let offset = 0; offset < body.length; offset += 300)
      await writer.write(body.subarray(offset, offset + 300));
    assert.equal(await writer.finish(), body.length);
    const chunks = await store.readChunks('large');
    assert.ok(chunks);
    assert.ok(chunks.length > 5);
    assert.ok(Buffer.concat(chunks).equals(body));
    const head = await store.readHead('large', 1500);
    assert.ok(head && head.length >= 1500 && head.equals(body.subarray(0, head.length)));
  });

  /** LRANGE and LLEN calls so far, from Redis's own statistics. */
  async function readCommands(): Promise<number> {
    const stats = await redis.info('commandstats');
    const calls = (name: string): number =>
      Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls('lrange') + calls('llen');
  }

  async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
    const read: Buffer[] = [];
    for await (const chunk of chunks) read.push(chunk);
    return read;
  }

  it('streams a small body with one command, and a missing one as undefined', async () => {
    const store = createRedisMessageStore({ redis, prefix });
    const bytes = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a, 0xc3, 0xa9]);
    const writer = store.openWriter('stream-small');
    await writer.write(bytes);
    await writer.finish();
    const before = await readCommands();
    const chunks = await store.streamChunks('stream-small');
    assert.ok(chunks);
    assert.ok(Buffer.concat(await collect(chunks)).equals(bytes));
    assert.equal((await readCommands()) - before, 1);
    assert.equal(await store.streamChunks('stream-never-written'), undefined);
  });

  for (const size of [10_500, 4000, 2000, 1]) {
    it(`streams a body of ${String(size)} bytes in batches of chunks, byte-exact, and again from its start`, async () => {
      // 1000-byte chunks, 2 per command: 11 chunks, an exact number of batches (4 chunks), one batch (2), one chunk.
      const store = createRedisMessageStore({
        redis,
        prefix,
        flushBytes: 1000,
        readBatchChunks: 2,
      });
      const body = randomBytes(size);
      const id = `stream-${String(size)}`;
      const writer = store.openWriter(id);
      for (let offset = 0; offset < body.length; offset += 500)
        await writer.write(body.subarray(offset, offset + 500));
      await writer.finish();
      const chunks = await store.streamChunks(id);
      assert.ok(chunks);
      const read = await collect(chunks);
      assert.equal(read.length, Math.ceil(size / 1000));
      assert.ok(Buffer.concat(read).equals(body));
      assert.ok(Buffer.concat(await collect(chunks)).equals(body), 'a second pass');
    });
  }

  it('fails, rather than ending early, when the body is deleted while it is streamed', async () => {
    const store = createRedisMessageStore({ redis, prefix, flushBytes: 1000, readBatchChunks: 2 });
    // 16 chunks of 1000 bytes, read 2 at a time: deleted inside the first batch, at its
    // end, inside a later one.
    for (const deleteAfter of [1, 2, 3, 5]) {
      const id = `stream-deleted-${String(deleteAfter)}`;
      const writer = store.openWriter(id);
      for (let chunk = 0; chunk < 16; chunk++) await writer.write(randomBytes(1000));
      await writer.finish();
      const chunks = await store.streamChunks(id);
      assert.ok(chunks);
      let read = 0;
      await assert.rejects(async () => {
        for await (const chunk of chunks) {
          read += chunk.length;
          if (read === deleteAfter * 1000) await store.delete(id);
        }
      }, BodyChangedError);
      assert.ok(read < 16_000, String(read));
      await assert.rejects(collect(chunks), BodyChangedError, 'a second pass');
    }
  });

  it('abort removes what was written; delete and exists', async () => {
    const store = createRedisMessageStore({ redis, prefix, flushBytes: 10 });
    const writer = store.openWriter('aborted');
    await writer.write(Buffer.alloc(50, 1));
    assert.equal(await store.exists('aborted'), true);
    await writer.abort();
    assert.equal(await store.exists('aborted'), false);
    assert.equal(await store.readChunks('aborted'), undefined);
    const kept = store.openWriter('kept');
    await kept.write(Buffer.from('x'));
    await kept.finish();
    await store.delete('kept');
    assert.equal(await store.exists('kept'), false);
  });

  it('lists every body of its prefix in bounded batches, and nothing else', async () => {
    const listing = `${prefix}-list`;
    const store = createRedisMessageStore({ redis, prefix: listing });
    const ids = Array.from({ length: 23 }, (_, i) => `list${String(i).padStart(4, '0')}`);
    for (const id of ids) {
      const writer = store.openWriter(id);
      await writer.write(Buffer.from(id));
      await writer.finish();
    }
    // Keys that look alike but are not this store's bodies.
    await redis.set(`${listing}:bodyx:stranger`, 'x');
    await redis.set(`${listing}:body:nested:stranger`, 'x');
    await redis.set(`${listing}x:body:stranger`, 'x');
    await createRedisMessageStore({ redis, prefix: `${listing}-other` })
      .openWriter('other0001')
      .finish();

    const batches: (readonly string[])[] = [];
    for await (const batch of store.listBodyIds(5)) batches.push(batch);
    assert.ok(
      batches.every((batch) => batch.length > 0 && batch.length <= 5),
      JSON.stringify(batches.map((batch) => batch.length)),
    );
    assert.deepEqual([...new Set(batches.flat())].sort(), ids);
  });

  it('lists a prefix holding glob characters literally', async () => {
    const globbed = `${prefix}-[g]*?`;
    const store = createRedisMessageStore({ redis, prefix: globbed });
    await store.openWriter('globbed01').finish();
    await createRedisMessageStore({ redis, prefix: `${prefix}-g-xy` })
      .openWriter('plain0001')
      .finish();
    const listed: string[] = [];
    for await (const batch of store.listBodyIds()) listed.push(...batch);
    assert.deepEqual(listed, ['globbed01']);
  });

  it('tells how long a body has been idle', async () => {
    const store = createRedisMessageStore({ redis, prefix });
    await store.openWriter('idle').finish();
    // OBJECT IDLETIME counts in whole seconds: a fresh body is at 0 (or 1 on a slow machine).
    const idle = await store.idleSeconds('idle');
    assert.ok(idle !== undefined && idle <= 1, String(idle));
    assert.equal(await store.idleSeconds('never-written'), undefined);
  });

  it('keeps accepting chunks after Redis fails and reports the failure at finish', async () => {
    const store = createRedisMessageStore({ redis, prefix, flushBytes: 10 });
    const writer = store.openWriter('failing');
    await server.stop();
    await writer.write(Buffer.alloc(20));
    await writer.write(Buffer.alloc(20));
    await assert.rejects(writer.finish());
    await writer.abort();
  });
});
