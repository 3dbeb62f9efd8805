export {
  checkSmartHost,
  type OAuth2TokenSource,
  type SmartHostCheckOptions,
} from './check-smart-host.ts';
export type {
  DiagnosticStatus,
  DiagnosticStep,
  DiagnosticStepName,
  SmartHostCheckReport,
} from './diagnostic-step.ts';
export { TEST_MESSAGE_SUBJECT } from './test-message.ts';
