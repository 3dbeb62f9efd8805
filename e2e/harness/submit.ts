import nodemailer from 'nodemailer';

export interface Submission {
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: Buffer | string;
  readonly auth?: {
    readonly user: string;
    readonly pass: string;
    readonly method?: 'PLAIN' | 'LOGIN';
  };
  /** starttls (required), implicit, or none (plain text) */
  readonly tls: 'starttls' | 'implicit' | 'none';
  readonly ca?: string;
}

/** Submits one raw message like a device would; resolves with ingress's final reply. */
export async function submit(submission: Submission): Promise<string> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: submission.port,
    secure: submission.tls === 'implicit',
    requireTLS: submission.tls === 'starttls',
    ignoreTLS: submission.tls === 'none',
    tls: { ...(submission.ca ? { ca: submission.ca } : {}), servername: 'localhost' },
    name: 'device.test',
    ...(submission.auth
      ? {
          auth: { user: submission.auth.user, pass: submission.auth.pass },
          authMethod: submission.auth.method ?? 'PLAIN',
        }
      : {}),
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: submission.from, to: [...submission.to] },
      raw: submission.raw,
    });
    return info.response;
  } finally {
    transport.close();
  }
}

export function queuedId(response: string): string {
  const match = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(response.trim());
  if (!match?.[1]) throw new Error(`not a queued reply: ${response}`);
  return match[1];
}
