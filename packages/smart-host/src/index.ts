export {
  createSmartHostClient,
  readWholeBody,
  type MessageBody,
  type RecipientRefusal,
  type SmartHostClient,
  type SmartHostClientOptions,
  type SmartHostEnvelope,
  type SmartHostError,
  type SmartHostSendOptions,
  type SmartHostSendResult,
} from './smart-host-client.ts';
export * from './failover/index.ts';
export { chooseMechanism, offeredMechanisms, type MechanismChoice } from './auth-mechanism.ts';
export * from './oauth2/index.ts';
export * from './pop3/index.ts';
export { loginWithXOAuth2, xoauth2InitialResponse } from './xoauth2-login.ts';
export * from './diagnostics/index.ts';
export * from './dkim/index.ts';
export * from './route-limits/index.ts';
