import type { RouteConfig, SmartHostConfig } from '@smtp-relay/config';

/** A smart host block as the configuration builds it; what the sender's routing tests never read. */
export const SOME_SMART_HOST: SmartHostConfig = {
  provider: undefined,
  region: undefined,
  demo: false,
  host: 'smtp.example.net',
  port: 587,
  tls: 'starttls',
  hosts: [{ host: 'smtp.example.net', port: 587, tls: 'starttls' }],
  cooldownMs: 30_000,
  rate: undefined,
  recipientRate: undefined,
  user: undefined,
  password: undefined,
  oauth2: undefined,
  authMethods: undefined,
  caFile: undefined,
  tlsVerify: true,
};

/** A route of SMART_HOST_ROUTES_FILE as the configuration builds it. */
export function routeConfig(
  name: string,
  senders: readonly string[],
  users: readonly string[] = [],
): RouteConfig {
  return {
    name,
    match: { senders, users },
    smartHost: SOME_SMART_HOST,
    rewriteFrom: undefined,
    dkimKeysDir: undefined,
  };
}
