import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayName, rewriteForDelivery, rewriteFromHeader } from '../src/rewrite-from.ts';

// docs/reference.md "Sender address rewriting": From: and the envelope sender
// become REWRITE_FROM, the original From: stays as X-Original-From: (and as
// Reply-To: when there is none), the body is not touched.

const RELAY = 'relay@example.com';
const RECEIVED =
  'Received: from printer.lan ([192.0.2.7])\r\n\tby relay.test; Thu, 26 Nov 2026\r\n';

describe('rewriteFromHeader', () => {
  const cases: readonly { name: string; header: string; expected: string }[] = [
    {
      name: 'display name kept, original as Reply-To and X-Original-From, in place of From',
      header: `${RECEIVED}From: Printer 3F <printer@office.test>\r\nSubject: Scan\r\n`,
      expected:
        `${RECEIVED}From: Printer 3F <${RELAY}>\r\n` +
        'Reply-To: Printer 3F <printer@office.test>\r\n' +
        'X-Original-From: Printer 3F <printer@office.test>\r\n' +
        'Subject: Scan\r\n',
    },
    {
      name: 'a bare address: no display name',
      header: 'From: printer@office.test\r\nSubject: Scan\r\n',
      expected:
        `From: ${RELAY}\r\n` +
        'Reply-To: printer@office.test\r\n' +
        'X-Original-From: printer@office.test\r\n' +
        'Subject: Scan\r\n',
    },
    {
      name: 'an angle address without a name',
      header: 'From: <printer@office.test>\r\n',
      expected:
        `From: ${RELAY}\r\n` +
        'Reply-To: <printer@office.test>\r\n' +
        'X-Original-From: <printer@office.test>\r\n',
    },
    {
      name: 'a folded From: is replaced whole; its value kept with its folding',
      header:
        'Subject: Scan\r\nFrom: "Printer on the\r\n third floor"\r\n <printer@office.test>\r\nTo: boss@example.test\r\n',
      expected:
        'Subject: Scan\r\n' +
        `From: "Printer on the\r\n third floor" <${RELAY}>\r\n` +
        'Reply-To: "Printer on the\r\n third floor"\r\n <printer@office.test>\r\n' +
        'X-Original-From: "Printer on the\r\n third floor"\r\n <printer@office.test>\r\n' +
        'To: boss@example.test\r\n',
    },
    {
      name: 'RFC 2047 encoded words copied as they are',
      header: 'From: =?UTF-8?Q?Dru=C3=A7ker_2?= =?UTF-8?B?w5w=?= <scan@office.test>\r\n',
      expected:
        `From: =?UTF-8?Q?Dru=C3=A7ker_2?= =?UTF-8?B?w5w=?= <${RELAY}>\r\n` +
        'Reply-To: =?UTF-8?Q?Dru=C3=A7ker_2?= =?UTF-8?B?w5w=?= <scan@office.test>\r\n' +
        'X-Original-From: =?UTF-8?Q?Dru=C3=A7ker_2?= =?UTF-8?B?w5w=?= <scan@office.test>\r\n',
    },
    {
      name: 'raw UTF-8 (SMTPUTF8) display name, bytes unchanged (à ends in 0xA0)',
      header: Buffer.from('From: Imprimante à <scan@office.test>\r\n').toString('latin1'),
      expected: Buffer.from(
        `From: Imprimante à <${RELAY}>\r\n` +
          'Reply-To: Imprimante à <scan@office.test>\r\n' +
          'X-Original-From: Imprimante à <scan@office.test>\r\n',
      ).toString('latin1'),
    },
    {
      name: 'an existing Reply-To is kept and none added',
      header: 'Reply-To: helpdesk@office.test\r\nFROM : Printer <printer@office.test>\r\n',
      expected:
        'Reply-To: helpdesk@office.test\r\n' +
        `From: Printer <${RELAY}>\r\n` +
        'X-Original-From: Printer <printer@office.test>\r\n',
    },
    {
      name: 'no From: one is added at the end of the header section',
      header: `${RECEIVED}Subject: Scan\r\n`,
      expected: `${RECEIVED}Subject: Scan\r\nFrom: ${RELAY}\r\n`,
    },
    {
      name: 'an empty From: counts as none',
      header: 'From:\r\nSubject: Scan\r\n',
      expected: `Subject: Scan\r\nFrom: ${RELAY}\r\n`,
    },
    {
      name: 'no header fields at all',
      header: '',
      expected: `From: ${RELAY}\r\n`,
    },
    {
      name: 'a second From: goes, its value kept as another X-Original-From',
      header: 'From: a@office.test\r\nSubject: x\r\nFrom: b@office.test\r\n',
      expected:
        `From: ${RELAY}\r\n` +
        'Reply-To: a@office.test\r\n' +
        'X-Original-From: a@office.test\r\n' +
        'X-Original-From: b@office.test\r\n' +
        'Subject: x\r\n',
    },
    {
      name: 'several mailboxes: no display name taken',
      header: 'From: Ann <a@office.test>, Bob <b@office.test>\r\nSender: a@office.test\r\n',
      expected:
        `From: ${RELAY}\r\n` +
        'Reply-To: Ann <a@office.test>, Bob <b@office.test>\r\n' +
        'X-Original-From: Ann <a@office.test>, Bob <b@office.test>\r\n' +
        'Sender: a@office.test\r\n',
    },
    {
      name: 'From-like names are other fields',
      header: 'X-From: x@office.test\r\nFrom-Device: scanner\r\nFrom: a@office.test\r\n',
      expected:
        'X-From: x@office.test\r\nFrom-Device: scanner\r\n' +
        `From: ${RELAY}\r\n` +
        'Reply-To: a@office.test\r\n' +
        'X-Original-From: a@office.test\r\n',
    },
    {
      name: 'bare LF line endings: the new fields end like the From: they replace',
      header: 'From: Printer <printer@office.test>\nSubject: Scan\n',
      expected:
        `From: Printer <${RELAY}>\n` +
        'Reply-To: Printer <printer@office.test>\n' +
        'X-Original-From: Printer <printer@office.test>\n' +
        'Subject: Scan\n',
    },
    {
      name: 'a message without an empty line whose last field is From:',
      header: 'Subject: Scan\r\nFrom: printer@office.test',
      expected:
        'Subject: Scan\r\n' +
        `From: ${RELAY}\r\n` +
        'Reply-To: printer@office.test\r\n' +
        'X-Original-From: printer@office.test\r\n',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = rewriteFromHeader(Buffer.from(c.header, 'latin1'), RELAY);
      assert.equal(out.toString('latin1'), c.expected);
    });
  }
});

describe('displayName', () => {
  const cases: readonly [value: string, expected: string | undefined][] = [
    [' Printer <p@office.test>\r\n', 'Printer'],
    [' "Doe, John" <j@office.test>\r\n', '"Doe, John"'],
    [' "say \\"hi\\" <x>" <j@office.test>', '"say \\"hi\\" <x>"'],
    [' Printer (3rd floor, east) <p@office.test>', 'Printer (3rd floor, east)'],
    [' Printer <p@office.test> (the old one)', 'Printer'],
    [' p@office.test (Printer)', undefined],
    [' p@office.test', undefined],
    [' <p@office.test>', undefined],
    [' "" <p@office.test>', '""'],
    [' Ann <a@office.test>, Bob <b@office.test>', undefined],
    [' Team: a@office.test, b@office.test;', undefined],
    [' Printer <p@office.test', 'Printer'],
  ];
  for (const [value, expected] of cases) {
    it(JSON.stringify(value), () => {
      assert.equal(displayName(value), expected);
    });
  }
});

describe('rewriteForDelivery', () => {
  const header = Buffer.from('From: Printer <printer@office.test>\r\n\r\nfirst body bytes\r\n');
  const body = Buffer.alloc(8 * 1024 * 1024, 'ä');

  it('without REWRITE_FROM: the stored sender and chunks, untouched', () => {
    const chunks = [header, body];
    const out = rewriteForDelivery('printer@office.test', chunks, undefined);
    assert.equal(out.mailFrom, 'printer@office.test');
    assert.equal(out.chunks, chunks);
  });

  it('rewrites the envelope sender and the header; the body bytes are the stored ones', () => {
    const out = rewriteForDelivery('printer@office.test', [header, body], RELAY);
    assert.equal(out.mailFrom, RELAY);
    const [newHeader, blankAndStart, rest, ...more] = out.chunks;
    assert.equal(more.length, 0);
    assert.equal(
      newHeader?.toString(),
      `From: Printer <${RELAY}>\r\n` +
        'Reply-To: Printer <printer@office.test>\r\n' +
        'X-Original-From: Printer <printer@office.test>\r\n',
    );
    assert.ok(blankAndStart);
    assert.deepEqual(blankAndStart, Buffer.from('\r\nfirst body bytes\r\n'));
    assert.equal(blankAndStart.buffer, header.buffer, 'not copied: a view of the stored chunk');
    assert.equal(blankAndStart.byteOffset, header.byteOffset + header.indexOf('\r\n\r\n') + 2);
    assert.equal(rest, body, 'not copied: the stored chunk itself');
    assert.ok(Buffer.concat(out.chunks).subarray(-body.length).equals(body));
  });

  it('keeps the null sender of a bounce, and rewrites its From:', () => {
    const bounce = Buffer.from(
      'From: Mail Delivery System <postmaster@relay.test>\r\nTo: <printer@office.test>\r\n\r\nreport\r\n',
    );
    const out = rewriteForDelivery('', [bounce], RELAY);
    assert.equal(out.mailFrom, '');
    assert.match(
      Buffer.concat(out.chunks).toString(),
      /^From: Mail Delivery System <relay@example\.com>\r\n/,
    );
  });
});
