import type { SmartHostConfig } from '@smtp-relay/config';

type SingleHostFields = Omit<SmartHostConfig, 'hosts' | 'cooldownMs' | 'rate' | 'recipientRate'>;

/**
 * A one-host SmartHostConfig as the configuration builds it: `hosts` is the one
 * endpoint of `host/port/tls`, the default cool-down, no sending rates.
 */
export function singleHostConfig(fields: SingleHostFields): SmartHostConfig {
  return {
    ...fields,
    hosts: [{ host: fields.host, port: fields.port, tls: fields.tls }],
    cooldownMs: 30_000,
    rate: undefined,
    recipientRate: undefined,
  };
}
