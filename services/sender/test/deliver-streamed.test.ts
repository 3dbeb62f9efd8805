import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newDeliveryJob } from '@smtp-relay/queue';
import { readWholeBody, type MessageBody, type SmartHostClient } from '@smtp-relay/smart-host';
import { createMemoryMessageStore } from '@smtp-relay/store';
import { deliver } from '../src/deliver.ts';

// Without REWRITE_FROM a body goes to the smart host as the store streams it,
// never read whole into the sender first (docs/adr/015-memory-footprint.md).

const MESSAGE_ID = '01M8BYCJJG0123456789ABCDEF';

async function stored(chunks: readonly Buffer[]) {
  const store = createMemoryMessageStore();
  const writer = store.openWriter(MESSAGE_ID);
  for (const chunk of chunks) await writer.write(chunk);
  const size = await writer.finish();
  const job = newDeliveryJob({
    messageId: MESSAGE_ID,
    size,
    mailFrom: 'printer@office.test',
    recipients: ['boss@example.test'],
    receivedAt: Date.now(),
    client: { address: '192.0.2.7', helo: 'printer.lan' },
    authUser: null,
    bodyType: '8bitmime',
    smtpUtf8: false,
  });
  return { store, job };
}

function recordingClient(onChunk: (chunk: Buffer) => Promise<void> = () => Promise.resolve()) {
  const sent: { size: number; streamed: boolean; body: Buffer }[] = [];
  const client: SmartHostClient = {
    async send(envelope, body: MessageBody) {
      const read: Buffer[] = [];
      if (Array.isArray(body)) read.push(...(await readWholeBody(body)));
      else {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          read.push(chunk);
          await onChunk(chunk);
        }
      }
      sent.push({ size: envelope.size, streamed: !Array.isArray(body), body: Buffer.concat(read) });
      return { accepted: [...envelope.to], rejected: [], response: '250 2.0.0 Ok' };
    },
    close: () => Promise.resolve(),
  };
  return { client, sent };
}

describe('deliver streams the stored body', () => {
  it('hands the smart host a stream of the chunks, byte-exact, with the stored size', async () => {
    const chunks = Array.from({ length: 12 }, () => randomBytes(700));
    const { store, job } = await stored(chunks);
    const { client, sent } = recordingClient();
    const attempt = await deliver(job, { store, client });
    assert.equal(attempt.kind, 'attempted');
    const [only, ...more] = sent;
    assert.ok(only);
    assert.equal(more.length, 0);
    assert.equal(only.streamed, true);
    assert.equal(only.size, 12 * 700);
    assert.ok(only.body.equals(Buffer.concat(chunks)));
  });

  it('fails the attempt (a retry), never sends a shorter body, when the body goes while it is sent', async () => {
    const { store, job } = await stored(Array.from({ length: 6 }, () => randomBytes(100)));
    const { client, sent } = recordingClient(() => store.delete(MESSAGE_ID));
    const attempt = await deliver(job, { store, client });
    assert.equal(sent.length, 0);
    assert.ok(attempt.kind === 'attempted', attempt.kind);
    assert.deepEqual(attempt.delivered, []);
    assert.equal(attempt.deferred.length, 1);
  });
});
