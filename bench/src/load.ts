import nodemailer from 'nodemailer';
import { openRawSession, type RawSmtpSession } from './raw-client.ts';

export interface LoadOptions {
  readonly port: number;
  readonly messages: number;
  readonly concurrency: number;
  readonly size: number;
  /** false: one connection per message, as printers and most apps send. */
  readonly reuseConnections: boolean;
  /** AUTH PLAIN as this user on every connection. */
  readonly auth?: { readonly user: string; readonly pass: string } | undefined;
  /** raw: a minimal SMTP client (raw-client.ts); nodemailer: its transport (pooled when reusing). */
  readonly client: 'raw' | 'nodemailer';
}

export interface LoadResult {
  readonly failed: number;
  /** The first few refusals or errors, as evidence. */
  readonly errors: readonly string[];
  readonly endedAt: number;
  /** CPU seconds this process spent generating the load (user + system). */
  readonly cpuSeconds: number;
}

function messageOfSize(size: number, sequence: number): Buffer {
  const header =
    `From: bench@lan.test\r\nTo: sink@bench.test\r\nSubject: bench ${String(sequence)}\r\n` +
    `Message-ID: <bench-${String(sequence)}-${String(Date.now())}@lan.test>\r\n\r\n`;
  const line = `${'X'.repeat(76)}\r\n`;
  const bodyBytes = Math.max(0, size - header.length);
  const body =
    line.repeat(Math.floor(bodyBytes / line.length)) + 'Y'.repeat(bodyBytes % line.length);
  return Buffer.from(header + body, 'latin1');
}

type SendOne = (sequence: number) => Promise<void>;
interface Sender {
  readonly send: SendOne;
  close(): Promise<void>;
}

function nodemailerSender(options: LoadOptions): Sender {
  const common = {
    host: '127.0.0.1',
    port: options.port,
    ignoreTLS: true,
    name: 'bench.lan.test',
    ...(options.auth === undefined ? {} : { auth: options.auth, authMethod: 'PLAIN' }),
  };
  const transport = options.reuseConnections
    ? nodemailer.createTransport({
        ...common,
        pool: true,
        maxConnections: options.concurrency,
        maxMessages: Infinity,
      })
    : nodemailer.createTransport(common);
  return {
    async send(sequence) {
      await transport.sendMail({
        envelope: { from: 'bench@lan.test', to: [`${String(sequence)}sink@bench.test`] },
        raw: messageOfSize(options.size, sequence),
      });
    },
    close() {
      transport.close();
      return Promise.resolve();
    },
  };
}

/** One raw session per worker (reuse), or a new one per message. */
function rawSender(options: LoadOptions): () => Sender {
  const open = (): Promise<RawSmtpSession> =>
    openRawSession({ port: options.port, heloName: 'bench.lan.test', auth: options.auth });
  return () => {
    let session: RawSmtpSession | undefined;
    return {
      async send(sequence) {
        const message = messageOfSize(options.size, sequence);
        const to = `${String(sequence)}sink@bench.test`;
        if (!options.reuseConnections) {
          const once = await open();
          await once.send('bench@lan.test', to, message);
          await once.quit();
          return;
        }
        session ??= await open();
        try {
          await session.send('bench@lan.test', to, message);
        } catch (error) {
          session = undefined;
          throw error;
        }
      },
      async close() {
        await session?.quit().catch(() => undefined);
      },
    };
  };
}

/** Sends N messages from `concurrency` clients; resolves with the time of the last 250. */
export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const shared = options.client === 'nodemailer' ? nodemailerSender(options) : undefined;
  const perWorker = options.client === 'raw' ? rawSender(options) : undefined;
  let next = 0;
  let failed = 0;
  let lastAcceptedAt = Date.now();
  const errors: string[] = [];
  const worker = async (): Promise<void> => {
    const sender = shared ?? perWorker?.();
    if (sender === undefined) return;
    while (next < options.messages) {
      const sequence = next++;
      try {
        await sender.send(sequence);
        lastAcceptedAt = Date.now();
      } catch (error) {
        failed++;
        if (errors.length < 5) errors.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (sender !== shared) await sender.close();
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await shared?.close();
  const cpu = process.cpuUsage(cpuBefore);
  return { failed, errors, endedAt: lastAcceptedAt, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
