import type { CommonConfig, IngressConfig, SenderConfig } from './types.ts';

// Which service a config is for, read from its shape (an all-in-one config is both).

export function isIngressConfig(config: CommonConfig): config is IngressConfig {
  return 'smtpPort' in config;
}

export function isSenderConfig(config: CommonConfig): config is SenderConfig {
  return 'smartHost' in config;
}
