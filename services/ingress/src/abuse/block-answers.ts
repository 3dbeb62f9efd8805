import { INGRESS_REPLIES, type SmtpReply } from '@smtp-relay/smtp-errors';
import type { BlockReason } from '@smtp-relay/store';

/** What a blocked address hears, at connect and at AUTH (whose password is then never checked). */
export interface BlockAnswer {
  /** The reply before the greeting; undefined: the connection is let in. */
  readonly connect: SmtpReply | undefined;
  readonly auth: SmtpReply;
}

const REFUSED: BlockAnswer = {
  connect: INGRESS_REPLIES.clientBlocked,
  auth: INGRESS_REPLIES.clientBlocked,
};

/**
 * By why the address is blocked and whether the client is in SMTP_RELAY_NETWORKS
 * (docs/adr/008-ingress-abuse-protection.md).
 */
const BLOCK_ANSWERS: Record<BlockReason, { trusted: BlockAnswer; untrusted: BlockAnswer }> = {
  auth: {
    // Behind a shared NAT or Docker's proxy gateway one device's wrong password
    // would otherwise cut off every trusted device (printers relaying without AUTH)
    // for SMTP_AUTH_BLOCK_TIME. Trusted relay never needed a password, so it goes
    // on; only logins wait until the block ends, and guessing stays stopped.
    trusted: { connect: undefined, auth: INGRESS_REPLIES.authFromBlockedAddress },
    untrusted: REFUSED,
  },
  // A filter rule with the S flag is the operator naming this traffic: it refuses
  // trusted addresses too, as the rule itself does.
  filter: { trusted: REFUSED, untrusted: REFUSED },
};

export function blockAnswer(reason: BlockReason, trusted: boolean): BlockAnswer {
  const answers = BLOCK_ANSWERS[reason];
  return trusted ? answers.trusted : answers.untrusted;
}
