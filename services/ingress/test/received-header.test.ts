import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildReceivedHeader,
  displayAddress,
  formatRfc5322Date,
  type ReceivedHeaderInput,
  withType,
} from '../src/received-header.ts';

const MESSAGE_ID = '01JD5Q3Z8X0000000000000000';
const NOV_26 = new Date('2026-11-26T12:48:18Z');

const base: ReceivedHeaderInput = {
  helo: 'printer.lan',
  clientAddress: '192.0.2.7',
  hostname: 'relay.example.com',
  protocol: 'ESMTP',
  smtpUtf8: false,
  messageId: MESSAGE_ID,
  recipients: ['boss@example.com'],
  date: NOV_26,
};

describe('buildReceivedHeader', () => {
  const rows: readonly {
    name: string;
    input: Partial<ReceivedHeaderInput>;
    expected: string;
  }[] = [
    {
      name: 'one recipient is named in a for clause',
      input: {},
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'several recipients are not named (Bcc privacy)',
      input: { recipients: ['boss@example.com', 'hidden-bcc@example.org'] },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID};\r\n` +
        '\tThu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'no recipients: no for clause',
      input: { recipients: [] },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID};\r\n` +
        '\tThu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'TLS session gets a using line',
      input: {
        protocol: 'ESMTPSA',
        tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
      },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTPSA id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'SMTPUTF8 mail over TLS with AUTH: the RFC 6531 with-type',
      input: {
        protocol: 'ESMTPSA',
        smtpUtf8: true,
        tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
      },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n' +
        `\tby relay.example.com (smtp-relay) with UTF8SMTPSA id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'IPv4-mapped IPv6 peer is shown as IPv4',
      input: { clientAddress: '::ffff:192.0.2.7' },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'IPv6 peer is shown as is',
      input: { clientAddress: '2001:db8::7' },
      expected:
        'Received: from printer.lan (2001:db8::7 [2001:db8::7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'CRLF in HELO cannot start a new header',
      input: { helo: 'evil\r\nBcc: victim@example.com' },
      expected:
        'Received: from evilBcc: victim@example.com (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'bare LF, bare CR, NUL, tab, DEL and ESC in HELO are removed',
      input: { helo: 'a\nb\rc\x00d\te\x7ff\x1bg' },
      expected:
        'Received: from abcdefg (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'parentheses, angle brackets, semicolon, quote and backslash in HELO are removed',
      input: { helo: 'host (forged [10.0.0.1]) <x>; "q" \\' },
      expected:
        'Received: from host forged [10.0.0.1] x q  (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'empty HELO becomes unknown',
      input: { helo: '' },
      expected:
        'Received: from unknown (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'HELO of nothing but control characters becomes unknown',
      input: { helo: '\r\n\x00' },
      expected:
        'Received: from unknown (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'HELO is cut at 255 characters',
      input: { helo: 'h'.repeat(300) },
      expected:
        `Received: from ${'h'.repeat(255)} (192.0.2.7 [192.0.2.7])\r\n` +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'CRLF and parentheses in TLS values are removed',
      input: { tls: { version: 'TLSv1.3\r\nX-Injected: 1', cipher: 'AES)(' } },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        '\t(using TLSv1.3X-Injected: 1 with cipher AES)\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'CRLF and angle brackets in the single recipient are removed',
      input: { recipients: ['boss@example.com>\r\nBcc: <victim@example.com'] },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.comBcc: victim@example.com>; Thu, 26 Nov 2026 12:48:18 +0000\r\n',
    },
    {
      name: 'single-digit day is not padded',
      input: { date: new Date('2026-03-05T07:04:09.999Z') },
      expected:
        'Received: from printer.lan (192.0.2.7 [192.0.2.7])\r\n' +
        `\tby relay.example.com (smtp-relay) with ESMTP id ${MESSAGE_ID}\r\n` +
        '\tfor <boss@example.com>; Thu, 5 Mar 2026 07:04:09 +0000\r\n',
    },
  ];

  for (const row of rows) {
    it(row.name, () => {
      const header = buildReceivedHeader({ ...base, ...row.input });
      assert.ok(Buffer.isBuffer(header));
      const text = header.toString('utf8');
      assert.equal(text, row.expected);

      // One header, folded: CRLF ends every line, continuation lines start with a tab.
      assert.ok(text.endsWith('\r\n'));
      const lines = text.slice(0, -2).split('\r\n');
      assert.match(lines[0] ?? '', /^Received: from /);
      for (const line of lines.slice(1)) assert.match(line, /^\t/);
      for (const line of lines) {
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(line, /[\x00-\x08\x0a-\x1f\x7f]/, JSON.stringify(line));
      }
    });
  }

  it('names none of several recipients anywhere in the header', () => {
    const recipients = ['a@example.com', 'b@example.org', 'c@example.net'];
    const text = buildReceivedHeader({ ...base, recipients }).toString('utf8');
    for (const recipient of recipients) assert.ok(!text.includes(recipient), recipient);
    assert.ok(!text.includes(' for '));
  });

  it('keeps a long single recipient up to 512 characters', () => {
    const recipient = `${'r'.repeat(600)}@example.com`;
    const text = buildReceivedHeader({ ...base, recipients: [recipient] }).toString('utf8');
    assert.ok(text.includes(`\tfor <${'r'.repeat(512)}>; `));
  });
});

describe('withType', () => {
  // RFC 3848 for every session, RFC 6531 §3.7.3 when MAIL FROM carried SMTPUTF8.
  const rows: readonly { protocol: string; smtpUtf8: boolean; expected: string }[] = [
    { protocol: 'SMTP', smtpUtf8: false, expected: 'SMTP' },
    { protocol: 'ESMTP', smtpUtf8: false, expected: 'ESMTP' },
    { protocol: 'ESMTPA', smtpUtf8: false, expected: 'ESMTPA' },
    { protocol: 'ESMTPS', smtpUtf8: false, expected: 'ESMTPS' },
    { protocol: 'ESMTPSA', smtpUtf8: false, expected: 'ESMTPSA' },
    { protocol: 'ESMTP', smtpUtf8: true, expected: 'UTF8SMTP' },
    { protocol: 'ESMTPA', smtpUtf8: true, expected: 'UTF8SMTPA' },
    { protocol: 'ESMTPS', smtpUtf8: true, expected: 'UTF8SMTPS' },
    { protocol: 'ESMTPSA', smtpUtf8: true, expected: 'UTF8SMTPSA' },
    // SMTPUTF8 exists only after EHLO: a HELO session keeps its name.
    { protocol: 'SMTP', smtpUtf8: true, expected: 'SMTP' },
  ];
  for (const row of rows) {
    it(`${row.protocol}${row.smtpUtf8 ? ' with SMTPUTF8' : ''} -> ${row.expected}`, () => {
      assert.equal(withType(row.protocol, row.smtpUtf8), row.expected);
      const header = buildReceivedHeader({
        ...base,
        protocol: row.protocol,
        smtpUtf8: row.smtpUtf8,
      }).toString('utf8');
      assert.match(header, new RegExp(`\\(smtp-relay\\) with ${row.expected} id `));
    });
  }
});

describe('formatRfc5322Date', () => {
  const rows: readonly { name: string; date: Date; expected: string }[] = [
    {
      name: 'two-digit day',
      date: new Date('2026-11-26T12:48:18Z'),
      expected: 'Thu, 26 Nov 2026 12:48:18 +0000',
    },
    {
      name: 'single-digit day, padded time, milliseconds dropped',
      date: new Date('2026-03-05T07:04:09.999Z'),
      expected: 'Thu, 5 Mar 2026 07:04:09 +0000',
    },
    {
      name: 'midnight on the first of January',
      date: new Date('2025-01-01T00:00:00Z'),
      expected: 'Wed, 1 Jan 2025 00:00:00 +0000',
    },
    {
      name: 'leap day, last second',
      date: new Date('2024-02-29T23:59:59Z'),
      expected: 'Thu, 29 Feb 2024 23:59:59 +0000',
    },
    {
      name: 'last second of the year',
      date: new Date('2027-12-31T23:59:59Z'),
      expected: 'Fri, 31 Dec 2027 23:59:59 +0000',
    },
    {
      name: 'a time given with another offset is shown in UTC (next day)',
      date: new Date('2026-11-26T23:30:00-05:00'),
      expected: 'Fri, 27 Nov 2026 04:30:00 +0000',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(formatRfc5322Date(row.date), row.expected);
    });
  }
});

describe('displayAddress', () => {
  const rows: readonly { address: string; expected: string }[] = [
    { address: '::ffff:192.0.2.7', expected: '192.0.2.7' },
    { address: '::ffff:127.0.0.1', expected: '127.0.0.1' },
    { address: '192.0.2.7', expected: '192.0.2.7' },
    { address: '2001:db8::7', expected: '2001:db8::7' },
    { address: '::1', expected: '::1' },
    // Hex form of a mapped address (not what Node reports): left alone.
    { address: '::ffff:c000:207', expected: '::ffff:c000:207' },
  ];
  for (const row of rows) {
    it(`${row.address} -> ${row.expected}`, () => {
      assert.equal(displayAddress(row.address), row.expected);
    });
  }
});
