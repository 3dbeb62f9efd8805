import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyDeliveryError, type DeliveryFailure } from '@smtp-relay/smtp-errors';
import {
  BUILT_IN_BOUNCE_TEMPLATE,
  type BounceInput,
  bounceStatus,
  buildBounceMessage,
  fillTemplate,
  headerSection,
} from '../src/bounce.ts';
import type { RecipientFailure } from '../src/deliver.ts';

const noSuchUser = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 550,
  command: 'RCPT TO',
  response: '550 5.1.1 No such user',
  message: 'Recipient command failed',
});
const senderRejected = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 553,
  command: 'MAIL FROM',
  response: '553 5.1.8 Sender domain does not exist',
  message: 'Mail command failed',
});
const withoutEnhancedCode = classifyDeliveryError({
  code: 'EMESSAGE',
  responseCode: 554,
  command: 'DATA',
  response: '554 Transaction failed',
  message: 'Message failed',
});
// A 5xx reply with a 4.x.x enhanced code (seen in the wild): still permanent.
const mailboxFull = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 552,
  command: 'RCPT TO',
  response: '552 4.2.2 Mailbox full',
  message: 'Recipient command failed',
});
const greylisted = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 451,
  command: 'RCPT TO',
  response: '451 4.7.1 Greylisted',
  message: 'Recipient command failed',
});
const connectionRefused = classifyDeliveryError({
  code: 'ESOCKET',
  command: 'CONN',
  message: 'connect ECONNREFUSED 127.0.0.1:2526',
});
const timedOut = classifyDeliveryError({
  code: 'ETIMEDOUT',
  command: 'CONN',
  message: 'Greeting never received',
});
const unknownFailure = classifyDeliveryError({ message: 'something odd' });
// nodemailer refuses a message over the smart host's advertised SIZE itself, before MAIL.
const overSize = classifyDeliveryError({
  code: 'EMESSAGE',
  command: 'MAIL FROM',
  message: 'Message size larger than allowed 1000',
});
const permanentWithTemporaryCode: DeliveryFailure = {
  kind: 'permanent',
  category: 'content-rejected',
  reply: { code: 554, enhanced: '4.7.1', text: 'Policy rejection' },
  rule: 'message rejected after DATA',
  hint: undefined,
};

const base: BounceInput = {
  reportingMta: 'relay.example.com',
  postmaster: 'postmaster@example.com',
  smartHost: 'smtp.provider.example',
  recipient: 'sender@example.com',
  originalMessageId: '01JD5Q3Z8X0000000000000000',
  arrivalDate: new Date('2026-11-26T12:00:00Z'),
  bounced: [{ recipient: 'bob@example.com', failure: noSuchUser }],
  originalHeaders: Buffer.from('Subject: Quarterly report\r\nFrom: sender@example.com'),
  template: BUILT_IN_BOUNCE_TEMPLATE,
  date: new Date('2026-11-27T12:30:05Z'),
  bounceMessageId: '01JD5Q3Z8X0000000000000000-B1',
};

interface ParsedPart {
  readonly headers: string;
  readonly body: string;
}

interface ParsedBounce {
  readonly text: string;
  readonly boundary: string;
  readonly headers: string;
  readonly preamble: string;
  readonly parts: readonly ParsedPart[];
  readonly epilogue: string;
}

/** Splits a bounce at its MIME boundaries (RFC 2046 §5.1.1: the CRLF before "--" belongs to the delimiter). */
function parseBounce(message: Buffer): ParsedBounce {
  const text = message.toString('utf8');
  const headerEnd = text.indexOf('\r\n\r\n');
  const headers = text.slice(0, headerEnd);
  const boundary = /boundary="([^"]+)"/.exec(headers)?.[1];
  assert.ok(boundary !== undefined, 'multipart boundary');
  const [beforeFirst = '', ...rest] = text.slice(headerEnd + 4).split(`\r\n--${boundary}`);
  const last = rest.pop() ?? '';
  assert.ok(last.startsWith('--'), 'closing boundary');
  const parts = rest.map((part) => {
    assert.ok(part.startsWith('\r\n'), 'boundary line ends with CRLF');
    const body = part.slice(2);
    const end = body.indexOf('\r\n\r\n');
    return { headers: body.slice(0, end), body: body.slice(end + 4) };
  });
  return { text, boundary, headers, preamble: beforeFirst, parts, epilogue: last.slice(2) };
}

function partBody(bounce: ParsedBounce, index: number): string {
  const part = bounce.parts[index];
  assert.ok(part !== undefined, `part ${String(index)}`);
  return part.body;
}

/** The per-message block, then one block per recipient, of the delivery-status part. */
function statusBlocks(bounce: ParsedBounce): string[] {
  return partBody(bounce, 1).replace(/\r\n$/, '').split('\r\n\r\n');
}

describe('buildBounceMessage: structure', () => {
  const bounce = parseBounce(buildBounceMessage(base));

  it('has the top-level headers of a multipart/report delivery-status', () => {
    assert.equal(
      bounce.headers,
      [
        'From: Mail Delivery System <postmaster@example.com>',
        'To: <sender@example.com>',
        'Subject: Undelivered Mail Returned to Sender',
        'Date: Fri, 27 Nov 2026 12:30:05 +0000',
        'Message-ID: <01JD5Q3Z8X0000000000000000-B1@relay.example.com>',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        `Content-Type: multipart/report; report-type=delivery-status; boundary="${bounce.boundary}"`,
      ].join('\r\n'),
    );
  });

  it('has a preamble and exactly three parts in RFC 3464 order', () => {
    assert.equal(bounce.preamble, 'This is a MIME-encapsulated message.\r\n');
    assert.deepEqual(
      bounce.parts.map((part) => part.headers),
      [
        'Content-Description: Notification\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit',
        'Content-Description: Delivery report\r\nContent-Type: message/delivery-status',
        'Content-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers',
      ],
    );
  });

  it('ends with the original headers and the closing boundary', () => {
    assert.equal(partBody(bounce, 2), 'Subject: Quarterly report\r\nFrom: sender@example.com\r\n');
    assert.ok(bounce.text.endsWith(`\r\n--${bounce.boundary}--\r\n`));
    assert.equal(bounce.epilogue, '\r\n');
  });

  it('has a per-message block naming the reporting MTA, queue id and arrival date', () => {
    assert.equal(
      statusBlocks(bounce)[0],
      [
        'Reporting-MTA: dns; relay.example.com',
        'X-Smtp-Relay-Queue-ID: 01JD5Q3Z8X0000000000000000',
        'Arrival-Date: Thu, 26 Nov 2026 12:00:00 +0000',
      ].join('\r\n'),
    );
  });

  it('fills the built-in template for people', () => {
    const human = partBody(bounce, 0);
    assert.ok(human.startsWith('This is the mail system at host relay.example.com.\r\n'));
    assert.ok(human.includes('please send mail to postmaster@example.com.\r\n'));
    assert.ok(
      human.endsWith(
        '<bob@example.com>: host smtp.provider.example said: 550 5.1.1 No such user\r\n',
      ),
    );
    assert.doesNotMatch(human, /\{(hostname|postmaster|sender|recipients)\}/);
  });

  it('uses CRLF for every line break', () => {
    assert.doesNotMatch(bounce.text, /\r(?!\n)|(?<!\r)\n/);
  });

  it('uses a new boundary for every report, absent from the content', () => {
    const other = parseBounce(buildBounceMessage(base));
    assert.notEqual(other.boundary, bounce.boundary);
    assert.match(bounce.boundary, /^=_smtp-relay_[0-9a-f]{24}$/);
    assert.equal(bounce.text.split(bounce.boundary).length - 1, 5);
  });

  it('has one Final-Recipient block per bounced recipient, in order', () => {
    const several = parseBounce(
      buildBounceMessage({
        ...base,
        bounced: [
          { recipient: 'bob@example.com', failure: noSuchUser },
          { recipient: 'carol@example.com', failure: greylisted, expired: true },
          { recipient: 'dave@example.com', failure: connectionRefused, expired: true },
        ],
      }),
    );
    const blocks = statusBlocks(several).slice(1);
    assert.deepEqual(
      blocks.map((block) => block.split('\r\n', 1)[0]),
      [
        'Final-Recipient: rfc822; bob@example.com',
        'Final-Recipient: rfc822; carol@example.com',
        'Final-Recipient: rfc822; dave@example.com',
      ],
    );
    for (const block of blocks) assert.match(block, /\r\nAction: failed\r\n/);
    assert.ok(
      partBody(several, 0).endsWith(
        '<bob@example.com>: host smtp.provider.example said: 550 5.1.1 No such user\r\n\r\n' +
          '<carol@example.com>: delivery time expired (5.4.7), last attempt: host smtp.provider.example said: 451 4.7.1 Greylisted\r\n\r\n' +
          '<dave@example.com>: delivery time expired (5.4.7), last attempt: 4.4.1 No answer from smart host\r\n',
      ),
    );
  });
});

describe('buildBounceMessage: per-recipient block and the line for people', () => {
  // Remote-MTA and Diagnostic-Code only carry what the smart host replied (RFC 3464
  // §2.3.5, §2.3.6); a failure we decided ourselves is told by Status and the text.
  const rows: readonly {
    name: string;
    bounced: RecipientFailure;
    expected: readonly string[];
    human: string;
  }[] = [
    {
      name: 'recipient refused with 5xx: smtp diagnostic and Remote-MTA',
      bounced: { recipient: 'bob@example.com', failure: noSuchUser },
      expected: [
        'Final-Recipient: rfc822; bob@example.com',
        'Action: failed',
        'Status: 5.1.1',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 550 5.1.1 No such user',
      ],
      human: '<bob@example.com>: host smtp.provider.example said: 550 5.1.1 No such user',
    },
    {
      name: 'sender refused with 5xx',
      bounced: { recipient: 'bob@example.com', failure: senderRejected },
      expected: [
        'Final-Recipient: rfc822; bob@example.com',
        'Action: failed',
        'Status: 5.1.8',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 553 5.1.8 Sender domain does not exist',
      ],
      human:
        '<bob@example.com>: host smtp.provider.example said: 553 5.1.8 Sender domain does not exist',
    },
    {
      name: '5xx reply without an enhanced code: 5.0.0',
      bounced: { recipient: 'bob@example.com', failure: withoutEnhancedCode },
      expected: [
        'Final-Recipient: rfc822; bob@example.com',
        'Action: failed',
        'Status: 5.0.0',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 554 5.0.0 Transaction failed',
      ],
      human: '<bob@example.com>: host smtp.provider.example said: 554 5.0.0 Transaction failed',
    },
    {
      name: 'permanent failure whose reply carries 4.x.x: reported as 5.x.x',
      bounced: { recipient: 'bob@example.com', failure: mailboxFull },
      expected: [
        'Final-Recipient: rfc822; bob@example.com',
        'Action: failed',
        'Status: 5.2.2',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 552 4.2.2 Mailbox full',
      ],
      human: '<bob@example.com>: host smtp.provider.example said: 552 4.2.2 Mailbox full',
    },
    {
      name: 'over the smart host SIZE (refused before MAIL): our 5.3.4, no Remote-MTA, no Diagnostic-Code',
      bounced: { recipient: 'bob@example.com', failure: overSize },
      expected: ['Final-Recipient: rfc822; bob@example.com', 'Action: failed', 'Status: 5.3.4'],
      human: '<bob@example.com>: 5.3.4 Message too big for the smart host',
    },
    {
      name: 'expired after 4xx replies: our 5.4.7, the last reply verbatim as the smart host gave it',
      bounced: { recipient: 'carol@example.com', failure: greylisted, expired: true },
      expected: [
        'Final-Recipient: rfc822; carol@example.com',
        'Action: failed',
        'Status: 5.4.7',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 451 4.7.1 Greylisted',
      ],
      human:
        '<carol@example.com>: delivery time expired (5.4.7), last attempt: host smtp.provider.example said: 451 4.7.1 Greylisted',
    },
    {
      name: 'expired after network failures: no Remote-MTA, no Diagnostic-Code',
      bounced: { recipient: 'dave@example.com', failure: connectionRefused, expired: true },
      expected: ['Final-Recipient: rfc822; dave@example.com', 'Action: failed', 'Status: 5.4.7'],
      human:
        '<dave@example.com>: delivery time expired (5.4.7), last attempt: 4.4.1 No answer from smart host',
    },
    {
      name: 'expired after timeouts: no Remote-MTA, no Diagnostic-Code',
      bounced: { recipient: 'dave@example.com', failure: timedOut, expired: true },
      expected: ['Final-Recipient: rfc822; dave@example.com', 'Action: failed', 'Status: 5.4.7'],
      human:
        '<dave@example.com>: delivery time expired (5.4.7), last attempt: 4.4.2 Smart host connection timed out',
    },
    {
      name: 'expired after unknown failures: no Remote-MTA, no Diagnostic-Code',
      bounced: { recipient: 'dave@example.com', failure: unknownFailure, expired: true },
      expected: ['Final-Recipient: rfc822; dave@example.com', 'Action: failed', 'Status: 5.4.7'],
      human: '<dave@example.com>: delivery time expired (5.4.7), last attempt: 4.0.0 something odd',
    },
    {
      name: 'network failure (not expired): 4.4.1 reported as 5.4.1, no Remote-MTA, no Diagnostic-Code',
      bounced: { recipient: 'dave@example.com', failure: connectionRefused },
      expected: ['Final-Recipient: rfc822; dave@example.com', 'Action: failed', 'Status: 5.4.1'],
      human: '<dave@example.com>: 4.4.1 No answer from smart host',
    },
    {
      name: 'CR/LF in the recipient address cannot inject a header',
      bounced: {
        recipient: 'bob@example.com\r\nX-Injected: yes\nAction: delivered',
        failure: noSuchUser,
      },
      expected: [
        'Final-Recipient: rfc822; bob@example.com X-Injected: yes Action: delivered',
        'Action: failed',
        'Status: 5.1.1',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 550 5.1.1 No such user',
      ],
      human:
        '<bob@example.com X-Injected: yes Action: delivered>: host smtp.provider.example said: 550 5.1.1 No such user',
    },
    {
      name: 'CR/LF in the reply text cannot inject a header',
      bounced: {
        recipient: 'bob@example.com',
        failure: {
          ...noSuchUser,
          reply: { code: 550, enhanced: '5.1.1', text: 'No such user\r\nX-Injected: yes' },
        },
      },
      expected: [
        'Final-Recipient: rfc822; bob@example.com',
        'Action: failed',
        'Status: 5.1.1',
        'Remote-MTA: dns; smtp.provider.example',
        'Diagnostic-Code: smtp; 550 5.1.1 No such user X-Injected: yes',
      ],
      human:
        '<bob@example.com>: host smtp.provider.example said: 550 5.1.1 No such user X-Injected: yes',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const bounce = parseBounce(
        buildBounceMessage({ ...base, template: '{recipients}', bounced: [row.bounced] }),
      );
      const blocks = statusBlocks(bounce);
      assert.equal(blocks.length, 2);
      assert.equal(blocks[1], row.expected.join('\r\n'));
      assert.equal(partBody(bounce, 0), row.human);
      assert.doesNotMatch(bounce.text, /^X-Injected:/m);
    });
  }
});

describe('buildBounceMessage: original headers part', () => {
  const rows: readonly { name: string; original: Buffer; expected: Buffer }[] = [
    {
      name: 'CRLF headers without a final line break',
      original: Buffer.from('Subject: hi\r\nFrom: a@example.com'),
      expected: Buffer.from('Subject: hi\r\nFrom: a@example.com\r\n'),
    },
    {
      name: 'bare LF headers are sent with CRLF',
      original: Buffer.from('Subject: hi\nFrom: a@example.com\n'),
      expected: Buffer.from('Subject: hi\r\nFrom: a@example.com\r\n'),
    },
    {
      name: 'trailing empty lines collapse to one line break',
      original: Buffer.from('Subject: hi\r\n\r\n\r\n'),
      expected: Buffer.from('Subject: hi\r\n'),
    },
    {
      name: 'folded header keeps its continuation line',
      original: Buffer.from('Subject: a long\r\n subject\r\n'),
      expected: Buffer.from('Subject: a long\r\n subject\r\n'),
    },
    {
      name: 'no original headers: an empty line',
      original: Buffer.alloc(0),
      expected: Buffer.from('\r\n'),
    },
    {
      name: 'UTF-8 header text is kept',
      original: Buffer.from('Subject: Grüße\r\n'),
      expected: Buffer.from('Subject: Grüße\r\n'),
    },
    {
      name: 'raw 8-bit (Latin-1) header bytes are kept as they were',
      original: Buffer.from([...Buffer.from('Subject: caf'), 0xe9, 0x0d, 0x0a]),
      expected: Buffer.from([...Buffer.from('Subject: caf'), 0xe9, 0x0d, 0x0a]),
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const message = buildBounceMessage({ ...base, originalHeaders: row.original });
      const boundary = /boundary="([^"]+)"/.exec(message.toString('latin1'))?.[1] ?? '';
      const opening = Buffer.from('Content-Type: text/rfc822-headers\r\n\r\n');
      const start = message.indexOf(opening) + opening.length;
      const closing = Buffer.from(`\r\n--${boundary}--\r\n`);
      assert.ok(message.subarray(message.length - closing.length).equals(closing));
      assert.deepEqual(message.subarray(start, message.length - closing.length), row.expected);
    });
  }
});

describe('buildBounceMessage: envelope sender in the To header', () => {
  it('CR/LF in the envelope sender cannot inject a header', () => {
    const bounce = parseBounce(
      buildBounceMessage({
        ...base,
        recipient: 'sender@example.com>\r\nBcc: <victim@example.org',
      }),
    );
    assert.doesNotMatch(bounce.headers, /^Bcc:/m);
  });
});

describe('buildBounceMessage: custom template', () => {
  it('fills every placeholder and turns LF into CRLF', () => {
    const bounce = parseBounce(
      buildBounceMessage({
        ...base,
        template: 'Host {hostname}\nAsk {postmaster}\nDear {sender}\n{recipients}\n',
      }),
    );
    assert.equal(
      partBody(bounce, 0),
      'Host relay.example.com\r\nAsk postmaster@example.com\r\nDear sender@example.com\r\n' +
        '<bob@example.com>: host smtp.provider.example said: 550 5.1.1 No such user\r\n',
    );
  });
});

describe('fillTemplate', () => {
  const values = {
    hostname: 'relay.example.com',
    postmaster: 'postmaster@example.com',
    sender: 'sender@example.com',
    recipients: '<bob@example.com>: 550 5.1.1 No such user',
  };
  const rows: readonly {
    name: string;
    template: string;
    values: Readonly<Record<string, string>>;
    expected: string;
  }[] = [
    {
      name: 'every placeholder',
      template: '{hostname} {postmaster} {sender} {recipients}',
      values,
      expected:
        'relay.example.com postmaster@example.com sender@example.com <bob@example.com>: 550 5.1.1 No such user',
    },
    {
      name: 'a placeholder used twice',
      template: '{hostname}/{hostname}',
      values,
      expected: 'relay.example.com/relay.example.com',
    },
    {
      name: 'unknown placeholders are left alone',
      template: '{unknown} {messageId} {hostname}',
      values,
      expected: '{unknown} {messageId} relay.example.com',
    },
    {
      name: 'placeholders are case-sensitive',
      template: '{HOSTNAME} {Hostname}',
      values,
      expected: '{HOSTNAME} {Hostname}',
    },
    {
      name: 'a missing value becomes empty',
      template: 'to {sender}.',
      values: {},
      expected: 'to .',
    },
    {
      name: 'values are inserted literally, not expanded again',
      template: '{sender}|{recipients}',
      values: { sender: '{recipients}', recipients: '$& $1 $$' },
      expected: '{recipients}|$& $1 $$',
    },
    { name: 'no placeholders', template: 'plain text', values, expected: 'plain text' },
    { name: 'empty template', template: '', values, expected: '' },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(fillTemplate(row.template, row.values), row.expected);
    });
  }
});

describe('bounceStatus', () => {
  const rows: readonly { name: string; bounced: RecipientFailure; expected: string }[] = [
    {
      name: '5.x.x reply kept',
      bounced: { recipient: 'bob@example.com', failure: noSuchUser },
      expected: '5.1.1',
    },
    {
      name: '4.x.x of a permanent failure becomes 5.x.x',
      bounced: { recipient: 'bob@example.com', failure: permanentWithTemporaryCode },
      expected: '5.7.1',
    },
    {
      name: '4.x.x of a 5xx reply becomes 5.x.x',
      bounced: { recipient: 'bob@example.com', failure: mailboxFull },
      expected: '5.2.2',
    },
    {
      name: 'expired: 5.4.7 whatever the last reply',
      bounced: { recipient: 'bob@example.com', failure: greylisted, expired: true },
      expected: '5.4.7',
    },
    {
      name: 'expired wins over a 5.x.x reply',
      bounced: { recipient: 'bob@example.com', failure: noSuchUser, expired: true },
      expected: '5.4.7',
    },
    {
      name: 'expired: false is not expired',
      bounced: { recipient: 'bob@example.com', failure: greylisted, expired: false },
      expected: '5.7.1',
    },
    {
      name: 'three-digit subject and detail',
      bounced: {
        recipient: 'bob@example.com',
        failure: { ...noSuchUser, reply: { code: 450, enhanced: '4.123.456', text: 'x' } },
      },
      expected: '5.123.456',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(bounceStatus(row.bounced), row.expected);
    });
  }
});

describe('headerSection', () => {
  const rows: readonly {
    name: string;
    body: string;
    maxBytes: number;
    expected: string;
  }[] = [
    {
      name: 'CRLF: up to the first empty line',
      body: 'Subject: hi\r\nFrom: a@example.com\r\n\r\nBody\r\n\r\nMore',
      maxBytes: 1024,
      expected: 'Subject: hi\r\nFrom: a@example.com',
    },
    {
      name: 'bare LF: up to the first empty line',
      body: 'Subject: hi\nFrom: a@example.com\n\nBody\n\nMore',
      maxBytes: 1024,
      expected: 'Subject: hi\nFrom: a@example.com',
    },
    {
      name: 'bare LF empty line before a later CRLF one',
      body: 'Subject: hi\n\nBody\r\n\r\nMore',
      maxBytes: 1024,
      expected: 'Subject: hi',
    },
    {
      name: 'CRLF empty line before a later bare LF one',
      body: 'Subject: hi\r\n\r\nBody\n\nMore',
      maxBytes: 1024,
      expected: 'Subject: hi',
    },
    {
      name: 'no empty line: everything',
      body: 'Subject: hi\r\nFrom: a@example.com\r\n',
      maxBytes: 1024,
      expected: 'Subject: hi\r\nFrom: a@example.com\r\n',
    },
    {
      name: 'cap shorter than the header section',
      body: 'Subject: hi\r\nFrom: a@example.com\r\n\r\nBody',
      maxBytes: 7,
      expected: 'Subject',
    },
    {
      name: 'no empty line, cap shorter than the message',
      body: 'Subject: hi\r\nFrom: a@example.com\r\n',
      maxBytes: 11,
      expected: 'Subject: hi',
    },
    {
      name: 'cap exactly at the end of the header section',
      body: 'Subject: hi\r\n\r\nBody',
      maxBytes: 11,
      expected: 'Subject: hi',
    },
    { name: 'cap zero', body: 'Subject: hi\r\n\r\nBody', maxBytes: 0, expected: '' },
    { name: 'empty message', body: '', maxBytes: 1024, expected: '' },
    {
      name: 'message that starts with an empty line has no headers',
      body: '\r\nBody\r\n\r\nMore',
      maxBytes: 1024,
      expected: '',
    },
    {
      name: 'LF-terminated header line followed by a CRLF empty line',
      body: 'Subject: hi\n\r\nBody',
      maxBytes: 1024,
      expected: 'Subject: hi',
    },
    {
      name: 'CRLF header line followed by a bare LF empty line',
      body: 'Subject: hi\r\n\nBody',
      maxBytes: 1024,
      expected: 'Subject: hi',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const section = headerSection(Buffer.from(row.body), row.maxBytes);
      assert.equal(section.toString('utf8'), row.expected);
    });
  }
});
