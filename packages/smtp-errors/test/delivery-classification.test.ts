import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLASSIFICATION_RULES, classifyDeliveryError } from '../src/delivery-classification.ts';
import {
  PROVIDER_LIMIT_RULES,
  PROVIDER_MESSAGE_RULES,
  PROVIDER_SETTINGS_RULES,
} from '../src/provider-rules.ts';
import { assertClassifies, type ClassificationRow, rowTitle } from './classification-rows.ts';

// One row or more per generic rule; provider replies are in provider-rules.test.ts.
const rows: readonly ClassificationRow[] = [
  {
    rule: 'OAuth2 token not obtained',
    error: {
      code: 'EOAUTH2',
      message:
        'invalid_grant: AADSTS70008: The provided authorization code or refresh token has expired',
    },
    kind: 'systemic',
    category: 'oauth2',
    reply: '451 4.7.0',
    hint: /npx smtp-relay oauth2 check.*SMART_HOST_OAUTH2_CLIENT_ID.*SMART_HOST_OAUTH2_REFRESH_TOKEN/,
  },
  {
    // The same failure after nodemailer relabelled it on the way out of login().
    rule: 'OAuth2 token not obtained',
    error: {
      code: 'EAUTH',
      originalCode: 'EOAUTH2',
      command: 'AUTH XOAUTH2',
      message: 'Token endpoint https://login.microsoftonline.com/ returned 503',
    },
    kind: 'systemic',
    category: 'oauth2',
    reply: '451 4.7.0',
  },
  {
    // A token callback error without a code: no reply from the smart host at all.
    rule: 'OAuth2 token not obtained',
    error: { code: 'EAUTH', command: 'AUTH XOAUTH2', message: 'fetch failed' },
    kind: 'systemic',
    category: 'oauth2',
  },
  {
    rule: 'DKIM key cannot be used',
    error: {
      code: 'EDKIM',
      message: 'DKIM key example.com/s1.pem cannot be used: not an unencrypted PEM private key',
    },
    kind: 'systemic',
    category: 'dkim',
    reply: '451 4.3.5',
    hint: /DKIM_KEYS_DIR.*dkim\.failed.*npx smtp-relay dkim.*never sent unsigned/,
  },
  {
    rule: 'POP3 server refused our login',
    error: {
      code: 'EPOP3',
      command: 'PASS',
      response: '-ERR [AUTH] Authentication failed.',
      message: 'POP3 pop.isp.example:995 refused the login: -ERR [AUTH] Authentication failed.',
    },
    kind: 'systemic',
    category: 'pop3',
    reply: '451 4.7.0',
    hint: /SMART_HOST_USER and SMART_HOST_PASSWORD.*SMART_HOST_POP3_HOST/,
  },
  {
    // Not a throttling reply, however it is worded: no smart host answered.
    rule: 'POP3 server refused our login',
    error: {
      code: 'EPOP3',
      command: 'USER',
      response: '-ERR [IN-USE] Too many logins, try again later',
      message: 'POP3 pop.isp.example:995 refused the login: -ERR [IN-USE] Too many logins',
    },
    kind: 'systemic',
    category: 'pop3',
  },
  {
    rule: 'POP3 login before SMTP failed',
    error: {
      code: 'EPOP3',
      command: 'CONN',
      message: 'POP3 pop.isp.example:995: self-signed certificate in certificate chain',
    },
    kind: 'systemic',
    category: 'pop3',
    reply: '451 4.7.0',
    hint: /SMART_HOST_POP3_TLS fits the port.*SMART_HOST_CA_FILE/,
  },
  {
    // STLS refused: never a fall back to plain text.
    rule: 'POP3 login before SMTP failed',
    error: {
      code: 'EPOP3',
      command: 'STLS',
      response: '-ERR Unknown command',
      message: 'POP3 pop.isp.example:110 refused STLS: -ERR Unknown command',
    },
    kind: 'systemic',
    category: 'pop3',
  },
  {
    rule: 'POP3 login before SMTP failed',
    error: { code: 'EPOP3', command: 'CONN', message: 'POP3 pop.isp.example:995: timed out' },
    kind: 'systemic',
    category: 'pop3',
  },
  {
    // Postfix's anvil limit: a cap on connections, not a rate (docs/adr/012).
    rule: 'smart host refuses more connections at once',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 4.7.0 mail.isp.example Error: too many connections from 203.0.113.7',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'connection-limit',
    reply: '421 4.7.0',
    hint: /fewer connections.*SENDER_CONCURRENCY/,
  },
  {
    // Exim, without an enhanced code.
    rule: 'smart host refuses more connections at once',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response:
        '421 mx.isp.example Too many concurrent SMTP connections from this IP address; please try again later.',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'connection-limit',
  },
  {
    // Exchange's words, not a "too many" text at all.
    rule: 'smart host refuses more connections at once',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response:
        '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'connection-limit',
  },
  {
    // Nodemailer's smtp-server past its maxClients.
    rule: 'smart host refuses more connections at once',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 mx.isp.example Too many connected clients, try again in a moment',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'connection-limit',
  },
  {
    // Some servers greet and refuse at EHLO instead.
    rule: 'smart host refuses more connections at once',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'EHLO',
      response: '421 4.7.0 Connection limit exceeded, try again later',
      message: 'Invalid response',
    },
    kind: 'transient',
    category: 'connection-limit',
  },
  {
    // A rate reply at the greeting pauses the route: it is not a cap on connections.
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response: '421 4.7.0 mail.isp.example Error: connection rate limit exceeded',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'throttled',
    hint: /SENDER_CONCURRENCY/,
  },
  {
    // "Too many connections" after the greeting is said of the session's sending, not a cap.
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EENVELOPE',
      responseCode: 421,
      command: 'MAIL FROM',
      response: '421 4.7.0 Too many connections, slow down',
      message: 'Mail command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    // The codes SPEC names for throttling (421, 450, 451, 452, 454), each with its words.
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EENVELOPE',
      responseCode: 450,
      command: 'MAIL FROM',
      response: '450 4.7.1 Too many messages from this sender, slow down',
      message: 'Mail command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EENVELOPE',
      responseCode: 452,
      command: 'RCPT TO',
      response: '452 4.7.0 Throttled: recipient rate exceeded',
      message: 'Recipient command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    // Before "temporary refusal of AUTH or STARTTLS": the words say throttling.
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EAUTH',
      responseCode: 454,
      command: 'AUTH PLAIN',
      response: '454 4.7.0 Throttling: too many AUTH commands, try later',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EENVELOPE',
      responseCode: 451,
      command: 'MAIL FROM',
      response: '451 4.7.1 Rate limit exceeded for sender relay@example.com, try again later',
      message: 'Mail command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'smart host throttling (4xx)',
    error: {
      code: 'EAUTH',
      responseCode: 421,
      command: 'AUTH LOGIN',
      response: '421 4.7.0 Too many failed authentication attempts',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    // "Too many recipients" is the per-message limit, not a rate: deferred.
    rule: 'smart host deferred (4xx)',
    error: {
      code: 'EENVELOPE',
      responseCode: 452,
      command: 'RCPT TO',
      response: '452 4.5.3 Too many recipients',
      message: 'Recipient command failed',
    },
    kind: 'transient',
    category: 'deferred',
    reply: '452 4.5.3',
  },
  {
    rule: 'temporary refusal of AUTH or STARTTLS',
    error: {
      code: 'EAUTH',
      responseCode: 454,
      command: 'AUTH PLAIN',
      response: '454 4.7.0 Temporary authentication failure',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'deferred',
    reply: '454 4.7.0',
  },
  {
    // Only a 5xx condemns a token; a 4xx to AUTH XOAUTH2 is retried like any other.
    rule: 'temporary refusal of AUTH or STARTTLS',
    error: {
      code: 'EAUTH',
      responseCode: 454,
      command: 'AUTH XOAUTH2',
      response: '454 4.7.0 Temporary authentication failure',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'deferred',
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
    hint: /SMART_HOST_USER and SMART_HOST_PASSWORD/,
  },
  {
    // Postfix's words for a wrong password: the SES row must not take them.
    rule: 'smart host rejected our credentials',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH LOGIN',
      response: '535 5.7.8 Authentication credentials invalid',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
  },
  {
    rule: 'smart host rejected our OAuth2 token',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH XOAUTH2',
      response: '535 5.7.8 Error: authentication failed: Invalid token',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'oauth2',
    hint: /SMTP\.SendAsApp.*New-ServicePrincipal.*Add-MailboxPermission.*https:\/\/mail\.google\.com\/.*domain-wide delegation/,
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
    hint: /SMART_HOST_CA_FILE/,
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
    hint: /SMART_HOST_TLS with SMART_HOST_PORT/,
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
    hint: /SMART_HOST_TLS fits SMART_HOST_PORT/,
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
const providerRules = new Set([
  ...PROVIDER_LIMIT_RULES,
  ...PROVIDER_SETTINGS_RULES,
  ...PROVIDER_MESSAGE_RULES,
]);

describe('classifyDeliveryError', () => {
  for (const row of rows) {
    it(rowTitle(row), () => {
      assertClassifies(row);
    });
  }

  it('has a test row for every generic rule', () => {
    const tested = new Set(rows.map((row) => row.rule));
    for (const rule of CLASSIFICATION_RULES) {
      if (!providerRules.has(rule)) assert.ok(tested.has(rule.name), rule.name);
    }
  });

  it('includes every provider rule in the table', () => {
    for (const rule of providerRules) assert.ok(CLASSIFICATION_RULES.includes(rule), rule.name);
  });

  it('gives every rule its own name', () => {
    const names = CLASSIFICATION_RULES.map((rule) => rule.name);
    assert.equal(new Set(names).size, names.length);
  });

  // Systemic failures hold all mail until an operator acts: the log must say what to change.
  it('tells the operator what to fix for every systemic rule', () => {
    for (const rule of CLASSIFICATION_RULES) {
      if (rule.kind === 'systemic') assert.ok(rule.hint, rule.name);
    }
  });

  it('writes every hint as one sentence on one line', () => {
    for (const { name, hint } of CLASSIFICATION_RULES) {
      if (hint === undefined) continue;
      assert.doesNotMatch(hint, /[\r\n]/, name);
      assert.match(hint, /^[A-Za-z].*[.)]$/, name);
    }
  });

  it('treats an unknown failure as transient, never permanent', () => {
    const failure = classifyDeliveryError({ message: 'something odd' });
    assert.equal(failure.kind, 'transient');
    assert.equal(failure.category, 'unknown');
    assert.equal(failure.reply.code, 451);
    assert.equal(failure.hint, undefined);
  });
});
