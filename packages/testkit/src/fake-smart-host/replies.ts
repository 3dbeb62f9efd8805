import type { ScriptedReply } from './types.ts';

export const ACCEPTED: ScriptedReply = { code: 250, message: 'Accepted' };
export const AUTH_SUCCEEDED: ScriptedReply = { code: 235, message: 'Authentication successful' };
export const AUTH_FAILED: ScriptedReply = {
  code: 535,
  message: '5.7.8 Authentication credentials invalid',
};
export const TEMPFAIL_RECIPIENT: ScriptedReply = { code: 451, message: '4.7.1 Try again later' };
export const REJECTED_RECIPIENT: ScriptedReply = { code: 550, message: '5.1.1 No such user' };

export function queuedReply(queueId: string): ScriptedReply {
  return { code: 250, message: `2.0.0 Ok: queued as ${queueId}` };
}

export function isRefusal(reply: ScriptedReply): boolean {
  return reply.code >= 400;
}

/**
 * Built in so tests can mix outcomes in one message without a script: a local part
 * starting with `tempfail` is deferred, one starting with `reject` refused for good.
 */
export function conventionalRecipientReply(address: string): ScriptedReply | undefined {
  const at = address.lastIndexOf('@');
  const localPart = (at === -1 ? address : address.slice(0, at)).toLowerCase();
  if (localPart.startsWith('tempfail')) return TEMPFAIL_RECIPIENT;
  if (localPart.startsWith('reject')) return REJECTED_RECIPIENT;
  return undefined;
}

/** smtp-server turns an Error with `responseCode` into that reply, text unchanged. */
export function toSmtpServerError(reply: ScriptedReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}
