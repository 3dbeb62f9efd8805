import {
  type ClassificationRule,
  commandIs,
  enhancedCode,
  is4xx,
  is5xx,
  replySays,
} from './classification-rule.ts';

// Replies of the smart hosts our presets name (Microsoft 365, Google, Amazon
// SES), matched on the providers' own words so the log can say what to fix.
// Grouped by where they must sit in CLASSIFICATION_RULES: each group goes
// before the generic rules its replies would otherwise fall into. The test
// rows (provider-rules.test.ts) quote the providers' reply texts.

/**
 * Our account's rate or quota is used up. Transient even when the code is 5xx:
 * waiting works, and a quota reply must not bounce a message at once (it is retried
 * on RETRY_DELAYS like any temporary failure, until MAX_QUEUE_LIFETIME).
 */
export const PROVIDER_LIMIT_RULES: readonly ClassificationRule[] = [
  {
    // Google answers AUTH with a 454 after a burst of logins (often failed ones).
    name: 'Google: too many login attempts',
    matches: (e) => is4xx(e) && replySays(e, /too many login attempts/i),
    kind: 'transient',
    category: 'throttled',
    hint: 'Google refuses logins from this relay for a while (too many AUTH attempts, often after wrong passwords): mail waits and is retried; if it keeps happening, check SMART_HOST_USER and SMART_HOST_PASSWORD.',
  },
  {
    // 4.7.500 "Server busy" is Exchange Online throttling the sending IP;
    // "sender thread limit" and "submission rate" throttle the mailbox.
    name: 'Microsoft 365: server busy or submissions throttled',
    matches: (e) =>
      is4xx(e) &&
      (enhancedCode(e) === '4.7.500' ||
        replySays(e, /sender thread limit exceeded|submission rate for this client/i)),
    kind: 'transient',
    category: 'throttled',
    hint: 'Microsoft 365 is throttling this relay (a mailbox may submit 30 messages a minute, a few at a time): mail waits and is retried; lower SENDER_CONCURRENCY if it persists.',
  },
  {
    // Sent with a 554 and the words "permanent exception", yet the quota is a
    // 24-hour sliding window: the same message goes through later.
    name: 'Microsoft 365: mailbox sending quota used up',
    matches: (e) => replySays(e, /SubmissionQuotaExceeded/i),
    kind: 'transient',
    category: 'throttled',
    hint: 'The Microsoft 365 mailbox in SMART_HOST_USER has used up its sending quota (10,000 recipients in 24 hours): mail waits until older messages leave the window; spread the volume over more mailboxes.',
  },
  {
    // TERRL: 5.7.233 for a tenant, 5.7.232 for a trial tenant; also a 24-hour window.
    name: 'Microsoft 365: tenant external recipient limit reached',
    matches: (e) =>
      is5xx(e) &&
      (enhancedCode(e) === '5.7.233' ||
        enhancedCode(e) === '5.7.232' ||
        replySays(e, /tenant external recipient rate limit/i)),
    kind: 'transient',
    category: 'throttled',
    hint: 'The Microsoft 365 tenant has reached its daily limit of external recipients (counted over 24 hours for all its mailboxes and apps): mail waits and is retried; an administrator can find the senders in the Exchange admin center mail flow reports.',
  },
  {
    // smtp.gmail.com: "Daily user sending limit"; smtp-relay.gmail.com: 10,000 per
    // envelope sender a day ("Daily SMTP relay limit") and a per-organisation peak.
    name: 'Google: daily or peak sending limit reached',
    matches: (e) =>
      replySays(e, /\b(?:daily|peak) (?:user sending|SMTP relay) (?:limit|quota) exceeded/i),
    kind: 'transient',
    category: 'throttled',
    hint: "Google's sending limit for this account or Workspace is used up (smtp.gmail.com: about 2,000 messages a day per user; smtp-relay.gmail.com: 10,000 a day per envelope sender): mail waits and is retried until the limit resets.",
  },
  {
    // SES drops the message; AWS says to retry it later with backoff.
    name: 'Amazon SES: sending rate or daily quota exceeded',
    matches: (e) => replySays(e, /Throttling failure/i),
    kind: 'transient',
    category: 'throttled',
    hint: "Amazon SES limits this account's sending rate and daily quota in SMART_HOST_REGION (the sandbox allows 1 message a second and 200 a day): mail waits and is retried; lower SENDER_CONCURRENCY or ask for higher limits in the SES console.",
  },
];

/** Our settings at the provider are wrong: hold all mail, never bounce, tell the operator. */
export const PROVIDER_SETTINGS_RULES: readonly ClassificationRule[] = [
  {
    // Before the OAuth2 rows: with SMTP AUTH off, XOAUTH2 fails the same way
    // and no token or app permission can fix it.
    name: 'Microsoft 365: SMTP AUTH disabled',
    matches: (e) => is5xx(e) && replySays(e, /SmtpClientAuthentication is disabled/i),
    kind: 'systemic',
    category: 'auth',
    hint: 'Microsoft 365 has SMTP AUTH disabled for this mailbox or tenant: enable it (Set-CASMailbox <mailbox> -SmtpClientAuthenticationDisabled $false, or Set-TransportConfig -SmtpClientAuthenticationDisabled $false for the tenant); OAuth2 needs it too.',
  },
  {
    // After the 334 challenge and one renewed token the mailbox still refuses:
    // the token is valid but lacks the right to use this mailbox.
    name: 'Microsoft 365: OAuth2 token refused for the mailbox',
    matches: (e) =>
      e.code === 'EAUTH' &&
      commandIs(e, 'AUTH XOAUTH2') &&
      is5xx(e) &&
      replySays(e, /Authentication unsuccessful/i),
    kind: 'systemic',
    category: 'oauth2',
    hint: 'Microsoft 365 refused the OAuth2 token for the mailbox in SMART_HOST_USER: the app needs the Office 365 Exchange Online permission SMTP.SendAsApp with admin consent, a service principal in Exchange (New-ServicePrincipal) with Add-MailboxPermission on that mailbox, SMART_HOST_OAUTH2_SCOPE https://outlook.office365.com/.default, and SMTP AUTH enabled for the mailbox.',
  },
  {
    // Google's replies end in "gsmtp"; a refused token gets 535 5.7.8 BadCredentials.
    name: 'Google: OAuth2 token refused',
    matches: (e) =>
      e.code === 'EAUTH' &&
      commandIs(e, 'AUTH XOAUTH2') &&
      is5xx(e) &&
      replySays(e, /gsmtp|support\.google\.com/i),
    kind: 'systemic',
    category: 'oauth2',
    hint: 'Google refused the OAuth2 token for SMART_HOST_USER: the token needs the scope https://mail.google.com/ (SMART_HOST_OAUTH2_SCOPE), and a service account (SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE) needs domain-wide delegation for that scope in the Google Admin console.',
  },
  {
    // "the request did not meet the criteria", "user is locked by your
    // organization's security defaults policy": Entra ID refused the sign-in.
    name: 'Microsoft 365: sign-in blocked by policy',
    matches: (e) => is5xx(e) && enhancedCode(e) === '5.7.139',
    kind: 'systemic',
    category: 'auth',
    hint: 'Microsoft 365 blocked the sign-in of SMART_HOST_USER by policy (Security defaults, Conditional Access or multi-factor authentication) or because SMTP AUTH is off for the mailbox: exclude that account from the policy and enable SMTP AUTH for it, or switch to OAuth2 (SMART_HOST_OAUTH2_CLIENT_ID and related variables).',
  },
  {
    // Microsoft's reply once Basic authentication for SMTP AUTH is switched off.
    name: 'Microsoft 365: basic authentication not accepted',
    matches: (e) =>
      is5xx(e) &&
      (enhancedCode(e) === '5.7.30' ||
        replySays(e, /Basic authentication is not supported for Client Submission/i)),
    kind: 'systemic',
    category: 'auth',
    hint: 'Microsoft 365 no longer accepts a password for SMTP AUTH in this tenant: switch to OAuth2 with SMART_HOST_OAUTH2_CLIENT_ID, SMART_HOST_OAUTH2_TENANT and SMART_HOST_OAUTH2_CLIENT_SECRET (app-only) or SMART_HOST_OAUTH2_REFRESH_TOKEN, then run npx smtp-relay oauth2 check.',
  },
  {
    name: 'Microsoft 365: user name or password refused',
    matches: (e) =>
      is5xx(e) && enhancedCode(e) === '5.7.3' && replySays(e, /Authentication unsuccessful/i),
    kind: 'systemic',
    category: 'auth',
    hint: 'Microsoft 365 refused the login: check SMART_HOST_USER (the full mailbox address) and SMART_HOST_PASSWORD and that SMTP AUTH is enabled for that mailbox; an account with multi-factor authentication needs OAuth2 (SMART_HOST_OAUTH2_*) instead.',
  },
  {
    // The account has 2-Step Verification: its normal password is refused for SMTP.
    name: 'Google: app password required',
    matches: (e) => is5xx(e) && replySays(e, /Application-specific password required/i),
    kind: 'systemic',
    category: 'auth',
    hint: 'Google wants an app password for SMART_HOST_USER (the account has 2-Step Verification): create one at https://myaccount.google.com/apppasswords and put it in SMART_HOST_PASSWORD without spaces, or switch to OAuth2 (SMART_HOST_OAUTH2_*).',
  },
  {
    name: 'Google: user name or password refused',
    matches: (e) => is5xx(e) && replySays(e, /Username and Password not accepted/i),
    kind: 'systemic',
    category: 'auth',
    hint: "Google refused SMART_HOST_USER and SMART_HOST_PASSWORD: it accepts only an app password (on an account with 2-Step Verification) or OAuth2 (SMART_HOST_OAUTH2_*), never the account's normal password.",
  },
  {
    // SES's own wording, without an enhanced code; Postfix-style servers say
    // "535 5.7.8 Authentication credentials invalid" and stay generic.
    name: 'Amazon SES: SMTP credentials refused',
    matches: (e) => is5xx(e) && replySays(e, /^535 Authentication Credentials Invalid/im),
    kind: 'systemic',
    category: 'auth',
    hint: 'Amazon SES refused SMART_HOST_USER and SMART_HOST_PASSWORD: use SMTP credentials made for SMART_HOST_REGION (SES console, SMTP settings), not an IAM access key and its secret, and make new ones when you change region.',
  },
  {
    // smtp-relay.gmail.com without AUTH accepts only registered IP addresses.
    // The same words come back for an envelope sender outside the Workspace
    // domains, which only that device can fix: the hint names both.
    name: 'Google Workspace SMTP relay: this relay not recognised',
    matches: (e) => is5xx(e) && replySays(e, /Invalid credentials for relay/i),
    kind: 'systemic',
    category: 'auth',
    hint: "smtp-relay.gmail.com did not recognise this relay: register the relay's public IP address in the Google Admin console (Gmail, Routing, SMTP relay service) or require SMTP AUTH there and set SMART_HOST_USER and SMART_HOST_PASSWORD; the envelope sender must also belong to one of your Workspace domains.",
  },
];

/** The provider refuses this message's sender: bounce it, other mail is unaffected. */
export const PROVIDER_MESSAGE_RULES: readonly ClassificationRule[] = [
  {
    // 5.7.60 and 5.2.252 SendAsDenied: the device used a From or envelope
    // sender other than the authenticated mailbox.
    name: 'Microsoft 365: mailbox may not send as this sender',
    matches: (e) =>
      is5xx(e) && replySays(e, /SendAsDenied|does not have permissions to send as this sender/i),
    kind: 'permanent',
    category: 'sender-rejected',
    hint: "The Microsoft 365 mailbox in SMART_HOST_USER may only send as itself: set the device's From and envelope sender to that mailbox (REWRITE_FROM will do it for all mail once available) or grant that mailbox Send As permission for the address the device used.",
  },
  {
    // The failed identity may be the sender or, in the SES sandbox, a recipient.
    name: 'Amazon SES: identity not verified',
    matches: (e) => is5xx(e) && replySays(e, /Email address is not verified/i),
    kind: 'permanent',
    category: 'sender-rejected',
    hint: 'Amazon SES sends only from addresses or domains verified in SMART_HOST_REGION: verify the sender in the SES console; while the account is in the SES sandbox every recipient must be verified too, so request production access.',
  },
];
