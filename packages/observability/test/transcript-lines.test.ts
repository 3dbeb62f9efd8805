import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createAuthRedaction,
  formatTranscriptLine,
  messageContentText,
  replyLines,
  type TranscriptDirection,
} from '../src/transcript/transcript-lines.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** `C:` a line the client sent, `S:` a reply line; expected: what the transcript says. */
type Step = readonly [side: 'C' | 'S', line: string, written?: string];

const conversations: readonly { name: string; steps: readonly Step[] }[] = [
  {
    name: 'AUTH PLAIN with an initial response',
    steps: [
      ['C', `AUTH PLAIN ${b64('\0printer\0printer-pass')}`, 'AUTH PLAIN ****'],
      ['S', '235 2.7.0 Authentication successful'],
      ['C', 'MAIL FROM:<scan@example.com>', 'MAIL FROM:<scan@example.com>'],
    ],
  },
  {
    name: 'AUTH PLAIN, response after an empty 334',
    steps: [
      ['C', 'AUTH PLAIN', 'AUTH PLAIN ****'],
      ['S', '334 '],
      ['C', b64('\0printer\0printer-pass'), '****'],
      ['S', '235 2.7.0 Authentication successful'],
      ['C', 'RSET', 'RSET'],
    ],
  },
  {
    name: 'AUTH LOGIN: the user and password lines',
    steps: [
      ['C', 'AUTH LOGIN', 'AUTH LOGIN ****'],
      ['S', '334 VXNlcm5hbWU6'],
      ['C', b64('scanner'), '****'],
      ['S', '334 UGFzc3dvcmQ6'],
      ['C', b64('scanner-pass'), '****'],
      ['S', '235 2.7.0 Authentication successful'],
      ['C', 'MAIL FROM:<a@example.test>', 'MAIL FROM:<a@example.test>'],
    ],
  },
  {
    name: 'AUTH LOGIN with the user as initial response, lower case',
    steps: [
      ['C', `auth login ${b64('scanner')}`, 'AUTH LOGIN ****'],
      ['S', '334 UGFzc3dvcmQ6'],
      ['C', b64('scanner-pass'), '****'],
      ['S', '535 5.7.8 Error: authentication failed'],
      ['C', 'QUIT', 'QUIT'],
    ],
  },
  {
    name: 'XOAUTH2 refused: token, error challenge, empty answer',
    steps: [
      [
        'C',
        `AUTH XOAUTH2 ${b64('user=relay@example.test\x01auth=Bearer ya29.token\x01\x01')}`,
        'AUTH XOAUTH2 ****',
      ],
      ['S', `334 ${b64('{"status":"401","schemes":"bearer"}')}`],
      ['C', '', '****'],
      ['S', '535 5.7.8 Error: authentication failed'],
      ['C', 'QUIT', 'QUIT'],
    ],
  },
  {
    name: 'a cancelled exchange',
    steps: [
      ['C', 'AUTH CRAM-MD5', 'AUTH CRAM-MD5 ****'],
      ['S', '334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+'],
      ['C', '*', '****'],
      ['S', '501 5.7.0 Authentication aborted'],
      ['C', 'NOOP', 'NOOP'],
    ],
  },
  {
    name: 'an unknown mechanism name may be a secret',
    steps: [
      ['C', `AUTH ${b64('printer:printer-pass')}`, 'AUTH ****'],
      ['S', '504 5.5.4 Unrecognized authentication type'],
      ['C', 'AUTH', 'AUTH ****'],
      ['S', '501 5.5.4 Syntax error'],
      ['C', 'AUTHOR x', 'AUTHOR x'],
    ],
  },
  {
    name: 'DATA lines are not AUTH lines',
    steps: [
      ['C', 'DATA', 'DATA'],
      ['S', '354 End data with <CR><LF>.<CR><LF>'],
      ['S', '250 2.0.0 Ok: queued as 4F2A'],
      ['C', 'QUIT', 'QUIT'],
    ],
  },
];

describe('createAuthRedaction', () => {
  for (const { name, steps } of conversations) {
    it(name, () => {
      const redaction = createAuthRedaction();
      for (const [side, line, written] of steps) {
        if (side === 'S') redaction.serverLine(line);
        else assert.equal(redaction.clientLine(line), written, `client line ${line}`);
      }
    });
  }
});

describe('transcript line format', () => {
  const at = new Date('2026-12-04T09:14:03.127Z');
  const cases: readonly [direction: TranscriptDirection, text: string, line: string][] = [
    [
      '<',
      'MAIL FROM:<scan@example.com>',
      '2026-12-04T09:14:03.127Z < MAIL FROM:<scan@example.com>\n',
    ],
    ['>', '250 2.1.0 Ok', '2026-12-04T09:14:03.127Z > 250 2.1.0 Ok\n'],
    ['<', messageContentText(1234), '2026-12-04T09:14:03.127Z < [message content, 1234 bytes]\n'],
    [
      '<',
      'HELO x\r\n2026-01-01T00:00:00.000Z < forged\u001b[2J',
      '2026-12-04T09:14:03.127Z < HELO x\\x0d\\x0a2026-01-01T00:00:00.000Z < forged\\x1b[2J\n',
    ],
    [
      '<',
      'RCPT TO:<a@b>\tNOTIFY=NEVER',
      '2026-12-04T09:14:03.127Z < RCPT TO:<a@b>\tNOTIFY=NEVER\n',
    ],
  ];
  for (const [direction, text, line] of cases) {
    it(`formats ${JSON.stringify(text)}`, () => {
      assert.equal(formatTranscriptLine(at, direction, text), line);
    });
  }

  it('splits multi-line replies (smtp-server CRLF, nodemailer LF)', () => {
    assert.deepEqual(replyLines('250-relay.test\r\n250-PIPELINING\r\n250 8BITMIME'), [
      '250-relay.test',
      '250-PIPELINING',
      '250 8BITMIME',
    ]);
    assert.deepEqual(replyLines('250-smart-host.test\n250 AUTH PLAIN LOGIN\n'), [
      '250-smart-host.test',
      '250 AUTH PLAIN LOGIN',
    ]);
  });
});
