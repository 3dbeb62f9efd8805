import type { FakeSmartHostPop3Requirement, ScriptedReply } from './types.ts';

/**
 * What POP-before-SMTP servers answer a client whose address has not logged in to
 * POP3 lately: relaying denied, for good (a relay that let it through would bounce).
 */
const POP3_LOGIN_REQUIRED: ScriptedReply = {
  code: 550,
  message: '5.7.1 Relaying denied: log in to POP3 first',
};

function withoutMappedPrefix(address: string): string {
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** The refusal for MAIL from `remoteAddress`, or undefined when it may relay now. */
export function pop3Refusal(
  requirement: FakeSmartHostPop3Requirement | undefined,
  remoteAddress: string,
  now: number = Date.now(),
): ScriptedReply | undefined {
  if (requirement === undefined) return undefined;
  const address = withoutMappedPrefix(remoteAddress);
  const recent = requirement.server.logins.some(
    (login) =>
      withoutMappedPrefix(login.remoteAddress) === address &&
      now - login.at.getTime() <= requirement.withinMs,
  );
  return recent ? undefined : (requirement.reply ?? POP3_LOGIN_REQUIRED);
}
