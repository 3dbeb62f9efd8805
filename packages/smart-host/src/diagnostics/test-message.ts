import { randomBytes } from 'node:crypto';
import { createLogger, RELAY_VERSION } from '@smtp-relay/observability';
import { createSmartHostClient } from '../smart-host-client.ts';
import type { LoginOptions } from './auth-steps.ts';
import {
  classifyStepError,
  describeError,
  failed,
  passed,
  type DiagnosticStep,
} from './diagnostic-step.ts';

// `--send-to ADDRESS`: one small message through createSmartHostClient, the
// sender's own delivery path, from SMART_HOST_USER when it is an address (the
// mailbox providers let us send as), else POSTMASTER. The smart host's final reply carries its queue id, the
// handle its operator needs to trace the message.

export interface TestMessageOptions extends LoginOptions {
  readonly from: string;
  readonly to: string;
  readonly now: Date;
}

export const TEST_MESSAGE_SUBJECT = 'smtp-relay check-smarthost';

// Deliberately loose: the smart host has the last word on the address.
const ADDRESS = /^[^\s@<>()",;]+@[^\s@<>()",;]+$/;

function buildTestMessage(options: TestMessageOptions): Buffer {
  const { smartHost } = options;
  const id = `check-smarthost.${randomBytes(8).toString('hex')}@${options.heloName.replace(/^\[|\]$/g, '')}`;
  return Buffer.from(
    [
      `From: smtp-relay <${options.from}>`,
      `To: <${options.to}>`,
      `Subject: ${TEST_MESSAGE_SUBJECT}`,
      `Date: ${options.now.toUTCString()}`,
      `Message-ID: <${id}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `This message was sent by "npx smtp-relay check-smarthost" on ${options.heloName}`,
      `through the smart host ${smartHost.host}:${String(smartHost.port)} at ${options.now.toISOString()}.`,
      'If it arrived, the relay can deliver through this smart host.',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

export async function sendTestMessage(options: TestMessageOptions): Promise<DiagnosticStep> {
  if (!ADDRESS.test(options.to)) {
    return failed('send', `--send-to ${JSON.stringify(options.to)} is not a mail address`, {
      cause: 'Give a full address: --send-to you@example.com.',
    });
  }
  const body = buildTestMessage(options);
  const client = createSmartHostClient({
    smartHost: options.smartHost,
    extraCa: options.extraCa,
    heloName: options.heloName,
    timeoutMs: options.timeoutMs,
    logger: createLogger({ service: 'check-smarthost', version: RELAY_VERSION, level: 'silent' }),
    ...(options.oauth2Tokens === undefined ? {} : { oauth2Tokens: options.oauth2Tokens }),
  });
  try {
    const result = await client.send(
      { from: options.from, to: [options.to], size: body.length, use8BitMime: false },
      [body],
    );
    return passed('send', `${options.from} -> ${options.to}: ${result.response}`, {
      from: options.from,
      to: options.to,
      response: result.response,
    });
  } catch (error) {
    const { fields: shaped, classified } = classifyStepError(error);
    const command = shaped.command ?? '';
    return failed(
      'send',
      `${options.from} -> ${options.to} refused: ${shaped.response ?? describeError(error)}`,
      {
        cause:
          classified.hint ??
          (command.startsWith('RCPT')
            ? `The smart host refused the recipient ${options.to}: its reply says why.`
            : 'The smart host refused the test message: its reply says why.'),
        // A refused MAIL FROM is about the sender address the relay uses for itself.
        variable: command.startsWith('MAIL') ? 'POSTMASTER' : undefined,
      },
    );
  } finally {
    await client.close();
  }
}
