import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuthMechanism } from '@smtp-relay/config';
import { createLogger, createTranscriptWriter } from '@smtp-relay/observability';
import { startFakeSmartHost, waitFor, type FakeSmartHost } from '@smtp-relay/testkit';
import { createSmartHostClient } from '../src/smart-host-client.ts';
import { singleHostConfig } from './single-host-config.ts';

// nodemailer's transaction log, through our adapter, into one file per
// connection to a real (fake) smart host.

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const USER = 'relay-account';
const PASSWORD = 'smart-host-secret';
const BODY = Buffer.from('Subject: hello\r\n\r\nSECRET-BODY-LINE\r\n');
const logger = createLogger({ service: 'test', version: '0', level: 'silent' });

const cases: readonly { mechanism: AuthMechanism; auth: readonly string[] }[] = [
  {
    mechanism: 'PLAIN',
    auth: [
      '> AUTH PLAIN ****',
      /* nodemailer sends the blob at once */ '< 235 Authentication successful',
    ],
  },
  {
    mechanism: 'LOGIN',
    auth: [
      '> AUTH LOGIN ****',
      '< 334 VXNlcm5hbWU6',
      '> ****',
      '< 334 UGFzc3dvcmQ6',
      '> ****',
      '< 235 Authentication successful',
    ],
  },
];

describe('smart host client transcripts', () => {
  let smartHost: FakeSmartHost;
  let dir: string;

  before(async () => {
    smartHost = await startFakeSmartHost({
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: USER, password: PASSWORD },
    });
    dir = await mkdtemp(join(tmpdir(), 'client-transcripts-'));
  });

  after(async () => {
    await smartHost.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const { mechanism, auth } of cases) {
    it(`writes one file per connection, AUTH ${mechanism} masked, the message as its size`, async () => {
      const root = join(dir, mechanism);
      const writer = createTranscriptWriter({ dir: root, logger });
      const client = createSmartHostClient({
        smartHost: singleHostConfig({
          provider: undefined,
          region: undefined,
          demo: false,
          oauth2: undefined,
          host: '127.0.0.1',
          port: smartHost.port,
          tls: 'none',
          user: USER,
          password: PASSWORD,
          authMethods: [mechanism],
          caFile: undefined,
          tlsVerify: true,
        }),
        extraCa: undefined,
        heloName: 'relay.test',
        timeoutMs: 5000,
        logger,
        transcripts: writer,
      });
      const envelope = {
        from: 'printer@office.test',
        to: ['boss@example.test'],
        size: BODY.length,
        use8BitMime: false,
      };
      // Two messages on one pooled connection: one file.
      await client.send(envelope, [BODY]);
      await client.send(envelope, [BODY]);
      await client.close();
      // The writer creates the folders as it flushes, after close() has returned.
      const [day] = await waitFor(
        async () => {
          const days = await readdir(root);
          assert.equal(days.length, 1, 'one date folder');
          return days;
        },
        { description: 'the date folder' },
      );
      assert.ok(day);
      const text = await waitFor(
        async () => {
          const files = await readdir(join(root, day));
          assert.equal(files.length, 1, 'one file per connection');
          const content = await readFile(join(root, day, files[0] ?? ''), 'utf8');
          // discard() sends QUIT and closes without waiting for the 221.
          return content.includes(' > QUIT\n') && content;
        },
        { description: 'the transcript up to QUIT' },
      );
      await writer.close();

      const lines = text.trimEnd().split('\n');
      for (const line of lines)
        assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z [<>] /);
      const bare = lines.map((line) => line.slice(25));
      assert.match(bare[0] ?? '', /^< 220 /);
      assert.equal(bare[1], '> EHLO relay.test');
      const authAt = bare.indexOf(auth[0] ?? '');
      assert.deepEqual(bare.slice(authAt, authAt + auth.length), auth);
      const transaction = [
        `> MAIL FROM:<printer@office.test> SIZE=${BODY.length}`,
        // PIPELINING: the lines in the order they crossed the wire.
        '> RCPT TO:<boss@example.test>',
        '> DATA',
        /^< 250 /,
        /^< 250 /,
        /^< 354 /,
        `> [message content, ${BODY.length} bytes]`,
        /^< 250 2\.0\.0 Ok: queued as /,
      ];
      const starts = bare.flatMap((line, i) => (line.startsWith('> MAIL FROM:') ? [i] : []));
      assert.equal(starts.length, 2, 'both messages on the same connection');
      for (const start of starts) {
        transaction.forEach((expected, i) => {
          if (typeof expected === 'string') assert.equal(bare[start + i], expected);
          else assert.match(bare[start + i] ?? '', expected);
        });
      }
      assert.equal(bare.at(-1), '> QUIT');
      for (const secret of [
        PASSWORD,
        b64(PASSWORD),
        b64(USER),
        b64(`\0${USER}\0${PASSWORD}`),
        'SECRET-BODY',
      ]) {
        assert.ok(!text.includes(secret), `${secret} is not in the transcript`);
      }
    });
  }
});
