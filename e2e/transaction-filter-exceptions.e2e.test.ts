import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { smtpConversation, type SmtpConversation } from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Transaction filter rules", the rest of the actions: X (accept the item, end
// rule processing for it) at M, R and S, each ahead of a rule that would refuse the
// same item, and BS (reject like B and block the client address). The client is in
// SMTP_RELAY_NETWORKS, so only the filter refuses anything.

const RULES = [
  'M, "boss@example.test", X, ""',
  'M, "*@example.test", R, "550 5.7.1 Only the boss"',
  'R, "postmaster@*", X, ""',
  'R, "*@blocked.test", R, "550 5.7.1 Recipient refused"',
  'S, "*urgent*invoice*", X, ""',
  'S, "*invoice*", R, "554 5.7.1 Invoice refused"',
  'R, "*@trap.test", BS, "550 5.7.1 Trap recipient"',
  '',
].join('\n');

describe('transaction filter rules: X at M, R and S; BS', () => {
  let redis: TestRedis;
  let stack: RelayStack;
  let dir: string;

  const session = async (): Promise<SmtpConversation> => {
    const opened = await smtpConversation({ port: stack.smtpPort });
    assert.equal(opened.greeting.code, 220, opened.greeting.text);
    assert.equal((await opened.send('EHLO client.example')).code, 250);
    return opened;
  };

  before(async () => {
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'transaction-filter-x-'));
    const filterFile = join(dir, 'transflt.mer');
    await writeFile(filterFile, RULES);
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMTP_FILTER_FILE: filterFile,
        SMTP_FILTER_BLOCK_TIME: '10m',
      },
    });
    await stack.ingress.waitForLog((line) => line.event === 'filter.loaded');
  });

  after(async () => {
    const codes = await stack.stop();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('M X accepts one sender ahead of a rule that refuses its domain', async () => {
    const client = await session();
    assert.equal((await client.send('MAIL FROM:<clerk@example.test>')).code, 550);
    assert.equal((await client.send('MAIL FROM:<boss@example.test>')).code, 250);
    await client.close();
  });

  it('R X accepts one recipient ahead of a rule that refuses its domain', async () => {
    const client = await session();
    assert.equal((await client.send('MAIL FROM:<device@lan.test>')).code, 250);
    assert.equal((await client.send('RCPT TO:<user@blocked.test>')).code, 550);
    assert.equal((await client.send('RCPT TO:<postmaster@blocked.test>')).code, 250);
    await client.close();
  });

  it('S X queues one Subject ahead of a rule that refuses it', async () => {
    const before = await readQueueState(redis.url, stack.prefix);
    const client = await session();
    for (const [subject, code] of [
      ['Your invoice', 554],
      ['URGENT: the invoice for March', 250],
    ] as const) {
      await client.send('MAIL FROM:<device@lan.test>');
      await client.send('RCPT TO:<boss@example.test>');
      assert.equal((await client.send('DATA')).code, 354);
      client.sendRaw(`Subject: ${subject}\r\n\r\nbody\r\n.\r\n`);
      assert.equal((await client.readReply()).code, code, subject);
    }
    assert.equal((await readQueueState(redis.url, stack.prefix)).jobs, before.jobs + 1);
    await client.close();
  });

  // Last: it blocks 127.0.0.1, the address every test here connects from.
  it('R BS refuses the recipient and blocks the client address', async () => {
    const client = await session();
    await client.send('MAIL FROM:<device@lan.test>');
    const refused = await client.send('RCPT TO:<anyone@trap.test>');
    assert.equal(refused.code, 550);
    assert.equal(refused.text, '5.7.1 Trap recipient');
    const blocked = await stack.ingress.waitForLog((line) => line.event === 'smtp.client.blocked');
    assert.equal(blocked['reason'], 'filter');
    await client.close();
    const next = await smtpConversation({ port: stack.smtpPort });
    assert.equal(next.greeting.code, 421);
    assert.match(next.greeting.text, /^4\.7\.0 /);
    await next.close();
  });
});
