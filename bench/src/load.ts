import nodemailer from 'nodemailer';

export interface LoadOptions {
  readonly port: number;
  readonly messages: number;
  readonly concurrency: number;
  readonly size: number;
  /** false: one connection per message, as printers and most apps send. */
  readonly reuseConnections: boolean;
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

/** Sends N messages from `concurrency` clients (pooled connections or one per message); resolves with the time of the last 250. */
export async function generateLoad(
  options: LoadOptions,
): Promise<{ failed: number; endedAt: number }> {
  const transport = options.reuseConnections
    ? nodemailer.createTransport({
        host: '127.0.0.1',
        port: options.port,
        pool: true,
        maxConnections: options.concurrency,
        maxMessages: Infinity,
        ignoreTLS: true,
        name: 'bench.lan.test',
      })
    : nodemailer.createTransport({
        host: '127.0.0.1',
        port: options.port,
        ignoreTLS: true,
        name: 'bench.lan.test',
      });
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < options.messages) {
      const sequence = next++;
      try {
        await transport.sendMail({
          envelope: { from: 'bench@lan.test', to: [`${String(sequence)}sink@bench.test`] },
          raw: messageOfSize(options.size, sequence),
        });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const endedAt = Date.now();
  transport.close();
  return { failed, endedAt };
}
