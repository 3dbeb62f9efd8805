import type { SMTPServerAuthentication } from 'smtp-server';
import { AUTH_FAILED, AUTH_SUCCEEDED, isRefusal } from './replies.ts';
import type {
  FakeSmartHostAuth,
  FakeSmartHostAuthMethod,
  FakeSmartHostScript,
  ScriptedReply,
} from './types.ts';

/**
 * The error challenge Gmail sends for a refused XOAUTH2 token (Google's "OAuth 2.0
 * Mechanism" document); the client answers with an empty line and gets 535.
 */
const XOAUTH2_ERROR_CHALLENGE = {
  status: '401',
  schemes: 'bearer',
  scope: 'https://mail.google.com/',
} as const;

/** What the fake host answers to one AUTH attempt, decided before any delay. */
export type AuthDecision =
  | { kind: 'accept'; reply: ScriptedReply }
  | { kind: 'refuse'; reply: ScriptedReply }
  /** XOAUTH2 only: `reply` is the 334 challenge carrying `data`. */
  | { kind: 'challenge'; reply: ScriptedReply; data: object };

export function defaultAuthMethods(auth: FakeSmartHostAuth): FakeSmartHostAuthMethod[] {
  const methods: FakeSmartHostAuthMethod[] = ['PLAIN', 'LOGIN', 'CRAM-MD5'];
  return auth.xoauth2 === undefined ? methods : [...methods, 'XOAUTH2'];
}

function credentialsValid(auth: SMTPServerAuthentication, expected: FakeSmartHostAuth): boolean {
  const { username, password } = expected;
  if (username === undefined || password === undefined || auth.username !== username) return false;
  return auth.method === 'CRAM-MD5' ? auth.validatePassword(password) : auth.password === password;
}

/** A scripted refusal first, then the mechanism's own check. */
export function decideAuth(
  auth: SMTPServerAuthentication,
  expected: FakeSmartHostAuth | undefined,
  script: FakeSmartHostScript,
): AuthDecision {
  const scripted = script.auth?.(auth.username ?? '', auth.method);
  if (scripted !== undefined && isRefusal(scripted)) return { kind: 'refuse', reply: scripted };
  if (auth.method === 'XOAUTH2') {
    const valid = expected?.xoauth2?.(auth.username ?? '', auth.accessToken ?? '') === true;
    if (valid) return { kind: 'accept', reply: AUTH_SUCCEEDED };
    const data = XOAUTH2_ERROR_CHALLENGE;
    const challenge = Buffer.from(JSON.stringify(data)).toString('base64');
    return { kind: 'challenge', reply: { code: 334, message: challenge }, data };
  }
  const valid = expected !== undefined && credentialsValid(auth, expected);
  return valid ? { kind: 'accept', reply: AUTH_SUCCEEDED } : { kind: 'refuse', reply: AUTH_FAILED };
}
