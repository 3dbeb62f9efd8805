import { readFile } from 'node:fs/promises';
import {
  DEFAULT_TENANT,
  PROVIDER_PRESETS,
  defaultScope,
  defaultTokenUrl,
  readVariableTexts,
  senderSchema,
  type Environment,
  type OAuth2Provider,
  type SenderFields,
} from '@smtp-relay/config';

// What `oauth2 login` needs from the environment. Not loadSenderConfig: the
// refresh token that login is about to obtain does not exist yet, so the full
// sender configuration is usually not valid at this point. Each variable is
// still checked by the config package's own schema, so the messages match.

type InteractiveProvider = Exclude<OAuth2Provider, 'generic'>;

export interface LoginSettings {
  readonly provider: InteractiveProvider;
  readonly tokenUrl: string;
  readonly clientId: string;
  /** confidential clients (Google "Desktop app" clients have one) */
  readonly clientSecret: string | undefined;
  readonly scope: string;
  /** SMART_HOST_CA_FILE's certificates, added to the system CAs */
  readonly extraCa: Buffer | undefined;
  /** SMART_HOST_USER: which account to suggest at the sign-in page */
  readonly mailbox: string | undefined;
}

export type LoginSettingsResult =
  | { readonly ok: true; readonly settings: LoginSettings }
  | { readonly ok: false; readonly problems: readonly string[] };

type Parsed<K extends keyof SenderFields> =
  | { readonly success: true; readonly data: SenderFields[K] }
  | {
      readonly success: false;
      readonly error: { readonly issues: readonly { message: string }[] };
    };

export async function readLoginSettings(env: Environment): Promise<LoginSettingsResult> {
  const problems: string[] = [];
  function field<K extends keyof SenderFields>(name: K): SenderFields[K] | undefined {
    const text = env[name]?.trim();
    const schema = senderSchema.shape[name] as unknown as { safeParse(input: unknown): Parsed<K> };
    const result = schema.safeParse(text === '' ? undefined : text);
    if (result.success) return result.data;
    for (const issue of result.error.issues) problems.push(`${name}: ${issue.message}`);
    return undefined;
  }
  const preset = field('SMART_HOST_PROVIDER');
  const provider =
    field('SMART_HOST_OAUTH2_PROVIDER') ??
    (preset === undefined ? undefined : PROVIDER_PRESETS[preset].oauth2Provider) ??
    'generic';
  const tenant = field('SMART_HOST_OAUTH2_TENANT') ?? DEFAULT_TENANT;
  const explicitTokenUrl = field('SMART_HOST_OAUTH2_TOKEN_URL');
  const clientId = field('SMART_HOST_OAUTH2_CLIENT_ID');
  const scope = field('SMART_HOST_OAUTH2_SCOPE');
  const caFile = field('SMART_HOST_CA_FILE');
  const mailbox = field('SMART_HOST_USER');
  // NAME or the file NAME_FILE names, exactly as the services read it.
  const secret = readVariableTexts(env, ['SMART_HOST_OAUTH2_CLIENT_SECRET']);
  problems.push(...secret.problems.map(({ variable, message }) => `${variable}: ${message}`));
  const clientSecret = secret.texts['SMART_HOST_OAUTH2_CLIENT_SECRET'];

  if ((env['SMART_HOST_OAUTH2_CLIENT_ID']?.trim() ?? '') === '') {
    problems.push(
      'SMART_HOST_OAUTH2_CLIENT_ID: required: the application (client) id of your app registration',
    );
  }
  if (provider === 'generic') {
    problems.push(
      'SMART_HOST_OAUTH2_PROVIDER: oauth2 login knows the sign-in of microsoft (device code) and google (browser) only; set SMART_HOST_OAUTH2_PROVIDER or SMART_HOST_PROVIDER (m365, gmail)',
    );
  }
  const extraCa = caFile === undefined ? undefined : await readFile(caFile).catch(() => undefined);
  if (caFile !== undefined && extraCa === undefined) {
    problems.push(`SMART_HOST_CA_FILE: ${JSON.stringify(caFile)} cannot be read`);
  }
  if (problems.length > 0 || provider === 'generic' || clientId === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    settings: {
      provider,
      tokenUrl: explicitTokenUrl ?? defaultTokenUrl(provider, tenant) ?? '',
      clientId,
      clientSecret,
      // The documented scope of the delegated (refresh token) grant of each provider.
      scope: scope ?? defaultScope(provider, 'refresh-token') ?? '',
      extraCa,
      mailbox,
    },
  };
}
