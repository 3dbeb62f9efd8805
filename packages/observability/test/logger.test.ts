import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, flushLogger } from '../src/logger.ts';

async function logged(write: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const logger = createLogger({ service: 'test', version: '1.2.3', level: 'info', destination });
  write(logger);
  await flushLogger(logger);
  return text;
}

describe('createLogger', () => {
  it('writes JSON lines with service, version and the event', async () => {
    const line = JSON.parse(
      await logged((logger) => {
        logger.info({ event: 'message.queued' }, 'queued');
      }),
    ) as Record<string, unknown>;
    assert.equal(line['service'], 'test');
    assert.equal(line['version'], '1.2.3');
    assert.equal(line['level'], 'info');
    assert.equal(line['event'], 'message.queued');
  });

  const secrets: readonly [string, Record<string, unknown>][] = [
    ['a password field', { password: 'hunter2-secret' }],
    ['a nested pass', { auth: { user: 'relay', pass: 'hunter2-secret' } }],
    ['an authorization header', { req: { headers: { authorization: 'Bearer hunter2-secret' } } }],
    [
      'the arguments of a failed Redis command (a body chunk)',
      {
        err: Object.assign(new Error('OOM command not allowed'), {
          command: { name: 'rpush', args: ['key', 'hunter2-secret body'] },
        }),
      },
    ],
    [
      'a Redis command behind an error cause',
      {
        err: new Error('queue unavailable', {
          cause: Object.assign(new Error('OOM'), {
            command: { name: 'rpush', args: ['hunter2-secret'] },
          }),
        }),
      },
    ],
  ];
  for (const [name, fields] of secrets) {
    it(`never writes ${name}`, async () => {
      const text = await logged((logger) => {
        logger.warn(fields, 'something');
      });
      assert.ok(text.length > 0);
      assert.doesNotMatch(text, /hunter2-secret/);
    });
  }
});
