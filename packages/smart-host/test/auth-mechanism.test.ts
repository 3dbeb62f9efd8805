import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthMechanism } from '@smtp-relay/config';
import { chooseMechanism, type MechanismChoice, offeredMechanisms } from '../src/auth-mechanism.ts';

describe('offeredMechanisms', () => {
  const rows: readonly { name: string; ehloReply: string; expected: readonly string[] }[] = [
    {
      name: 'multi-line reply with 250-AUTH',
      ehloReply: '250-smtp.example.com\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME',
      expected: ['PLAIN', 'LOGIN'],
    },
    {
      name: 'AUTH as the last line (250 AUTH ...)',
      ehloReply: '250-smtp.example.com\r\n250 AUTH PLAIN LOGIN CRAM-MD5',
      expected: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    },
    {
      name: 'old AUTH=LOGIN form',
      ehloReply: '250-smtp.example.com\r\n250 AUTH=LOGIN',
      expected: ['LOGIN'],
    },
    {
      name: 'both AUTH and AUTH= lines: no duplicates, first seen order',
      ehloReply: '250-smtp.example.com\r\n250-AUTH LOGIN PLAIN\r\n250 AUTH=LOGIN',
      expected: ['LOGIN', 'PLAIN'],
    },
    {
      name: 'lowercase keyword and mechanisms are upper-cased',
      ehloReply: '250-smtp.example.com\r\n250-auth plain login\r\n250 SIZE 10240000',
      expected: ['PLAIN', 'LOGIN'],
    },
    {
      name: 'bare LF line ends, extra spaces',
      ehloReply: '250-smtp.example.com\n250-AUTH   PLAIN   XOAUTH2  \n250 OK',
      expected: ['PLAIN', 'XOAUTH2'],
    },
    {
      name: 'no AUTH line',
      ehloReply: '250-smtp.example.com\r\n250-PIPELINING\r\n250 8BITMIME',
      expected: [],
    },
    {
      name: 'AUTH keyword without mechanisms',
      ehloReply: '250-smtp.example.com\r\n250 AUTH',
      expected: [],
    },
    {
      name: 'a capability that only starts with AUTH is not AUTH',
      ehloReply: '250-smtp.example.com\r\n250 AUTHX PLAIN',
      expected: [],
    },
    { name: 'empty reply', ehloReply: '', expected: [] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(offeredMechanisms(row.ehloReply), row.expected);
    });
  }
});

describe('chooseMechanism', () => {
  const rows: readonly {
    name: string;
    allowed: readonly AuthMechanism[] | undefined;
    offered: readonly string[];
    expected: MechanismChoice;
  }[] = [
    {
      name: 'no allow-list: nodemailer chooses (undefined)',
      allowed: undefined,
      offered: ['CRAM-MD5', 'PLAIN'],
      expected: { kind: 'use', mechanism: undefined },
    },
    {
      name: 'no allow-list and nothing offered: still nodemailer',
      allowed: undefined,
      offered: [],
      expected: { kind: 'use', mechanism: undefined },
    },
    {
      name: 'allow-list order wins over the order offered',
      allowed: ['LOGIN', 'PLAIN'],
      offered: ['PLAIN', 'LOGIN'],
      expected: { kind: 'use', mechanism: 'LOGIN' },
    },
    {
      name: 'first allowed is not offered: the next allowed one',
      allowed: ['CRAM-MD5', 'PLAIN'],
      offered: ['LOGIN', 'PLAIN'],
      expected: { kind: 'use', mechanism: 'PLAIN' },
    },
    {
      name: 'XOAUTH2 is skipped even when allowed first and offered',
      allowed: ['XOAUTH2', 'LOGIN'],
      offered: ['XOAUTH2', 'LOGIN'],
      expected: { kind: 'use', mechanism: 'LOGIN' },
    },
    {
      name: 'only XOAUTH2 allowed and offered: none allowed',
      allowed: ['XOAUTH2'],
      offered: ['XOAUTH2', 'PLAIN'],
      expected: { kind: 'none-allowed', offered: ['XOAUTH2', 'PLAIN'] },
    },
    {
      name: 'host offers only a mechanism outside the list ("never CRAM-MD5")',
      allowed: ['PLAIN', 'LOGIN'],
      offered: ['CRAM-MD5'],
      expected: { kind: 'none-allowed', offered: ['CRAM-MD5'] },
    },
    {
      name: 'host offers no AUTH at all',
      allowed: ['PLAIN'],
      offered: [],
      expected: { kind: 'none-allowed', offered: [] },
    },
    {
      name: 'empty allow-list allows nothing',
      allowed: [],
      offered: ['PLAIN'],
      expected: { kind: 'none-allowed', offered: ['PLAIN'] },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(chooseMechanism(row.allowed, row.offered), row.expected);
    });
  }

  // With OAuth2 configured (SMART_HOST_OAUTH2_*), XOAUTH2 or nothing: never a password mechanism.
  const oauth2Rows: readonly {
    name: string;
    allowed: readonly AuthMechanism[] | undefined;
    offered: readonly string[];
    expected: MechanismChoice;
  }[] = [
    {
      name: 'OAuth2: XOAUTH2 offered (Microsoft 365: AUTH LOGIN XOAUTH2)',
      allowed: undefined,
      offered: ['LOGIN', 'XOAUTH2'],
      expected: { kind: 'use', mechanism: 'XOAUTH2' },
    },
    {
      name: 'OAuth2: XOAUTH2 allowed and offered',
      allowed: ['XOAUTH2'],
      offered: ['PLAIN', 'XOAUTH2'],
      expected: { kind: 'use', mechanism: 'XOAUTH2' },
    },
    {
      name: 'OAuth2: smart host without XOAUTH2 (no fallback to a password mechanism)',
      allowed: undefined,
      offered: ['PLAIN', 'LOGIN'],
      expected: { kind: 'none-allowed', offered: ['PLAIN', 'LOGIN'] },
    },
    {
      name: 'OAuth2: an allow-list without XOAUTH2',
      allowed: ['PLAIN'],
      offered: ['PLAIN', 'XOAUTH2'],
      expected: { kind: 'none-allowed', offered: ['PLAIN', 'XOAUTH2'] },
    },
  ];
  for (const row of oauth2Rows) {
    it(row.name, () => {
      assert.deepEqual(chooseMechanism(row.allowed, row.offered, { oauth2: true }), row.expected);
    });
  }

  it('chooses from what offeredMechanisms read from a lowercase EHLO reply', () => {
    const offered = offeredMechanisms('250-smtp.example.com\r\n250 auth=login plain');
    assert.deepEqual(chooseMechanism(['PLAIN', 'LOGIN'], offered), {
      kind: 'use',
      mechanism: 'PLAIN',
    });
  });
});
