export type * from './types.ts';
export { DEFAULT_ROUTE_NAME } from './types.ts';
export { ConfigError, formatProblems, InvalidValueError } from './errors.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { parseSize, formatSize } from './size.ts';
export {
  MAX_COOLDOWN_MS,
  VARIABLES,
  type Variable,
  type VariableName,
  type VariableSection,
} from './variables.ts';
export { formatSendingRate, parseSendingRate, NO_RATE_LIMIT } from './sending-rate.ts';
export { formatHostAndPort } from './smart-host-list.ts';
export { loadRoutesFile } from './routes/load-routes-file.ts';
export type { VariableDefault } from './env-fields.ts';
export { SECRET_SUFFIXES, FILE_SUFFIX, isSecretName } from './secret-names.ts';
export {
  commonSchema,
  ingressSchema,
  senderSchema,
  allInOneSchema,
  type CommonFields,
  type IngressFields,
  type SenderFields,
  type AllInOneFields,
} from './schemas.ts';
export type { Environment } from './environment.ts';
export {
  loadIngressConfig,
  loadSenderConfig,
  loadAllInOneConfig,
  type LoadOptions,
} from './load.ts';
export { formatConfig, formatConfigJson } from './format-config.ts';
export { PROVIDER_PRESETS, SMART_HOST_PROVIDERS, type ProviderPreset } from './provider-presets.ts';
export {
  defaultScope,
  defaultTokenUrl,
  readServiceAccountKey,
  type ServiceAccountKey,
} from './oauth2-values.ts';
export { DEFAULT_TENANT } from './build-smart-host.ts';
export { readVariableTexts } from './environment.ts';
export { redactSecrets, redactUrlCredentials } from './redact.ts';
export { findConfigWarnings } from './warnings.ts';
export { readDefaultGateway } from './default-gateway.ts';
export { loadOrExit } from './load-or-exit.ts';
export { renderConfigurationReference, renderEnvExample } from './documentation.ts';
