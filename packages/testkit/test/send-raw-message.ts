// Shared by the fake smart host tests: the relay's own way of sending (envelope + raw).
import nodemailer from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';

export const RAW_MESSAGE = Buffer.from(
  'From: sender@client.test\r\nTo: rcpt@dest.test\r\nSubject: hello\r\n\r\n.leading dot\r\nbody\r\n',
);

export interface Envelope {
  from: string;
  to: string[];
}

export async function sendRawMessage(
  port: number,
  transport: Omit<SMTPTransportOptions, 'host' | 'port'>,
  envelope: Envelope = { from: 'sender@client.test', to: ['rcpt@dest.test'] },
  raw: Buffer = RAW_MESSAGE,
) {
  const transporter = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    name: 'relay.client.test',
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 5_000,
    ...transport,
  });
  try {
    return await transporter.sendMail({ envelope: { ...envelope }, raw });
  } finally {
    transporter.close();
  }
}

/** The error nodemailer rejected with, for asserting its code and responseCode. */
export async function sendError(send: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await send;
  } catch (error) {
    if (error instanceof Error) return error as Error & Record<string, unknown>;
    throw error;
  }
  throw new Error('Expected the send to fail');
}
