export {
  checkSmartHostRoute,
  UnknownRouteError,
  type RouteCheckReport,
  type SmartHostCheckOptions,
} from './check-route.ts';
export type { OAuth2TokenSource, OpenOAuth2Tokens } from './check-smart-host.ts';
export type {
  DiagnosticStatus,
  DiagnosticStep,
  DiagnosticStepName,
  SmartHostCheckReport,
} from './diagnostic-step.ts';
export { TEST_MESSAGE_SUBJECT } from './test-message.ts';
