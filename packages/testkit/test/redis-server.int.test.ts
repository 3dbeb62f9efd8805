import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { startRedisServer, waitFor, type RedisServerHandle } from '../src/index.ts';
import { pingRedis } from '../src/redis-ping.ts';

type RespValue = string | null | RespValue[];

/** Parses one RESP2 value from the front of `text`; undefined while incomplete. */
function parseResp(text: string): { value: RespValue; rest: string } | undefined {
  const lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) return undefined;
  const [type, header, after] = [text[0], text.slice(1, lineEnd), text.slice(lineEnd + 2)];
  if (type === '$') {
    const length = Number(header);
    if (length < 0) return { value: null, rest: after };
    if (after.length < length + 2) return undefined;
    return { value: after.slice(0, length), rest: after.slice(length + 2) };
  }
  if (type === '*') {
    const items: RespValue[] = [];
    let rest = after;
    for (let i = 0; i < Number(header); i++) {
      const item = parseResp(rest);
      if (!item) return undefined;
      items.push(item.value);
      rest = item.rest;
    }
    return { value: items, rest };
  }
  return { value: text.slice(0, lineEnd), rest: after }; // +OK, -ERR, :1 kept with their prefix
}

/** One command over a raw socket, so the testkit needs no Redis client. */
function redisCommand(port: number, ...args: string[]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const request = [`*${args.length}`, ...args.flatMap((a) => [`$${Buffer.byteLength(a)}`, a])];
    socket.write(`${request.join('\r\n')}\r\n`);
    let received = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`No complete answer: ${received}`)));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      const parsed = parseResp(received);
      if (!parsed) return;
      socket.destroy();
      resolve(parsed.value);
    });
  });
}

describe('startRedisServer', () => {
  const started: RedisServerHandle[] = [];
  const start = async (options?: Parameters<typeof startRedisServer>[0]) => {
    const redis = await startRedisServer(options);
    started.push(redis);
    return redis;
  };
  after(async () => {
    await Promise.all(started.map((redis) => redis.cleanup()));
  });

  it('starts on a loopback port with the relay settings and stops on SIGTERM', async () => {
    const redis = await start();
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
    assert.equal(typeof redis.pid, 'number');
    assert.equal(await redisCommand(redis.port, 'PING'), '+PONG');
    assert.deepEqual(await redisCommand(redis.port, 'CONFIG', 'GET', 'maxmemory-policy'), [
      'maxmemory-policy',
      'noeviction',
    ]);
    assert.deepEqual(await redisCommand(redis.port, 'CONFIG', 'GET', 'save'), ['save', '']);
    assert.deepEqual(await redisCommand(redis.port, 'CONFIG', 'GET', 'bind'), [
      'bind',
      '127.0.0.1',
    ]);
    await redis.stop();
    assert.equal(redis.pid, undefined);
    assert.equal(await pingRedis(redis.port, 200), false);
  });

  it('keeps data across kill -9 and restart when appendOnly', async () => {
    const redis = await start({ appendOnly: true });
    assert.deepEqual(await redisCommand(redis.port, 'CONFIG', 'GET', 'appendfsync'), [
      'appendfsync',
      'always',
    ]);
    assert.equal(await redisCommand(redis.port, 'SET', 'survivor', 'yes'), '+OK');
    const firstPid = redis.pid;
    await redis.kill();
    assert.equal(await pingRedis(redis.port, 200), false);
    await redis.restart();
    assert.notEqual(redis.pid, firstPid);
    assert.equal(await redisCommand(redis.port, 'GET', 'survivor'), 'yes');
  });

  it('loses data across kill -9 without appendOnly (no RDB snapshots either)', async () => {
    const redis = await start();
    await redisCommand(redis.port, 'SET', 'ephemeral', 'yes');
    await redis.kill();
    await redis.restart();
    assert.equal(await redisCommand(redis.port, 'GET', 'ephemeral'), null);
  });

  it('pause() leaves the port open but silent until resume()', async () => {
    const redis = await start();
    redis.pause();
    assert.equal(await pingRedis(redis.port, 200), false);
    redis.resume();
    assert.equal(await pingRedis(redis.port, 2_000), true);
  });

  it('stop() also ends a paused server', async () => {
    const redis = await start();
    redis.pause();
    await redis.stop();
    assert.equal(redis.pid, undefined);
  });

  it('cleanup() removes the temp dir', async () => {
    const redis = await start({ appendOnly: true });
    await access(redis.dir);
    await redis.cleanup();
    await assert.rejects(access(redis.dir), { code: 'ENOENT' });
  });

  it('kills redis-server when the test process exits without cleanup', async () => {
    const script = [
      `import { startRedisServer } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};`,
      'const redis = await startRedisServer();',
      'console.log(JSON.stringify({ port: redis.port, dir: redis.dir }));',
      'process.exit(0);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(exitCode, 0);
    const { port, dir } = JSON.parse(output) as { port: number; dir: string };
    await waitFor(async () => !(await pingRedis(port, 200)), {
      timeoutMs: 5_000,
      description: `redis-server on ${port} to go away`,
    });
    await rm(dir, { recursive: true, force: true });
  });
});
