export { startFakeSmartHost, type FakeSmartHost } from './fake-smart-host.ts';
export { REJECTED_RECIPIENT, TEMPFAIL_RECIPIENT, conventionalRecipientReply } from './replies.ts';
export type * from './types.ts';
