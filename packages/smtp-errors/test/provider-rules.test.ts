import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PROVIDER_LIMIT_RULES,
  PROVIDER_MESSAGE_RULES,
  PROVIDER_SETTINGS_RULES,
} from '../src/provider-rules.ts';
import { assertClassifies, type ClassificationRow, rowTitle } from './classification-rows.ts';

// The providers' own reply texts (docs and reported sessions), through the
// whole table. Multi-line replies are joined with "\n", as nodemailer does;
// nodemailer's EAUTH message is "Invalid login: " plus the reply.

const limitRows: readonly ClassificationRow[] = [
  {
    rule: 'Google: too many login attempts',
    error: {
      code: 'EAUTH',
      responseCode: 454,
      command: 'AUTH PLAIN',
      response:
        '454-4.7.0 Too many login attempts, please try again later. For more information, go to\n454 4.7.0  https://support.google.com/mail/answer/7126229 a1sm4821937wrb.12 - gsmtp',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'throttled',
    reply: '454 4.7.0',
    hint: /SMART_HOST_PASSWORD/,
  },
  {
    // Until this row existed this reply was "temporary refusal of AUTH or
    // STARTTLS" (deferred): still transient, now labelled as throttling.
    rule: 'Google: too many login attempts',
    error: {
      code: 'EAUTH',
      responseCode: 454,
      command: 'AUTH PLAIN',
      response: '454 4.7.0 Too many login attempts, please try again later',
      message: 'Invalid login',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'Microsoft 365: server busy or submissions throttled',
    error: {
      code: 'EPROTOCOL',
      responseCode: 421,
      command: 'CONN',
      response:
        '421 4.7.500 Server busy. Please try again later. (S77719) [AM0PR06MB1234.eurprd06.prod.outlook.com]',
      message: 'Invalid greeting',
    },
    kind: 'transient',
    category: 'throttled',
    reply: '421 4.7.500',
    hint: /SENDER_CONCURRENCY/,
  },
  {
    rule: 'Microsoft 365: server busy or submissions throttled',
    error: {
      code: 'EMESSAGE',
      responseCode: 432,
      command: 'DATA',
      response: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
      message: 'Message failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'Microsoft 365: server busy or submissions throttled',
    error: {
      code: 'EENVELOPE',
      responseCode: 450,
      command: 'MAIL FROM',
      response:
        '450 4.7.3 Message submission rate for this client has exceeded the configured limit',
      message: 'Mail command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'Microsoft 365: mailbox sending quota used up',
    error: {
      code: 'EMESSAGE',
      responseCode: 554,
      command: 'DATA',
      response:
        '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.',
      message: 'Message failed',
    },
    kind: 'transient',
    category: 'throttled',
    reply: '554 5.2.0',
    hint: /SMART_HOST_USER/,
  },
  {
    rule: 'Microsoft 365: tenant external recipient limit reached',
    error: {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'RCPT TO',
      response:
        "550 5.7.233 Your message can't be sent because your tenant exceeded its daily limit for sending email to external recipients (tenant external recipient rate limit)",
      message: 'Recipient command failed',
    },
    kind: 'transient',
    category: 'throttled',
    reply: '550 5.7.233',
  },
  {
    rule: 'Google: daily or peak sending limit reached',
    error: {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'MAIL FROM',
      response:
        '550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550-5.4.5 sending limits go to\n550 5.4.5  https://support.google.com/a/answer/166852 a1sm4821937wrb.12 - gsmtp',
      message: 'Mail command failed',
    },
    kind: 'transient',
    category: 'throttled',
    reply: '550 5.4.5',
    hint: /until the limit resets/,
  },
  {
    rule: 'Google: daily or peak sending limit reached',
    error: {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'RCPT TO',
      response: '550 5.4.5 Daily SMTP relay limit exceeded for user',
      message: 'Recipient command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'Google: daily or peak sending limit reached',
    error: {
      code: 'EENVELOPE',
      responseCode: 450,
      command: 'RCPT TO',
      response: '450 4.2.1 Peak SMTP relay limit exceeded for customer',
      message: 'Recipient command failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
  {
    rule: 'Amazon SES: sending rate or daily quota exceeded',
    error: {
      code: 'EENVELOPE',
      responseCode: 454,
      command: 'MAIL FROM',
      response: '454 Throttling failure: Maximum sending rate exceeded.',
      message: 'Mail command failed',
    },
    kind: 'transient',
    category: 'throttled',
    reply: '454 4.0.0',
    hint: /SMART_HOST_REGION.*SENDER_CONCURRENCY/,
  },
  {
    rule: 'Amazon SES: sending rate or daily quota exceeded',
    error: {
      code: 'EMESSAGE',
      responseCode: 454,
      command: 'DATA',
      response: '454 Throttling failure: Daily message quota exceeded.',
      message: 'Message failed',
    },
    kind: 'transient',
    category: 'throttled',
  },
];

const settingsRows: readonly ClassificationRow[] = [
  {
    rule: 'Microsoft 365: SMTP AUTH disabled',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH LOGIN',
      response:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [TY1PR01CA0183.jpnprd01.prod.outlook.com]',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    reply: '535 5.7.139',
    hint: /Set-CASMailbox .*-SmtpClientAuthenticationDisabled \$false/,
  },
  {
    // With SMTP AUTH off even a good token fails: this row wins over the OAuth2 ones.
    rule: 'Microsoft 365: SMTP AUTH disabled',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH XOAUTH2',
      response:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
  },
  {
    rule: 'Microsoft 365: OAuth2 token refused for the mailbox',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH XOAUTH2',
      response:
        '535 5.7.3 Authentication unsuccessful [AM0PR06CA0126.eurprd06.prod.outlook.com 2024-02-14T14:50:26.590Z 08DC2D372B4C3DED]',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'oauth2',
    reply: '535 5.7.3',
    hint: /SMTP\.SendAsApp.*New-ServicePrincipal.*Add-MailboxPermission/,
  },
  {
    rule: 'Google: OAuth2 token refused',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH XOAUTH2',
      response:
        '535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1sm4821937wrb.12 - gsmtp',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'oauth2',
    reply: '535 5.7.8',
    hint: /https:\/\/mail\.google\.com\/.*domain-wide delegation/,
  },
  {
    rule: 'Microsoft 365: sign-in blocked by policy',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH LOGIN',
      response:
        '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    hint: /Security defaults, Conditional Access.*SMART_HOST_OAUTH2_CLIENT_ID/,
  },
  {
    rule: 'Microsoft 365: basic authentication not accepted',
    error: {
      code: 'EAUTH',
      responseCode: 550,
      command: 'AUTH LOGIN',
      response: '550 5.7.30 Basic authentication is not supported for Client Submission.',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    reply: '550 5.7.30',
    hint: /SMART_HOST_OAUTH2_CLIENT_ID/,
  },
  {
    rule: 'Microsoft 365: user name or password refused',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH LOGIN',
      response:
        '535 5.7.3 Authentication unsuccessful [MN2PR05CA0004.namprd05.prod.outlook.com 2023-09-12T20:59:57.214Z 08DBB276B7E699C4]',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    hint: /SMART_HOST_USER .*SMART_HOST_PASSWORD/,
  },
  {
    rule: 'Google: app password required',
    error: {
      code: 'EAUTH',
      responseCode: 534,
      command: 'AUTH PLAIN',
      response:
        '534-5.7.9 Application-specific password required. For more information, go to\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d2sm1234567wrb.1 - gsmtp',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    reply: '534 5.7.9',
    hint: /app password.*SMART_HOST_PASSWORD.*OAuth2/,
  },
  {
    rule: 'Google: user name or password refused',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH PLAIN',
      response:
        '535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1sm4821937wrb.12 - gsmtp',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    hint: /app password.*OAuth2/,
  },
  {
    rule: 'Amazon SES: SMTP credentials refused',
    error: {
      code: 'EAUTH',
      responseCode: 535,
      command: 'AUTH PLAIN',
      response: '535 Authentication Credentials Invalid',
      message: 'Invalid login',
    },
    kind: 'systemic',
    category: 'auth',
    reply: '535 5.0.0',
    hint: /SMART_HOST_REGION.*not an IAM access key/,
  },
  {
    // Refused at MAIL FROM, yet about this relay, not the message: held, not bounced.
    rule: 'Google Workspace SMTP relay: this relay not recognised',
    error: {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'MAIL FROM',
      response:
        "550 5.7.1 Invalid credentials for relay [1.2.3.4]. The IP address you've registered in your G Suite SMTP Relay service doesn't match domain of the account this email is being sent from.",
      message: 'Mail command failed',
    },
    kind: 'systemic',
    category: 'auth',
    hint: /public IP address.*SMTP relay service.*SMART_HOST_USER/,
  },
];

const messageRows: readonly ClassificationRow[] = [
  {
    rule: 'Microsoft 365: mailbox may not send as this sender',
    error: {
      code: 'EENVELOPE',
      responseCode: 550,
      command: 'MAIL FROM',
      response: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
      message: 'Mail command failed',
    },
    kind: 'permanent',
    category: 'sender-rejected',
    reply: '550 5.7.60',
    hint: /SMART_HOST_USER may only send as itself.*REWRITE_FROM.*Send As/,
  },
  {
    rule: 'Microsoft 365: mailbox may not send as this sender',
    error: {
      code: 'EMESSAGE',
      responseCode: 554,
      command: 'DATA',
      response:
        '554 5.2.252 SendAsDenied; user@example.com not allowed to send as other@example.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied',
      message: 'Message failed',
    },
    kind: 'permanent',
    category: 'sender-rejected',
    reply: '554 5.2.252',
  },
  {
    rule: 'Amazon SES: identity not verified',
    error: {
      code: 'EMESSAGE',
      responseCode: 554,
      command: 'DATA',
      response:
        '554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: sender@example.com',
      message: 'Message failed',
    },
    kind: 'permanent',
    category: 'sender-rejected',
    hint: /verif.*SMART_HOST_REGION.*sandbox/,
  },
];

describe('provider replies', () => {
  const groups = {
    'limits and quotas: wait, never bounce': limitRows,
    'our settings at the provider: hold all mail': settingsRows,
    "this message's sender: bounce": messageRows,
  };
  for (const [title, rows] of Object.entries(groups)) {
    describe(title, () => {
      for (const row of rows) {
        it(rowTitle(row), () => {
          assertClassifies(row);
        });
      }
    });
  }

  it('has a test row for every provider rule', () => {
    const tested = new Set([...limitRows, ...settingsRows, ...messageRows].map((row) => row.rule));
    const rules = [...PROVIDER_LIMIT_RULES, ...PROVIDER_SETTINGS_RULES, ...PROVIDER_MESSAGE_RULES];
    for (const rule of rules) assert.ok(tested.has(rule.name), rule.name);
  });

  // A quota of ours must never bounce a message: every limit row waits.
  it('keeps every limit rule transient and throttled', () => {
    for (const rule of PROVIDER_LIMIT_RULES) {
      assert.equal(rule.kind, 'transient', rule.name);
      assert.equal(rule.category, 'throttled', rule.name);
    }
  });
});
