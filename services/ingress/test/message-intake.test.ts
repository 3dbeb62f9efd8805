import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { DeliveryJob, DeliveryProducer } from '@smtp-relay/queue';
import { formatReply, INGRESS_REPLIES } from '@smtp-relay/smtp-errors';
import { createMemoryMessageStore, type MessageStore, type ReplicaWait } from '@smtp-relay/store';
import {
  createMessageIntake,
  DataInterruptedError,
  type ContentCheck,
  type DataStream,
  type IncomingEnvelope,
} from '../src/message-intake.ts';
import { ReplyError } from '../src/reply.ts';

// The claim check at the end of DATA: the body goes into the store, then the
// job into the queue, and a 250 is only possible when both are there. Whatever
// goes wrong, no job may name a body that is not stored, and a body is only
// left behind where a job may still come for it (the sender's orphan sweep
// removes it if none does).

/** Short: the timeout cases wait for it for real. */
const STORE_TIMEOUT_MS = 20;
const HEADER = 'Received: from device.test by relay.test\r\n';

const ENVELOPE: IncomingEnvelope = {
  messageId: 'msg-intake-0001',
  mailFrom: 'device@lan.test',
  recipients: ['boss@example.test', 'ops@example.test'],
  client: { address: '192.0.2.10', helo: 'device.test' },
  authUser: null,
  bodyType: '7bit',
  smtpUtf8: false,
};

/** One step of what the client sends after DATA, as smtp-server's stream delivers it. */
type DataStep =
  | { readonly chunk: string }
  /** smtp-server counted more bytes than SIZE allows: it flags the stream and keeps feeding it. */
  | { readonly sizeExceeded: true }
  /** The stream fails with an error (smtp-server destroys it so when the socket closes). */
  | { readonly fails: string }
  /** The stream is destroyed without an error: aborted, as at shutdown. */
  | { readonly aborted: true };

/** The part of smtp-server's data stream the intake reads, played from a script. */
function dataStream(steps: readonly DataStep[]): DataStream & { fullyRead(): boolean } {
  let next = 0;
  let ended = false;
  const stream = Object.assign(
    new Readable({
      read() {
        for (;;) {
          const step = steps[next++];
          if (step === undefined) {
            ended = true;
            this.push(null);
            return;
          }
          if ('chunk' in step) {
            this.push(Buffer.from(step.chunk));
            return;
          }
          if ('sizeExceeded' in step) {
            stream.sizeExceeded = true;
            continue;
          }
          this.destroy('fails' in step ? new Error(step.fails) : undefined);
          return;
        }
      },
    }),
    { sizeExceeded: false, fullyRead: () => ended },
  );
  return stream;
}

interface StoreFaults {
  /** The write after this many succeeded ones rejects (Redis went away mid-body). */
  readonly writesBeforeFailure?: number;
  /** The final flush never answers (a hung Redis). */
  readonly finishHangs?: boolean;
}

/** The in-memory store with a fault put in front of its writer. */
function storeWith(faults: StoreFaults): MessageStore {
  const store = createMemoryMessageStore();
  return {
    ...store,
    openWriter(messageId) {
      const writer = store.openWriter(messageId);
      let writes = 0;
      return {
        async write(chunk) {
          writes++;
          if (faults.writesBeforeFailure !== undefined && writes > faults.writesBeforeFailure) {
            throw new Error('store write failed');
          }
          await writer.write(chunk);
        },
        finish: () => (faults.finishHangs ? new Promise<number>(() => undefined) : writer.finish()),
        abort: () => writer.abort(),
      };
    },
  };
}

/**
 * How the queue answers an add:
 * - adds: the job is there when enqueue resolves;
 * - fails: enqueue rejects and nothing was added;
 * - lands-late: enqueue answers only when the test calls `settleLate`, and
 *   the job is added then (a slow BullMQ add that still went through);
 * - fails-late: the same, but nothing is ever added.
 */
type EnqueueBehaviour = 'adds' | 'fails' | 'lands-late' | 'fails-late';

interface MemoryProducer extends DeliveryProducer {
  readonly jobs: Map<string, DeliveryJob>;
  /** What withdraw finds: 'removes' (waiting) or 'taken' (a sender holds the job). */
  withdrawal: 'removes' | 'taken';
  /** Lets the held (late) adds finish now. */
  settleLate(): void;
}

function memoryProducer(behaviour: EnqueueBehaviour): MemoryProducer {
  const jobs = new Map<string, DeliveryJob>();
  const held: (() => void)[] = [];
  return {
    jobs,
    withdrawal: 'removes',
    withdraw(messageId) {
      if (this.withdrawal === 'taken') return Promise.resolve(false);
      return Promise.resolve(jobs.delete(messageId));
    },
    enqueue(job) {
      if (behaviour === 'adds') {
        jobs.set(job.messageId, job);
        return Promise.resolve();
      }
      if (behaviour === 'fails') return Promise.reject(new Error('queue add failed'));
      return new Promise<void>((resolve, reject) => {
        held.push(() => {
          if (behaviour === 'lands-late') {
            jobs.set(job.messageId, job);
            resolve();
          } else {
            reject(new Error('queue add failed late'));
          }
        });
      });
    },
    settleLate() {
      for (const release of held.splice(0)) release();
    },
    close: () => Promise.resolve(),
  };
}

/** A content check (S filter rules) that refuses every message. */
const REFUSING_CHECK: ContentCheck = {
  push: () => undefined,
  verdict: () =>
    Promise.reject(new ReplyError({ code: 554, enhanced: '5.7.1', text: 'Content refused' })),
};

interface Case {
  readonly name: string;
  readonly data: readonly DataStep[];
  readonly store?: StoreFaults;
  readonly enqueue?: EnqueueBehaviour;
  readonly content?: ContentCheck;
  /** REDIS_WAIT_REPLICAS on: the answers of successive confirmations (body, then job). */
  readonly replicas?: readonly boolean[];
  /** With replicas: what withdrawing the job finds. */
  readonly withdrawal?: 'removes' | 'taken';
  /** Whether the job is queued afterwards; default: exactly when the answer is 250. */
  readonly jobKept?: boolean;
  /** The stored size, the reply the intake rejects with, or 'interrupted' (DataInterruptedError). */
  readonly outcome: number | string;
  /** Whether the body is in the store once the intake has answered. */
  readonly bodyKept: boolean;
  /** Whether the client's stream was read to its end (so it can read our reply). */
  readonly readToEnd: boolean;
}

const BODY = ['Subject: hi\r\n\r\n', 'line one\r\n', 'line two\r\n'];
const FULL_SIZE = Buffer.byteLength(HEADER + BODY.join(''));
const QUEUE_UNAVAILABLE = formatReply(INGRESS_REPLIES.queueUnavailable);

const CASES: readonly Case[] = [
  {
    name: 'success: header and body stored, job queued, stored size returned',
    data: BODY.map((chunk) => ({ chunk })),
    outcome: FULL_SIZE,
    bodyKept: true,
    readToEnd: true,
  },
  {
    name: 'oversize: 552, storing stops at once, the rest is read and dropped',
    data: [{ chunk: BODY[0] ?? '' }, { sizeExceeded: true }, { chunk: 'x'.repeat(64) }],
    outcome: formatReply(INGRESS_REPLIES.messageTooBig),
    bodyKept: false,
    readToEnd: true,
  },
  {
    name: 'stream error mid-body (client gone): nothing stored or queued',
    data: [
      { chunk: BODY[0] ?? '' },
      { fails: 'Connection closed before the message was received in full' },
    ],
    outcome: 'interrupted',
    bodyKept: false,
    readToEnd: false,
  },
  {
    name: 'stream aborted mid-body (shutdown): nothing stored or queued',
    data: [{ chunk: BODY[0] ?? '' }, { chunk: BODY[1] ?? '' }, { aborted: true }],
    outcome: 'interrupted',
    bodyKept: false,
    readToEnd: false,
  },
  {
    name: 'store write fails mid-body: the client still reaches its final dot, then 451',
    data: BODY.map((chunk) => ({ chunk })),
    store: { writesBeforeFailure: 2 },
    outcome: QUEUE_UNAVAILABLE,
    bodyKept: false,
    readToEnd: true,
  },
  {
    name: 'store flush times out: 451, the body is removed (no job can name it)',
    data: BODY.map((chunk) => ({ chunk })),
    store: { finishHangs: true },
    outcome: QUEUE_UNAVAILABLE,
    bodyKept: false,
    readToEnd: true,
  },
  {
    name: 'content refused at the end: the refusal, the body is removed',
    data: BODY.map((chunk) => ({ chunk })),
    content: REFUSING_CHECK,
    outcome: '554 5.7.1 Content refused',
    bodyKept: false,
    readToEnd: true,
  },
  {
    name: 'enqueue fails: 451, the body stays (the add may have run after all)',
    data: BODY.map((chunk) => ({ chunk })),
    enqueue: 'fails',
    outcome: QUEUE_UNAVAILABLE,
    bodyKept: true,
    readToEnd: true,
  },
  {
    name: 'replicas confirm the body, then the job: 250',
    data: BODY.map((chunk) => ({ chunk })),
    replicas: [true, true],
    outcome: FULL_SIZE,
    bodyKept: true,
    readToEnd: true,
  },
  {
    name: 'replicas do not confirm the body: 451, the body is removed, no job was made',
    data: BODY.map((chunk) => ({ chunk })),
    replicas: [false],
    outcome: QUEUE_UNAVAILABLE,
    bodyKept: false,
    readToEnd: true,
  },
  {
    name: 'replicas do not confirm the job: 451, job and body taken back',
    data: BODY.map((chunk) => ({ chunk })),
    replicas: [true, false],
    outcome: QUEUE_UNAVAILABLE,
    bodyKept: false,
    readToEnd: true,
  },
  {
    name: 'replicas do not confirm the job, a sender already has it: 451, job and body stay',
    data: BODY.map((chunk) => ({ chunk })),
    replicas: [true, false],
    withdrawal: 'taken',
    outcome: QUEUE_UNAVAILABLE,
    bodyKept: true,
    jobKept: true,
    readToEnd: true,
  },
];

/** Confirmations answered from a list; records the timeouts asked for. */
function scriptedReplicas(answers: readonly boolean[]): ReplicaWait & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    confirm(timeoutMs) {
      const answer = answers[asked.length];
      asked.push(timeoutMs);
      if (answer === undefined) throw new Error('more confirmations than the case scripted');
      return Promise.resolve(answer);
    },
  };
}

function outcomeOf(error: unknown): string {
  if (error instanceof DataInterruptedError) return 'interrupted';
  if (error instanceof ReplyError) return formatReply(error.reply);
  throw error;
}

/** The claim check's rule: a job never names a body the store does not hold. */
async function assertEveryJobHasItsBody(
  producer: MemoryProducer,
  store: MessageStore,
): Promise<void> {
  for (const messageId of producer.jobs.keys()) {
    assert.ok(await store.exists(messageId), `job ${messageId} has its body`);
  }
}

/**
 * A whole message whose enqueue times out (451, queue unavailable), the held add
 * then settling as `late` says: what the store and the queue are left with.
 */
async function afterEnqueueTimeout(late: 'lands-late' | 'fails-late') {
  const store = createMemoryMessageStore();
  const producer = memoryProducer(late);
  const intake = createMessageIntake({ store, producer, storeTimeoutMs: STORE_TIMEOUT_MS });

  const outcome = await intake
    .accept(ENVELOPE, Buffer.from(HEADER), dataStream(BODY.map((chunk) => ({ chunk }))))
    .then((size) => size, outcomeOf);
  assert.equal(outcome, QUEUE_UNAVAILABLE);

  producer.settleLate();
  return { store, producer };
}

describe('message intake', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const store = storeWith(c.store ?? {});
      const producer = memoryProducer(c.enqueue ?? 'adds');
      producer.withdrawal = c.withdrawal ?? 'removes';
      const replicas = c.replicas === undefined ? undefined : scriptedReplicas(c.replicas);
      const intake = createMessageIntake({
        store,
        producer,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        replicas,
      });
      const data = dataStream(c.data);

      const outcome = await intake
        .accept(ENVELOPE, Buffer.from(HEADER), data, c.content)
        .then((size) => size, outcomeOf);

      assert.equal(outcome, c.outcome);
      assert.equal(await store.exists(ENVELOPE.messageId), c.bodyKept, 'body kept');
      assert.equal(data.fullyRead(), c.readToEnd, 'stream read to its end');
      // A job only when the answer is 250: the late add has not landed yet.
      assert.equal(
        producer.jobs.has(ENVELOPE.messageId),
        c.jobKept ?? typeof c.outcome === 'number',
      );
      if (replicas) {
        assert.equal(replicas.asked.length, c.replicas?.length, 'confirmations asked');
        for (const timeoutMs of replicas.asked) assert.ok(timeoutMs < STORE_TIMEOUT_MS);
      }
      producer.settleLate();
      await assertEveryJobHasItsBody(producer, store);
    });
  }

  it('success: the job is the envelope, the stored size and the message id (claim check)', async () => {
    const store = createMemoryMessageStore();
    const producer = memoryProducer('adds');
    const intake = createMessageIntake({ store, producer, storeTimeoutMs: STORE_TIMEOUT_MS });

    await intake.accept(
      ENVELOPE,
      Buffer.from(HEADER),
      dataStream(BODY.map((chunk) => ({ chunk }))),
    );

    const chunks = await store.readChunks(ENVELOPE.messageId);
    assert.equal(Buffer.concat(chunks ?? []).toString(), HEADER + BODY.join(''));
    const job = producer.jobs.get(ENVELOPE.messageId);
    assert.ok(job);
    assert.equal(job.size, FULL_SIZE);
    assert.deepEqual(job.recipients, ENVELOPE.recipients);
    assert.deepEqual(job.originalRecipients, ENVELOPE.recipients);
    assert.equal(job.mailFrom, ENVELOPE.mailFrom);
  });

  describe('the Subject for the message history, and the throughput', () => {
    /** One message through an intake in memory, with `options` added to its dependencies. */
    const acceptOne = async (
      chunks: readonly string[],
      options: { readSubject?: boolean; throughput?: { count(kind: string): void } } = {},
      enqueue: EnqueueBehaviour = 'adds',
    ) => {
      const producer = memoryProducer(enqueue);
      const intake = createMessageIntake({
        store: createMemoryMessageStore(),
        producer,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        ...options,
      });
      await intake.accept(
        ENVELOPE,
        Buffer.from(HEADER),
        dataStream(chunks.map((chunk) => ({ chunk }))),
      );
      return producer.jobs.get(ENVELOPE.messageId);
    };
    const subjectOf = async (readSubject: boolean, chunks: readonly string[]) =>
      (await acceptOne(chunks, { readSubject }))?.subject;

    it('the job carries it decoded, read across chunk boundaries', async () => {
      const chunks = [
        'From: a@b\r\nSubj',
        'ect: =?UTF-8?Q?Scan_f',
        '=C3=BCr_B=C3=BCro?=\r\n',
        '\r\nbody\r\n',
      ];
      assert.equal(await subjectOf(true, chunks), 'Scan für Büro');
    });

    it('a Subject: line after the header section is not the Subject', async () => {
      assert.equal(await subjectOf(true, ['To: x@y\r\n\r\nSubject: in the body\r\n']), '');
    });

    it("counts the message for the dashboard's throughput once it is queued, not before", async () => {
      const counted: string[] = [];
      const throughput = { count: (kind: string) => counted.push(kind) };
      await acceptOne(BODY, { throughput });
      await assert.rejects(acceptOne(BODY, { throughput }, 'fails'));
      assert.deepEqual(counted, ['received']);
    });

    it('no history: the job carries none', async () => {
      assert.equal(await subjectOf(false, BODY), undefined);
    });
  });

  it('enqueue times out and the add lands afterwards: the job finds its body', async () => {
    const { store, producer } = await afterEnqueueTimeout('lands-late');
    assert.ok(producer.jobs.has(ENVELOPE.messageId), 'the late add landed');
    const chunks = await store.readChunks(ENVELOPE.messageId);
    assert.equal(Buffer.concat(chunks ?? []).toString(), HEADER + BODY.join(''));
  });

  it('enqueue times out and the add never lands: the body is left for the orphan sweep', async () => {
    const { store, producer } = await afterEnqueueTimeout('fails-late');
    assert.equal(producer.jobs.size, 0);
    // A body without a job: what the sender's sweep removes once it has been
    // idle for hours; one the intake deleted could be one a late job needs.
    assert.ok(await store.exists(ENVELOPE.messageId));
  });
});
