import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLASSIFICATION_RULES,
  classifyDeliveryError,
  type DeliveryErrorShape,
  type FailureCategory,
  type FailureKind,
} from '../src/delivery-classification.ts';

// One row per rule (zone-mta bounces-test idea): the error shapes are the ones
// nodemailer 10.6 produces (libraries.md §2.5).
const rows: readonly {
  rule: string;
  error: DeliveryErrorShape;
  kind: FailureKind;
  category: FailureCategory;
  reply?: string;
}[] = [
  {
    rule: 'temporary refusal of AUTH or STARTTLS',
    error: {
      code: 'EAUTH',
      responseCode: 454,
      command: 'AUTH PLAIN',
      response: '454 4.7.0 Too many login attempts, please try again later',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'deferred',
    reply: '454 4.7.0',
  },
  {
    rule: 'temporary refusal of AUTH or STARTTLS',
    error: {
      code: 'ETLS',
      responseCode: 454,
      command: 'STARTTLS',
      response: '454 4.7.0 TLS not available due to temporary reason',
      message: 'Error upgrading connection with STARTTLS',
    },
    kind: 'transient',
    category: 'deferred',
  },
  {
    rule: 'message larger than the smart host accepts',
    error: {
      code: 'EMESSAGE',
      command: 'MAIL FROM',
      message: 'Message size larger than allowed 1048576',
    },
    kind: 'permanent',
    category: 'message-too-big',
    reply: '552 5.3.4',
  },
  {
    rule: 'smart host rejected our credentials',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH PLAIN',
      response: '535 5.7.8 Error: authentication failed',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    reply: '535 5.7.8',
  },
  {
    rule: 'smart host rejected our credentials',
    error: { code: 'ENOAUTH', message: 'Missing credentials' },
    kind: 'systemic',
    category: 'auth',
  },
  {
    rule: 'smart host requires authentication we did not give',
    error: {
      code: 'EENVELOPE',
      responseCode: 530,
      command: 'MAIL FROM',
      response: '530 5.7.0 Authentication required',
      message: 'Mail command failed',
    },
    kind: 'systemic',
    category: 'auth',
  },
  {
    rule: 'smart host certificate not trusted',
    error: { code: 'ESOCKET', message: 'self-signed certificate in certificate chain' },
    kind: 'systemic',
    category: 'tls-certificate',
    reply: '451 4.7.5',
  },
  {
    rule: 'smart host certificate not trusted',
    error: {
      code: 'ETLS',
      command: 'STARTTLS',
      message: "Error initiating TLS - Hostname/IP does not match certificate's altnames",
    },
    kind: 'systemic',
    category: 'tls-certificate',
  },
  {
    rule: 'STARTTLS refused or failed (SMART_HOST_TLS=starttls never falls back to plain text)',
    error: {
      code: 'ETLS',
      responseCode: 502,
      command: 'STARTTLS',
      response: '502 5.5.1 Error: command not implemented',
      message: 'Error upgrading connection with STARTTLS',
    },
    kind: 'systemic',
    category: 'tls',
  },
  {
    rule: 'transport misconfigured',
    error: { code: 'ECONFIG', message: 'Bad configuration' },
    kind: 'systemic',
    category: 'config',
  },
  {
    rule: 'smart host refuses this relay permanently at connect',
    error: {
      code: 'EPROTOCOL',
      responseCode: 554,
      command: 'CONN',
      response: '554 5.7.1 Your IP is blocked',
      message: 'Invalid greeting',
    },
    kind: 'systemic',
    category: 'smart-host-refused',
  },
  {
    rule: 'sender address rejected',
    error: {
      code: 'EENVELOPE',
      responseCode: 553,
      command: 'MAIL FROM',
      response: '553 5.1.8 Sender domain does not exist',
      message: 'Mail command failed',
    },
    kind: 'permanent',
    category: 'sender-rejected',
    reply: '553 5.1.8',
  },
  {
    rule: 'recipients rejected',
    error: {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'RCPT TO',
      response: '550 5.1.1 No such user',
      message: 'Recipient command failed',
    },
    kind: 'permanent',
    category: 'recipient-rejected',
    reply: '550 5.1.1',
  },
  {
    rule: 'message rejected after DATA',
    error: {
      code: 'EMESSAGE',
      responseCode: 554,
      command: 'DATA',
      response: '554 5.6.0 Message rejected',
      message: 'Message failed',
    },
    kind: 'permanent',
    category: 'content-rejected',
  },
  {
    rule: 'smart host deferred (4xx)',
    error: {
      code: 'EENVELOPE',
      responseCode: 451,
      command: 'RCPT TO',
      response: '451 4.7.1 Greylisted',
      message: 'Recipient command failed',
    },
    kind: 'transient',
    category: 'deferred',
    reply: '451 4.7.1',
  },
  {
    rule: 'smart host deferred (4xx)',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 4.3.2 Service not available',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'deferred',
  },
  {
    rule: 'timeout',
    error: { code: 'ETIMEDOUT', command: 'CONN', message: 'Greeting never received' },
    kind: 'transient',
    category: 'timeout',
    reply: '451 4.4.2',
  },
  {
    rule: 'connection refused, reset or lost',
    error: { code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED 127.0.0.1:2526' },
    kind: 'transient',
    category: 'network',
    reply: '451 4.4.1',
  },
  {
    rule: 'connection refused, reset or lost',
    error: { code: 'ECONNECTION', command: 'CONN', message: 'Connection closed unexpectedly' },
    kind: 'transient',
    category: 'network',
  },
  {
    rule: 'other permanent reply',
    error: {
      code: 'EPROTOCOL',
      responseCode: 500,
      command: 'RSET',
      response: '500 5.5.2 Unknown command',
      message: 'Unexpected reply',
    },
    kind: 'permanent',
    category: 'content-rejected',
  },
];

describe('classifyDeliveryError', () => {
  for (const row of rows) {
    it(`${row.rule}: ${row.error.code ?? ''} ${String(row.error.responseCode ?? '')} ${row.error.message}`, () => {
      const failure = classifyDeliveryError(row.error);
      assert.equal(failure.rule, row.rule);
      assert.equal(failure.kind, row.kind);
      assert.equal(failure.category, row.category);
      if (row.reply !== undefined) {
        assert.equal(`${failure.reply.code} ${failure.reply.enhanced}`, row.reply);
      }
    });
  }

  it('has a test row for every rule', () => {
    const tested = new Set(rows.map((row) => row.rule));
    for (const rule of CLASSIFICATION_RULES) assert.ok(tested.has(rule.name), rule.name);
  });

  it('treats an unknown failure as transient, never permanent', () => {
    const failure = classifyDeliveryError({ message: 'something odd' });
    assert.equal(failure.kind, 'transient');
    assert.equal(failure.category, 'unknown');
    assert.equal(failure.reply.code, 451);
  });
});
