import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { smtpConversation, type SmtpConversation } from '@smtp-relay/testkit';
import { readQueueState } from './harness/queue-state.ts';
import { startRelayStack, type RelayStack } from './harness/relay-stack.ts';
import { useTestRedis, type TestRedis } from './harness/test-redis.ts';

// docs/reference.md "Transaction filter rules": a Mercury transflt.mer as SMTP_FILTER_FILE,
// every TYPE and ACTION as a client sees it, on the ingress process alone.
// Clients are in SMTP_RELAY_NETWORKS, so only the filter refuses anything.

const TOKEN = 'e2e-admin-token-filter-0123456789';

const RULES = [
  '# e2e transaction filter (Mercury transflt.mer syntax)',
  'H, "EHLO good.bad-helo.test", X, ""',
  'H, "EHLO *.bad-helo.test", R, "554 Invalid HELO format"',
  'M, "spammer@*", R, "550 5.7.1 Sender refused by filter"',
  'R, "*@refused.test", B, "550 5.7.1 Recipient refused by filter"',
  'R, "kick@*", D, "recipient kick@ means disconnect"',
  'S, "*lottery*", R, "554 5.7.1 Subject refused by filter"',
  'M, "trap@*", RS, "554 5.7.1 Trap sender"',
  'this line is not a rule',
  '',
].join('\n');

describe('transaction filter rules (SMTP_FILTER_FILE)', () => {
  let redis: TestRedis;
  let stack: RelayStack;
  let dir: string;
  let filterFile: string;

  const connect = (): Promise<SmtpConversation> => smtpConversation({ port: stack.smtpPort });
  const session = async (): Promise<SmtpConversation> => {
    const opened = await connect();
    assert.equal(opened.greeting.code, 220, opened.greeting.text);
    assert.equal((await opened.send('EHLO client.example')).code, 250);
    return opened;
  };
  const matched = (rule: number) =>
    stack.ingress.waitForLog(
      (line) => line.event === 'smtp.filter.matched' && line['rule'] === rule,
    );
  const queued = () => readQueueState(redis.url, stack.prefix);

  before(async () => {
    redis = await useTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'transaction-filter-'));
    filterFile = join(dir, 'transflt.mer');
    await writeFile(filterFile, RULES);
    stack = await startRelayStack({
      redisUrl: redis.url,
      smartHost: { port: 9, tls: 'none' },
      withoutSender: true,
      variables: {
        SMTP_RELAY_NETWORKS: '127.0.0.0/8',
        SMTP_FILTER_FILE: filterFile,
        SMTP_FILTER_BLOCK_TIME: '10m',
        ADMIN_TOKEN: TOKEN,
      },
    });
  });

  after(async () => {
    const codes = await stack.stop();
    await rm(dir, { recursive: true, force: true });
    await redis.cleanup();
    assert.deepEqual(codes, [0]);
  });

  it('reports a line that does not parse with its number, and applies the others', async () => {
    const invalid = await stack.ingress.waitForLog((line) => line.event === 'filter.invalid-line');
    assert.equal(invalid['line'], 9);
    assert.equal(invalid.level, 'warn');
    const loaded = await stack.ingress.waitForLog((line) => line.event === 'filter.loaded');
    assert.equal(loaded['rules'], 7);
  });

  it('H R refuses the HELO/EHLO line with the rule text; H X before it accepts', async () => {
    const client = await connect();
    const refused = await client.send('EHLO printer.bad-helo.test');
    assert.equal(refused.code, 554);
    assert.equal(refused.text, '5.7.1 Invalid HELO format');
    const line = await matched(3);
    assert.equal(line['type'], 'H');
    assert.equal(line['action'], 'R');
    assert.equal(line['value'], 'EHLO printer.bad-helo.test');
    // Without an accepted EHLO there is no transaction.
    assert.equal((await client.send('MAIL FROM:<a@example.test>')).code, 503);
    const accepted = await client.send('EHLO good.bad-helo.test');
    assert.equal(accepted.code, 250, 'the X rule on line 2 comes first');
    assert.equal((await matched(2))['action'], 'X');
    assert.equal((await client.send('MAIL FROM:<a@example.test>')).code, 250);
    await client.close();
  });

  it('M R refuses MAIL FROM; R B refuses that recipient only', async () => {
    const client = await session();
    const sender = await client.send('MAIL FROM:<spammer@example.test>');
    assert.equal(sender.code, 550);
    assert.equal(sender.text, '5.7.1 Sender refused by filter');
    assert.equal((await client.send('MAIL FROM:<device@lan.test>')).code, 250);
    const recipient = await client.send('RCPT TO:<anyone@refused.test>');
    assert.equal(recipient.code, 550);
    assert.equal(recipient.text, '5.7.1 Recipient refused by filter');
    assert.equal((await client.send('RCPT TO:<boss@example.test>')).code, 250);
    assert.equal((await matched(5))['action'], 'B');
    await client.close();
  });

  it('S R refuses the message after DATA by its Subject and queues nothing', async () => {
    const before = await queued();
    const client = await session();
    await client.send('MAIL FROM:<device@lan.test>');
    await client.send('RCPT TO:<boss@example.test>');
    assert.equal((await client.send('DATA')).code, 354);
    client.sendRaw(
      'From: device@lan.test\r\nSubject: You won the\r\n LOTTERY today\r\n\r\nclaim it\r\n.\r\n',
    );
    const reply = await client.readReply();
    assert.equal(reply.code, 554);
    assert.equal(reply.text, '5.7.1 Subject refused by filter');
    const line = await matched(7);
    assert.equal(line['type'], 'S');
    assert.ok(!('value' in line), 'the Subject is not logged');
    assert.deepEqual(await queued(), before);

    // The same session goes on; another Subject is queued.
    await client.send('MAIL FROM:<device@lan.test>');
    await client.send('RCPT TO:<boss@example.test>');
    await client.send('DATA');
    client.sendRaw('Subject: quarterly report\r\n\r\nnumbers\r\n.\r\n');
    assert.equal((await client.readReply()).code, 250);
    assert.equal((await queued()).jobs, before.jobs + 1);
    await client.close();
  });

  it('D answers 421 4.7.0 and closes the connection, logging the rule text', async () => {
    const client = await session();
    await client.send('MAIL FROM:<device@lan.test>');
    const reply = await client.send('RCPT TO:<kick@example.test>');
    assert.equal(reply.code, 421);
    assert.match(reply.text, /^4\.7\.0 /);
    await assert.rejects(client.readReply(5000), /closed by the server/);
    const line = await matched(6);
    assert.equal(line['action'], 'D');
    assert.equal(line['text'], 'recipient kick@ means disconnect');
  });

  it('re-reads the file when it changes and reports a new bad line by its number', async () => {
    const replacement = `${filterFile}.new`;
    await writeFile(
      replacement,
      `${RULES}M, "newly@*", R, "550 5.7.1 Newly refused"\nM, "unterminated\n`,
    );
    await rename(replacement, filterFile);
    const reloaded = await stack.ingress.waitForLog((line) => line.event === 'filter.reloaded');
    assert.equal(reloaded['rules'], 8);
    const invalid = stack.ingress.logs.filter((line) => line.event === 'filter.invalid-line');
    assert.deepEqual(
      invalid.map((line) => line['line']),
      [9, 9, 11],
    );
    const client = await session();
    const refused = await client.send('MAIL FROM:<newly@example.test>');
    assert.equal(refused.code, 550);
    assert.equal(refused.text, '5.7.1 Newly refused');
    await client.close();
  });

  it('RS refuses and blocks the client address: its next connection gets 421 4.7.0', async () => {
    const client = await session();
    const refused = await client.send('MAIL FROM:<trap@example.test>');
    assert.equal(refused.code, 554);
    const blocked = await stack.ingress.waitForLog((line) => line.event === 'smtp.client.blocked');
    assert.equal(blocked['reason'], 'filter');
    assert.equal(blocked['rule'], 8);
    const until = Date.parse(String(blocked['until']));
    assert.ok(until > Date.now() + 9 * 60_000 && until <= Date.now() + 10 * 60_000, 'for 10m');
    await client.close();

    const next = await connect();
    assert.equal(next.greeting.code, 421);
    assert.match(next.greeting.text, /^4\.7\.0 /);
    await next.close();

    const base = `http://127.0.0.1:${String(stack.ingress.adminPort)}`;
    const headers = { authorization: `Bearer ${TOKEN}` };
    const listed = (await (await fetch(`${base}/api/v1/blocks`, { headers })).json()) as {
      blocks: { address: string; reason: string }[];
    };
    assert.deepEqual(
      listed.blocks.map(({ address, reason }) => ({ address, reason })),
      [{ address: '127.0.0.1', reason: 'filter' }],
    );
    const lifted = await fetch(`${base}/api/v1/blocks/127.0.0.1`, { method: 'DELETE', headers });
    assert.equal(lifted.status, 200);
    const again = await connect();
    assert.equal(again.greeting.code, 220);
    await again.close();
  });
});
