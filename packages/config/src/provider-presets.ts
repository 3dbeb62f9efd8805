import type { OAuth2Provider, SmartHostProvider, SmartHostTlsMode } from './types.ts';

// SMART_HOST_PROVIDER presets (docs/reference.md "Provider presets"): defaults only; every
// variable set explicitly wins. Hosts, ports and limits are the providers'
// documented values (README "Smart host recipes" has the set-up steps).

export interface ProviderPreset {
  /** The host, given the region (ses, mailgun); undefined when the region is missing or unknown. */
  readonly host: (region: string | undefined) => string | undefined;
  readonly port: number;
  readonly tls: SmartHostTlsMode;
  readonly oauth2Provider: OAuth2Provider | undefined;
  /** SMART_HOST_USER default where the provider fixes the name (SendGrid: "apikey"). */
  readonly user?: string;
  /** What SMART_HOST_REGION may be; undefined = the provider has no regions. */
  readonly regions?: {
    readonly pattern: RegExp;
    readonly example: string;
    readonly default?: string;
  };
  /** Ports the provider does not serve, with the reason shown to the operator. */
  readonly refusedPorts?: ReadonlyMap<number, string>;
  /**
   * The provider's documented sending limits: the SMART_HOST_RATE and
   * SMART_HOST_RECIPIENT_RATE defaults, written as those variables are.
   */
  readonly rate?: string;
  readonly recipientRate?: string;
}

const fixedHost = (host: string) => () => host;

export const PROVIDER_PRESETS: Readonly<Record<SmartHostProvider, ProviderPreset>> = {
  // Exchange Online: 30 messages a minute and 10,000 recipients a day per mailbox.
  m365: {
    host: fixedHost('smtp.office365.com'),
    port: 587,
    tls: 'starttls',
    oauth2Provider: 'microsoft',
    rate: '30/1m',
    recipientRate: '10000/1d',
  },
  // Google Workspace: 2,000 messages a day through smtp.gmail.com.
  gmail: {
    host: fixedHost('smtp.gmail.com'),
    port: 465,
    tls: 'implicit',
    oauth2Provider: 'google',
    rate: '2000/1d',
  },
  // Workspace SMTP relay service: with TLS on 587; usually the relay's IP is registered (no AUTH).
  // 10,000 messages and 10,000 recipients per user (envelope sender) in 24 hours.
  'google-relay': {
    host: fixedHost('smtp-relay.gmail.com'),
    port: 587,
    tls: 'starttls',
    oauth2Provider: 'google',
    rate: '10000/1d',
    recipientRate: '10000/1d',
  },
  // SES: the sending quota and rate belong to the account (and its sandbox state), so no default.
  ses: {
    host: (region) => (region === undefined ? undefined : `email-smtp.${region}.amazonaws.com`),
    port: 587,
    tls: 'starttls',
    oauth2Provider: undefined,
    regions: { pattern: /^[a-z]{2}(?:-[a-z]+)+-\d$/, example: 'eu-west-1' },
  },
  sendgrid: {
    host: fixedHost('smtp.sendgrid.net'),
    port: 587,
    tls: 'starttls',
    oauth2Provider: undefined,
    user: 'apikey',
  },
  mailgun: {
    host: (region) =>
      region === 'eu' ? 'smtp.eu.mailgun.org' : region === 'us' ? 'smtp.mailgun.org' : undefined,
    port: 587,
    tls: 'starttls',
    oauth2Provider: undefined,
    regions: { pattern: /^(?:us|eu)$/, example: 'eu', default: 'us' },
  },
  postmark: {
    host: fixedHost('smtp.postmarkapp.com'),
    port: 587,
    tls: 'starttls',
    oauth2Provider: undefined,
    refusedPorts: new Map([[465, 'Postmark offers no implicit TLS; use 587 or 2525 (STARTTLS)']]),
  },
};

export const SMART_HOST_PROVIDERS = Object.keys(PROVIDER_PRESETS) as SmartHostProvider[];

/** The region a preset uses: the one given, else its default. */
export function presetRegion(
  preset: ProviderPreset,
  region: string | undefined,
): string | undefined {
  return region ?? preset.regions?.default;
}
