import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePop3Reply, type Pop3Reply } from '../src/pop3/pop3-reply.ts';

// RFC 1939 §3 status lines and RFC 2449 §8 response codes, as servers send them.
const ROWS: readonly (readonly [string, Pop3Reply | undefined])[] = [
  ['+OK', { ok: true, text: '' }],
  [
    '+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>',
    {
      ok: true,
      text: 'POP3 server ready <1896.697170952@dbc.mtview.ca.us>',
    },
  ],
  ['+OK Dovecot ready.', { ok: true, text: 'Dovecot ready.' }],
  ['+OK Begin TLS negotiation', { ok: true, text: 'Begin TLS negotiation' }],
  ['+ok lower case from an old server', { ok: true, text: 'lower case from an old server' }],
  ['+OK\tafter a tab', { ok: true, text: 'after a tab' }],
  ['-ERR', { ok: false, text: '', code: undefined }],
  ['-ERR invalid password', { ok: false, text: 'invalid password', code: undefined }],
  [
    '-ERR [AUTH] Authentication failed.',
    {
      ok: false,
      text: '[AUTH] Authentication failed.',
      code: 'AUTH',
    },
  ],
  [
    '-ERR [IN-USE] Mailbox is locked by another POP3 session',
    {
      ok: false,
      text: '[IN-USE] Mailbox is locked by another POP3 session',
      code: 'IN-USE',
    },
  ],
  [
    '-ERR [SYS/TEMP] Try again later',
    {
      ok: false,
      text: '[SYS/TEMP] Try again later',
      code: 'SYS/TEMP',
    },
  ],
  ['-err [auth] lower case', { ok: false, text: '[auth] lower case', code: 'AUTH' }],
  // Not POP3: an SMTP greeting on the wrong port, a mixed-up indicator, no separator.
  ['220 smtp.example.com ESMTP', undefined],
  ['+ERR confused', undefined],
  ['-OK confused', undefined],
  ['+OKAY', undefined],
  ['OK', undefined],
  ['', undefined],
];

describe('parsePop3Reply', () => {
  for (const [line, expected] of ROWS) {
    it(JSON.stringify(line), () => {
      assert.deepEqual(parsePop3Reply(line), expected);
    });
  }
});
