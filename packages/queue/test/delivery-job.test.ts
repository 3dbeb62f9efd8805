import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DeliveryJob,
  type NewDeliveryJob,
  newDeliveryJob,
  parseDeliveryJob,
} from '../src/delivery-job.ts';

const validJob: DeliveryJob = {
  v: 1,
  messageId: '01M8BYCJJG0123456789ABCDEF',
  size: 2048,
  mailFrom: 'printer@example.com',
  recipients: ['boss@example.com', 'team@example.org'],
  originalRecipients: ['boss@example.com', 'team@example.org', 'done@example.net'],
  receivedAt: Date.UTC(2026, 10, 26, 12, 48, 18),
  client: { address: '192.0.2.7', helo: 'printer.lan' },
  authUser: 'printer',
  bodyType: '8bitmime',
  smtpUtf8: false,
};

describe('parseDeliveryJob accepts', () => {
  const rows: readonly { name: string; data: DeliveryJob }[] = [
    { name: 'a v1 job', data: validJob },
    { name: 'no AUTH user (relay network client)', data: { ...validJob, authUser: null } },
    { name: 'null sender (a bounce)', data: { ...validJob, mailFrom: '' } },
    { name: 'empty body', data: { ...validJob, size: 0 } },
    { name: '7bit body, SMTPUTF8', data: { ...validJob, bodyType: '7bit', smtpUtf8: true } },
    {
      name: 'bounce id: message id with "-B1"',
      data: { ...validJob, messageId: '01M8BYCJJG0123456789ABCDEF-B1' },
    },
    { name: 'shortest message id (8)', data: { ...validJob, messageId: 'abc_-123' } },
    { name: 'longest message id (64)', data: { ...validJob, messageId: 'A'.repeat(64) } },
    { name: 'address of 512 characters', data: { ...validJob, mailFrom: 'a'.repeat(512) } },
    { name: 'one recipient', data: { ...validJob, recipients: ['boss@example.com'] } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(parseDeliveryJob(row.data), { ok: true, job: row.data });
    });
  }

  it('drops unknown properties', () => {
    const result = parseDeliveryJob({ ...validJob, body: 'must not travel in the job' });
    assert.deepEqual(result, { ok: true, job: validJob });
  });

  it('a job queued by a release that still wrote bodyKey (it is dropped)', () => {
    const result = parseDeliveryJob({
      ...validJob,
      bodyKey: 'smtp-relay:body:01M8BYCJJG0123456789ABCDEF',
    });
    assert.deepEqual(result, { ok: true, job: validJob });
  });
});

/** The problem text of a job the schema must refuse. */
function problemOf(data: unknown): string {
  const result = parseDeliveryJob(data);
  assert.ok(!result.ok, 'refused');
  return result.problem;
}

describe('parseDeliveryJob refuses', () => {
  const withoutAuthUser: Record<string, unknown> = { ...validJob };
  delete withoutAuthUser.authUser;
  const rows: readonly { name: string; data: unknown; at: string }[] = [
    { name: 'another version', data: { ...validJob, v: 2 }, at: 'v' },
    { name: 'version as a string', data: { ...validJob, v: '1' }, at: 'v' },
    {
      name: 'message id with ":" (Redis/BullMQ separator)',
      data: { ...validJob, messageId: '01M8BYCJ:G0123456789' },
      at: 'messageId',
    },
    {
      name: 'message id shorter than 8',
      data: { ...validJob, messageId: '01M8BYC' },
      at: 'messageId',
    },
    {
      name: 'message id longer than 64',
      data: { ...validJob, messageId: 'A'.repeat(65) },
      at: 'messageId',
    },
    {
      name: 'message id with a space',
      data: { ...validJob, messageId: '01M8BYCJ G0' },
      at: 'messageId',
    },
    {
      name: 'message id with a path',
      data: { ...validJob, messageId: '../../etc/passwd' },
      at: 'messageId',
    },
    { name: 'negative size', data: { ...validJob, size: -1 }, at: 'size' },
    { name: 'fractional size', data: { ...validJob, size: 1.5 }, at: 'size' },
    { name: 'size as a string', data: { ...validJob, size: '2048' }, at: 'size' },
    {
      name: 'sender longer than 512',
      data: { ...validJob, mailFrom: 'a'.repeat(513) },
      at: 'mailFrom',
    },
    { name: 'sender missing', data: { ...validJob, mailFrom: undefined }, at: 'mailFrom' },
    { name: 'empty recipients', data: { ...validJob, recipients: [] }, at: 'recipients' },
    {
      name: 'empty recipient address',
      data: { ...validJob, recipients: ['a@example.com', ''] },
      at: 'recipients[1]',
    },
    {
      name: 'recipient longer than 512',
      data: { ...validJob, recipients: ['r'.repeat(513)] },
      at: 'recipients[0]',
    },
    {
      name: 'recipients as a string',
      data: { ...validJob, recipients: 'boss@example.com' },
      at: 'recipients',
    },
    {
      name: 'empty original recipients',
      data: { ...validJob, originalRecipients: [] },
      at: 'originalRecipients',
    },
    { name: 'received at zero', data: { ...validJob, receivedAt: 0 }, at: 'receivedAt' },
    { name: 'received at negative', data: { ...validJob, receivedAt: -1 }, at: 'receivedAt' },
    { name: 'received at fractional', data: { ...validJob, receivedAt: 1.5 }, at: 'receivedAt' },
    {
      name: 'received at as an ISO string',
      data: { ...validJob, receivedAt: '2026-11-26T12:48:18Z' },
      at: 'receivedAt',
    },
    {
      name: 'client without HELO',
      data: { ...validJob, client: { address: '192.0.2.7' } },
      at: 'client.helo',
    },
    {
      name: 'client address as a number',
      data: { ...validJob, client: { address: 7, helo: 'x' } },
      at: 'client.address',
    },
    {
      name: 'AUTH user missing (null is required, not absent)',
      data: withoutAuthUser,
      at: 'authUser',
    },
    { name: 'unknown body type', data: { ...validJob, bodyType: 'binarymime' }, at: 'bodyType' },
    {
      name: 'body type in upper case',
      data: { ...validJob, bodyType: '8BITMIME' },
      at: 'bodyType',
    },
    { name: 'SMTPUTF8 as a string', data: { ...validJob, smtpUtf8: 'true' }, at: 'smtpUtf8' },
  ];
  for (const row of rows) {
    it(`${row.name} (at ${row.at})`, () => {
      const problem = problemOf(row.data);
      // Exactly one problem, at the field the row breaks.
      assert.equal(problem.split('✖').length - 1, 1, problem);
      assert.ok(problem.endsWith(`→ at ${row.at}`), problem);
    });
  }

  const notObjects: readonly { name: string; data: unknown }[] = [
    { name: 'null', data: null },
    { name: 'undefined', data: undefined },
    { name: 'a string', data: JSON.stringify(validJob) },
    { name: 'an array', data: [validJob] },
  ];
  for (const row of notObjects) {
    it(`${row.name} instead of an object`, () => {
      assert.match(problemOf(row.data), /expected object/);
    });
  }
});

describe('newDeliveryJob', () => {
  const accepted: NewDeliveryJob = {
    messageId: '01M8BYCJJG0123456789ABCDEF',
    size: 2048,
    mailFrom: 'printer@example.com',
    recipients: ['boss@example.com', 'team@example.org'],
    receivedAt: Date.UTC(2026, 10, 26, 12, 48, 18),
    client: { address: '192.0.2.7', helo: 'printer.lan' },
    authUser: 'printer',
    bodyType: '8bitmime',
    smtpUtf8: false,
  };
  const rows: readonly { name: string; input: NewDeliveryJob; expected: DeliveryJob }[] = [
    {
      name: 'a message ingress accepted: every recipient still to deliver',
      input: accepted,
      expected: {
        v: 1,
        ...accepted,
        recipients: ['boss@example.com', 'team@example.org'],
        originalRecipients: ['boss@example.com', 'team@example.org'],
        client: { address: '192.0.2.7', helo: 'printer.lan' },
      },
    },
    {
      name: 'a bounce: null sender, one recipient',
      input: {
        ...accepted,
        messageId: '01M8BYCJJG0123456789ABCDEF-B2',
        mailFrom: '',
        recipients: ['printer@example.com'],
        client: { address: '127.0.0.1', helo: 'relay.example.com' },
        authUser: null,
      },
      expected: {
        v: 1,
        ...accepted,
        messageId: '01M8BYCJJG0123456789ABCDEF-B2',
        mailFrom: '',
        recipients: ['printer@example.com'],
        originalRecipients: ['printer@example.com'],
        client: { address: '127.0.0.1', helo: 'relay.example.com' },
        authUser: null,
      },
    },
  ];
  for (const row of rows) {
    it(`${row.name}, in the shape the sender reads`, () => {
      const job = newDeliveryJob(row.input);
      assert.deepEqual(job, row.expected);
      assert.deepEqual(parseDeliveryJob(job), { ok: true, job: row.expected });
    });
  }

  it('keeps neither the caller’s arrays nor properties outside the job', () => {
    const recipients = ['boss@example.com'];
    const input = { ...accepted, recipients, password: 'hunter2', session: { id: 7 } };
    const job = newDeliveryJob(input);
    recipients.push('late@example.com');
    assert.deepEqual(job.recipients, ['boss@example.com']);
    assert.deepEqual(job.originalRecipients, ['boss@example.com']);
    assert.notEqual(job.recipients, job.originalRecipients);
    assert.equal('password' in job, false);
    assert.equal('session' in job, false);
  });
});
