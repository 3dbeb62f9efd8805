import { classifyDeliveryError } from '@smtp-relay/smtp-errors';
import type { RecipientFailure } from '../../src/deliver.ts';

// Failures as the smart host's replies classify, for the tests of what each decides.

export const noSuchUser = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 550,
  command: 'RCPT TO',
  response: '550 5.1.1 No such user',
  message: 'Recipient command failed',
});
export const greylisted = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 451,
  command: 'RCPT TO',
  response: '451 4.7.1 Greylisted',
  message: 'Recipient command failed',
});
export const connectionRefused = classifyDeliveryError({
  code: 'ESOCKET',
  command: 'CONN',
  message: 'connect ECONNREFUSED 127.0.0.1:2526',
});
export const badCredentials = classifyDeliveryError({
  code: 'EAUTH',
  responseCode: 535,
  command: 'AUTH PLAIN',
  response: '535 5.7.8 Error: authentication failed',
  message: 'Invalid login',
});

// A smart host that says "slower": a rate at MAIL, a cap on connections at the greeting.
export const throttled = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 421,
  command: 'MAIL FROM',
  response: '421 4.7.0 Too many messages, slow down',
  message: 'Mail command failed',
});
export const rateAtRcpt = classifyDeliveryError({
  code: 'EENVELOPE',
  responseCode: 452,
  command: 'RCPT TO',
  response: '452 4.7.0 Rate limit exceeded, try again later',
  message: 'Recipient command failed',
});
export const tooManyConnections = classifyDeliveryError({
  code: 'EPROTOCOL',
  responseCode: 421,
  command: 'CONN',
  response: '421 4.7.0 Error: too many connections from 192.0.2.7',
  message: 'Invalid greeting',
});

export const bouncedBob: RecipientFailure = { recipient: 'bob@example.com', failure: noSuchUser };
export const deferredCarol: RecipientFailure = {
  recipient: 'carol@example.com',
  failure: greylisted,
};
