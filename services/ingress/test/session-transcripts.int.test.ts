import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, createTranscriptWriter } from '@smtp-relay/observability';
import { smtpConversation, waitFor, type SmtpConversation } from '@smtp-relay/testkit';
import { SMTPServer } from 'smtp-server';
import { createSessionTranscriptLogger } from '../src/session-transcripts.ts';

// smtp-server's own log, through our adapter, into files: the library's real
// calls (as a raw client drives it), not a recording of them.

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const PLAIN = b64('\0printer\0printer-pass');
const TOKEN = b64('user=printer\x01auth=Bearer oauth-access-token\x01\x01');
const BODY = 'Subject: scan\r\n\r\nSECRET-BODY-LINE\r\n.\r\n';
const LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z [<>] /;

type Expected = string | RegExp;

const conversations: readonly {
  name: string;
  run: (c: SmtpConversation) => Promise<unknown>;
  lines: readonly Expected[];
}[] = [
  {
    name: 'AUTH PLAIN, a message (its size only), QUIT',
    run: async (c) => {
      await c.send('EHLO printer.test');
      await c.send(`AUTH PLAIN ${PLAIN}`);
      await c.send('MAIL FROM:<scan@example.com>');
      await c.send('RCPT TO:<boss@example.com>');
      await c.send('DATA');
      c.sendRaw(BODY);
      await c.readReply();
      await c.send('QUIT');
    },
    lines: [
      /^> 220 relay\.test ESMTP/,
      '< EHLO printer.test',
      /^> 250-relay\.test Nice to meet you/,
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250 /,
      '< AUTH PLAIN ****',
      '> 235 2.7.0 Authentication successful',
      '< MAIL FROM:<scan@example.com>',
      '> 250 2.1.0 Accepted',
      '< RCPT TO:<boss@example.com>',
      '> 250 2.1.5 Accepted',
      '< DATA',
      '> 354 End data with <CR><LF>.<CR><LF>',
      // The message without its final dot line.
      `< [message content, ${Buffer.byteLength(BODY) - 3} bytes]`,
      /^> 250 2\.6\.0 Ok: queued as 4F2A$/,
      '< QUIT',
      /^> 221 2\.0\.0 Bye/,
    ],
  },
  {
    name: 'AUTH LOGIN continuation lines',
    run: async (c) => {
      await c.send('EHLO printer.test');
      await c.send('AUTH LOGIN');
      await c.send(b64('printer'));
      await c.send(b64('printer-pass'));
      await c.send('QUIT');
    },
    lines: [
      /^> 220 /,
      '< EHLO printer.test',
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250 /,
      '< AUTH LOGIN ****',
      '> 334 VXNlcm5hbWU6',
      '< ****',
      '> 334 UGFzc3dvcmQ6',
      '< ****',
      '> 235 2.7.0 Authentication successful',
      '< QUIT',
      /^> 221 /,
    ],
  },
  {
    name: 'a refused XOAUTH2 token and the empty line after the error challenge',
    run: async (c) => {
      await c.send('EHLO printer.test');
      await c.send(`AUTH XOAUTH2 ${TOKEN}`);
      await c.send('');
      await c.send('QUIT');
    },
    lines: [
      /^> 220 /,
      '< EHLO printer.test',
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250-/,
      /^> 250 /,
      '< AUTH XOAUTH2 ****',
      `> 334 ${b64('{"status":"401"}')}`,
      '< ****',
      /^> 535 /,
      '< QUIT',
      /^> 221 /,
    ],
  },
];

describe('ingress session transcripts from smtp-server', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingress-transcripts-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [index, { name, run, lines }] of conversations.entries()) {
    it(name, async () => {
      const root = join(dir, String(index));
      const writer = createTranscriptWriter({
        dir: root,
        logger: createLogger({ service: 'test', version: '0', level: 'silent' }),
      });
      const server = new SMTPServer({
        name: 'relay.test',
        logger: createSessionTranscriptLogger(writer),
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        authOptional: true,
        authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
        hideENHANCEDSTATUSCODES: false,
        onAuth(auth, _session, callback) {
          if (auth.method === 'XOAUTH2') {
            callback(null, { data: { status: '401' } });
            return;
          }
          callback(null, { user: auth.username });
        },
        onData(stream, _session, callback) {
          stream.resume();
          stream.on('end', () => {
            callback(null, 'Ok: queued as 4F2A');
          });
        },
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      try {
        const conversation = await smtpConversation({ port });
        await run(conversation);
        await conversation.close();
        const text = await waitFor(
          async () => {
            const [day] = await readdir(root);
            const [file] = day ? await readdir(join(root, day)) : [];
            const content = day && file ? await readFile(join(root, day, file), 'utf8') : '';
            return / > 221 /.test(content) && content;
          },
          { description: 'the transcript up to 221' },
        );
        const written = text.trimEnd().split('\n');
        for (const line of written) assert.match(line, LINE);
        const bare = written.map((line) => line.slice(25));
        assert.equal(bare.length, lines.length, bare.join('\n'));
        lines.forEach((expected, i) => {
          if (typeof expected === 'string') assert.equal(bare[i], expected);
          else assert.match(bare[i] ?? '', expected);
        });
        for (const secret of ['printer-pass', PLAIN, TOKEN, b64('printer-pass'), 'SECRET-BODY']) {
          assert.ok(!text.includes(secret), `${secret} is not in the transcript`);
        }
      } finally {
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
        await writer.close();
      }
    });
  }
});
