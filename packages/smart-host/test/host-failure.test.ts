import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HOST_FAILURE_RULES,
  hostFailure,
  type HostFailureReason,
} from '../src/failover/host-failure.ts';
import type { SmartHostError } from '../src/smart-host-client.ts';

// One row or more per rule of failover/host-failure.ts: which failures move the
// attempt on to the next smart host and cool this one down.

interface Row {
  readonly title: string;
  readonly error: Partial<SmartHostError> & { originalCode?: string };
  readonly rule: string;
  readonly reason: HostFailureReason | undefined;
}

const session = { stage: 'session' } as const;

const rows: readonly Row[] = [
  {
    title: 'a 550 to MAIL is the message outcome',
    error: { code: 'EENVELOPE', responseCode: 550, command: 'MAIL FROM', stage: 'transaction' },
    rule: 'failed during the transaction (MAIL, RCPT, DATA) or outside the session',
    reason: undefined,
  },
  {
    title: 'rejected recipients (all refused at RCPT)',
    error: { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', stage: 'transaction' },
    rule: 'failed during the transaction (MAIL, RCPT, DATA) or outside the session',
    reason: undefined,
  },
  {
    title: 'a connection lost during DATA (nodemailer says CONN): the host may have the message',
    error: { code: 'ECONNECTION', command: 'CONN', stage: 'transaction' },
    rule: 'failed during the transaction (MAIL, RCPT, DATA) or outside the session',
    reason: undefined,
  },
  {
    title: 'an error without a stage (not from the SMTP client: POP3, DKIM)',
    error: { code: 'EPOP3', command: 'PASS' },
    rule: 'failed during the transaction (MAIL, RCPT, DATA) or outside the session',
    reason: undefined,
  },
  {
    title: '421 too many connections at the greeting is the connection cap',
    error: {
      ...session,
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 4.7.0 Too many connections from your IP',
    },
    rule: 'greeting says too many connections',
    reason: undefined,
  },
  {
    title: '421 too many concurrent SMTP connections',
    error: {
      ...session,
      responseCode: 421,
      command: 'CONN',
      response: '421 4.3.2 Too many concurrent SMTP connections; please try again later',
    },
    rule: 'greeting says too many connections',
    reason: undefined,
  },
  {
    title: "Exchange's 421 maximum number of concurrent server connections",
    error: {
      ...session,
      responseCode: 421,
      command: 'CONN',
      response:
        '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel',
    },
    rule: 'greeting says too many connections',
    reason: undefined,
  },
  {
    title: 'our token endpoint failed (EOAUTH2)',
    error: { ...session, code: 'EOAUTH2', message: 'invalid_grant' },
    rule: 'no OAuth2 token obtained',
    reason: undefined,
  },
  {
    title: 'our token endpoint failed, relabelled EAUTH by nodemailer',
    error: { ...session, code: 'EAUTH', originalCode: 'EOAUTH2', command: 'AUTH XOAUTH2' },
    rule: 'no OAuth2 token obtained',
    reason: undefined,
  },
  {
    title: 'a token callback error without a reply',
    error: { ...session, code: 'EAUTH', command: 'AUTH XOAUTH2' },
    rule: 'no OAuth2 token obtained',
    reason: undefined,
  },
  {
    title: 'OAuth2 configured without a token source',
    error: { ...session, code: 'ECONFIG' },
    rule: 'client misconfigured',
    reason: undefined,
  },
  {
    title: '421 service not available at the greeting',
    error: {
      ...session,
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 4.3.2 Service not available, closing transmission channel',
    },
    rule: 'greeting or EHLO refused',
    reason: 'greeting',
  },
  {
    title: '554 at the greeting (this relay is blocked there)',
    error: { ...session, responseCode: 554, command: 'CONN', response: '554 5.7.1 Blocked' },
    rule: 'greeting or EHLO refused',
    reason: 'greeting',
  },
  {
    title: 'EHLO refused',
    error: { ...session, responseCode: 550, command: 'EHLO', response: '550 Not here' },
    rule: 'greeting or EHLO refused',
    reason: 'greeting',
  },
  {
    title: 'STARTTLS refused or failed',
    error: { ...session, code: 'ETLS', responseCode: 454, command: 'STARTTLS' },
    rule: 'TLS failed (STARTTLS refused, handshake, certificate)',
    reason: 'tls',
  },
  {
    title: 'a certificate not trusted (a socket error)',
    error: { ...session, code: 'ESOCKET', message: 'unable to verify the first certificate' },
    rule: 'TLS failed (STARTTLS refused, handshake, certificate)',
    reason: 'tls',
  },
  {
    title: 'a self-signed certificate (a connection error)',
    error: {
      ...session,
      code: 'ECONNECTION',
      message: 'self-signed certificate in certificate chain',
    },
    rule: 'TLS failed (STARTTLS refused, handshake, certificate)',
    reason: 'tls',
  },
  {
    title: '535 to AUTH',
    error: { ...session, code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' },
    rule: 'authentication refused or not offered',
    reason: 'auth',
  },
  {
    title: 'the smart host refused our XOAUTH2 token',
    error: { ...session, code: 'EAUTH', responseCode: 535, command: 'AUTH XOAUTH2' },
    rule: 'authentication refused or not offered',
    reason: 'auth',
  },
  {
    title: '454 temporary authentication failure',
    error: { ...session, code: 'EAUTH', responseCode: 454, command: 'AUTH LOGIN' },
    rule: 'authentication refused or not offered',
    reason: 'auth',
  },
  {
    title: 'AUTH not offered while credentials are configured',
    error: { ...session, code: 'ENOAUTH' },
    rule: 'authentication refused or not offered',
    reason: 'auth',
  },
  ...['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROXY', 'ECONNREFUSED', 'ECONNRESET'].map(
    (code): Row => ({
      title: `${code} while connecting`,
      error: { ...session, code, command: 'CONN', message: `${code} connect failed` },
      rule: 'connection refused, reset, timed out, DNS',
      reason: 'unreachable',
    }),
  ),
  {
    title: 'not SMTP at all (invalid greeting)',
    error: { ...session, code: 'EPROTOCOL', command: 'CONN', response: 'HTTP/1.1 400' },
    rule: 'connection refused, reset, timed out, DNS',
    reason: 'unreachable',
  },
  {
    title: 'an unknown failure during the session',
    error: { ...session, code: 'EWHATEVER' },
    rule: 'anything else',
    reason: undefined,
  },
];

describe('host failure table', () => {
  for (const row of rows) {
    it(row.title, () => {
      const error = Object.assign(new Error(row.error.message ?? 'failed'), row.error);
      assert.deepEqual(hostFailure(error), { rule: row.rule, reason: row.reason });
    });
  }

  it('has a row for every rule', () => {
    const tested = new Set(rows.map((row) => row.rule));
    for (const rule of HOST_FAILURE_RULES) assert.ok(tested.has(rule.name), rule.name);
  });

  it('something thrown that is not an Error is never a host failure', () => {
    assert.equal(hostFailure('boom').reason, undefined);
  });
});
