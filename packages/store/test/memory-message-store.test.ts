import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryMessageStore } from '../src/memory-message-store.ts';
import { BodyChangedError } from '../src/message-store.ts';

async function store(id: string, chunks: readonly string[], into = createMemoryMessageStore()) {
  const writer = into.openWriter(id);
  for (const chunk of chunks) await writer.write(Buffer.from(chunk));
  return { size: await writer.finish(), store: into };
}

describe('memory message store', () => {
  it('keeps the chunks as written, and copies them', async () => {
    const memory = createMemoryMessageStore();
    const reused = Buffer.from('first');
    const writer = memory.openWriter('m1');
    await writer.write(reused);
    reused.write('XXXXX');
    await writer.write(Buffer.from(' second'));
    assert.equal(await writer.finish(), 12);
    assert.deepEqual(
      (await memory.readChunks('m1'))?.map((c) => c.toString()),
      ['first', ' second'],
    );
    assert.equal(await memory.exists('m1'), true);
  });

  it('streams the chunks as written, again on a second pass; a missing body is undefined', async () => {
    const { store: memory } = await store('streamed', ['ab', 'cd', 'ef']);
    const chunks = await memory.streamChunks('streamed');
    assert.ok(chunks);
    for (let pass = 0; pass < 2; pass++) {
      const read: string[] = [];
      for await (const chunk of chunks) read.push(chunk.toString());
      assert.deepEqual(read, ['ab', 'cd', 'ef']);
    }
    assert.equal(await memory.streamChunks('never'), undefined);
  });

  it('fails a stream whose body is deleted while it is read', async () => {
    const { store: memory } = await store('deleted', ['ab', 'cd', 'ef']);
    const chunks = await memory.streamChunks('deleted');
    assert.ok(chunks);
    const read: string[] = [];
    await assert.rejects(async () => {
      for await (const chunk of chunks) {
        read.push(chunk.toString());
        await memory.delete('deleted');
      }
    }, BodyChangedError);
    assert.deepEqual(read, ['ab']);
  });

  it('stores an empty body as one that exists', async () => {
    const { size, store: memory } = await store('empty', []);
    assert.equal(size, 0);
    assert.equal(await memory.exists('empty'), true);
    assert.deepEqual(await memory.readChunks('empty'), [Buffer.alloc(0)]);
  });

  const heads: readonly { name: string; bytes: number; head: string }[] = [
    { name: 'inside the first chunk: that chunk', bytes: 2, head: 'abc' },
    { name: 'across chunks: whole chunks up to it', bytes: 4, head: 'abcdef' },
    { name: 'more than the body: the body', bytes: 100, head: 'abcdefgh' },
  ];
  for (const row of heads) {
    it(`reads a head ${row.name}`, async () => {
      const { store: memory } = await store('head', ['abc', 'def', 'gh']);
      assert.equal((await memory.readHead('head', row.bytes))?.toString(), row.head);
    });
  }

  it('abort and delete remove the body; reads of a missing body are undefined', async () => {
    const memory = createMemoryMessageStore();
    const writer = memory.openWriter('aborted');
    await writer.write(Buffer.from('x'));
    await writer.abort();
    await store('deleted', ['y'], memory);
    await memory.delete('deleted');
    for (const id of ['aborted', 'deleted']) {
      assert.equal(await memory.exists(id), false);
      assert.equal(await memory.readChunks(id), undefined);
      assert.equal(await memory.readHead(id, 10), undefined);
      assert.equal(await memory.idleSeconds(id), undefined);
    }
  });

  it('lists every body in batches of at most the size asked', async () => {
    const memory = createMemoryMessageStore();
    const ids = Array.from({ length: 7 }, (_, i) => `id${String(i)}`);
    for (const id of ids) await store(id, ['x'], memory);
    const batches: (readonly string[])[] = [];
    for await (const batch of memory.listBodyIds(3)) batches.push(batch);
    assert.deepEqual(
      batches.map((b) => b.length),
      [3, 3, 1],
    );
    assert.deepEqual(batches.flat(), ids);
  });

  it('counts idle seconds from the last write or read, on its clock', async () => {
    let now = 1_000_000;
    const memory = createMemoryMessageStore({ now: () => now });
    await store('aging', ['x'], memory);
    now += 5_999;
    assert.equal(await memory.idleSeconds('aging'), 5);
    assert.equal(await memory.exists('aging'), true, 'exists is not a read of the body');
    assert.equal(await memory.idleSeconds('aging'), 5);
    await memory.readChunks('aging');
    now += 2_000;
    assert.equal(await memory.idleSeconds('aging'), 2);
  });
});
