import { smtpConversation } from '@smtp-relay/testkit';

/**
 * Submits one small message as a LAN device in SMTP_RELAY_NETWORKS (no TLS, no
 * AUTH) and resolves with the queued id. For tests about the sender side.
 */
export async function sendThroughRelay(
  port: number,
  message: { from?: string; to?: readonly string[]; subject?: string } = {},
  /** How long each reply may take (the conversation's default otherwise). */
  replyTimeoutMs?: number,
): Promise<string> {
  const session = await smtpConversation({
    port,
    ...(replyTimeoutMs === undefined ? {} : { timeoutMs: replyTimeoutMs }),
  });
  try {
    await session.send('HELO device.test');
    const mail = await session.send(`MAIL FROM:<${message.from ?? 'device@lan.test'}>`);
    if (mail.code !== 250) throw new Error(`MAIL: ${mail.code} ${mail.text}`);
    for (const rcpt of message.to ?? ['boss@example.test']) {
      const reply = await session.send(`RCPT TO:<${rcpt}>`);
      if (reply.code !== 250) throw new Error(`RCPT ${rcpt}: ${reply.code} ${reply.text}`);
    }
    await session.send('DATA');
    session.sendRaw(
      `Subject: ${message.subject ?? 'test'}\r\nMessage-ID: <${String(Date.now())}@lan.test>\r\n\r\nbody\r\n.\r\n`,
    );
    const reply = await session.readReply();
    const match = /^2\.0\.0 Ok: queued as (\S+)$/.exec(reply.text);
    if (reply.code !== 250 || !match?.[1]) throw new Error(`DATA: ${reply.code} ${reply.text}`);
    await session.send('QUIT');
    return match[1];
  } finally {
    await session.close();
  }
}
