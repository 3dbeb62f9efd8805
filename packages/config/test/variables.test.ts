import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  VARIABLES,
  allInOneSchema,
  commonSchema,
  ingressSchema,
  senderSchema,
} from '../src/index.ts';

// The documented variables (README "Configuration"), in their order. A variable added
// to the contract must be added here and to the table.
const SPEC_NAMES = [
  'REDIS_URL',
  // docker-compose.yml's Redis password, from a secret (compose only: see docs/adr/001)
  'REDIS_PASSWORD',
  // Redis high availability: TLS CAs and Sentinel
  'REDIS_CA_FILE',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_MASTER',
  'REDIS_SENTINEL_PASSWORD',
  'QUEUE_PREFIX',
  'LOG_LEVEL',
  'ADMIN_HOST',
  'ADMIN_PORT',
  'ADMIN_TOKEN',
  'SMTP_HOST',
  'SMTP_PORT',
  'SMTPS_PORT',
  'SMTP_HOSTNAME',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'SMTP_AUTH_FILE',
  // sender address rules per SMTP AUTH user
  'SMTP_SENDERS_FILE',
  'SMTP_ALLOW_INSECURE_AUTH',
  'SMTP_RELAY_NETWORKS',
  // where docker-compose.yml publishes SMTP (compose only: see docs/adr/001)
  'SMTP_PUBLISHED_ON',
  'SMTP_MAX_MESSAGE_SIZE',
  'SMTP_MAX_RECIPIENTS',
  'SMTP_MAX_CLIENTS',
  'SMTP_SOCKET_TIMEOUT',
  'REDIS_WAIT_REPLICAS',
  'SMART_HOST',
  'SMART_HOST_PORT',
  'SMART_HOST_TLS',
  'SMART_HOST_USER',
  'SMART_HOST_PASSWORD',
  'SMART_HOST_AUTH_METHODS',
  'SMART_HOST_CA_FILE',
  'SMART_HOST_TLS_VERIFY',
  'HELO_NAME',
  'SENDER_CONCURRENCY',
  'SMTP_CLIENT_TIMEOUT',
  'RETRY_DELAYS',
  'MAX_QUEUE_LIFETIME',
  'FAILED_RETENTION',
  'POSTMASTER',
  'BOUNCE_TEMPLATE_FILE',
  // sender address rewriting (Microsoft 365 SendAsDenied)
  'REWRITE_FROM',
  // DKIM signing of relayed mail
  'DKIM_KEYS_DIR',
  // OAuth2 to the smart host, provider presets
  'SMART_HOST_OAUTH2_PROVIDER',
  'SMART_HOST_OAUTH2_TENANT',
  'SMART_HOST_OAUTH2_TOKEN_URL',
  'SMART_HOST_OAUTH2_CLIENT_ID',
  'SMART_HOST_OAUTH2_CLIENT_SECRET',
  'SMART_HOST_OAUTH2_REFRESH_TOKEN',
  'SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE',
  'SMART_HOST_OAUTH2_SCOPE',
  'SMART_HOST_PROVIDER',
  'SMART_HOST_REGION',
  // docker-compose.yml's capture smart host (compose only: see docs/adr/007)
  'DEMO_SMART_HOST',
  // POP3 before SMTP (Mercury's "authenticate via prior POP3 connection")
  'SMART_HOST_POP3_HOST',
  'SMART_HOST_POP3_PORT',
  'SMART_HOST_POP3_TLS',
  'SMART_HOST_POP3_INTERVAL',
  // failover over several smart hosts, routes and rate limits
  'SMART_HOST_COOLDOWN',
  'SMART_HOST_RATE',
  'SMART_HOST_RECIPIENT_RATE',
  'SMART_HOST_ROUTES_FILE',
  // transaction filter rules, abuse protection, session transcripts
  'SMTP_FILTER_FILE',
  'SMTP_FILTER_BLOCK_TIME',
  'SMTP_AUTH_MAX_FAILURES',
  'SMTP_AUTH_FAILURE_WINDOW',
  'SMTP_AUTH_BLOCK_TIME',
  'SMTP_MAX_CLIENTS_PER_IP',
  'SMTP_GREETING_DELAY',
  'SMTP_TLS_MIN_VERSION',
  'SMTP_PROXY_PROTOCOL',
  'SMTP_PROXY_TRUSTED',
  'SMTP_TRANSCRIPT_DIR',
  'SMART_HOST_TRANSCRIPT_DIR',
  'TRANSCRIPT_RETENTION',
  // message history
  'HISTORY_RETENTION',
  'HISTORY_MAX_MESSAGES',
];

describe('VARIABLES', () => {
  it('lists every documented variable once, in order', () => {
    assert.deepEqual(
      VARIABLES.map(({ name }) => name),
      SPEC_NAMES,
    );
  });

  it('marks exactly the *_PASSWORD/_SECRET/_TOKEN variables secret', () => {
    assert.deepEqual(
      VARIABLES.filter(({ secret }) => secret).map(({ name }) => name),
      [
        'REDIS_PASSWORD',
        'REDIS_SENTINEL_PASSWORD',
        'ADMIN_TOKEN',
        'SMART_HOST_PASSWORD',
        'SMART_HOST_OAUTH2_CLIENT_SECRET',
        'SMART_HOST_OAUTH2_REFRESH_TOKEN',
      ],
    );
  });

  it('is frozen', () => {
    assert.ok(Object.isFrozen(VARIABLES));
    assert.ok(VARIABLES.every((variable) => Object.isFrozen(variable)));
  });

  it('documents every variable in one line', () => {
    for (const { name, doc } of VARIABLES) {
      assert.ok(doc.length > 0 && !doc.includes('\n'), name);
    }
  });

  for (const variable of VARIABLES) {
    const { name, default: fallback, schema } = variable;
    it(`${name}: its schema agrees with its documented default (${fallback.kind})`, () => {
      const unset = schema.safeParse(undefined);
      if (fallback.kind === 'required') {
        assert.equal(unset.success, false);
      } else if (fallback.kind === 'value') {
        assert.ok(unset.success, name);
        assert.deepEqual(unset.data, schema.parse(fallback.text));
      } else if (name !== 'SMTP_HOSTNAME') {
        // derived or unset: undefined, filled in (or left off) by the loader
        assert.deepEqual(unset, { success: true, data: undefined });
      }
    });
  }
});

describe('schemas per service', () => {
  const SECTIONS = [
    ['commonSchema', commonSchema, ['common']],
    ['ingressSchema', ingressSchema, ['common', 'ingress']],
    ['senderSchema', senderSchema, ['common', 'sender']],
    ['allInOneSchema', allInOneSchema, ['common', 'ingress', 'sender']],
  ] as const;
  for (const [title, schema, sections] of SECTIONS) {
    it(`${title} holds the ${sections.join(' + ')} variables`, () => {
      const expected = VARIABLES.filter(({ section }) =>
        (sections as readonly string[]).includes(section),
      ).map(({ name }) => name);
      assert.deepEqual(Object.keys(schema.shape), expected);
    });
  }

  it('validate a whole environment on their own (without *_FILE secrets and cross rules)', () => {
    const result = senderSchema.safeParse({
      SMART_HOST: 'smtp.example.com',
      SMTP_HOSTNAME: 'relay.example.com',
    });
    assert.ok(result.success);
    // The port is derived (SMART_HOST_PROVIDER's preset, else 587) by the loader.
    assert.equal(result.data.SMART_HOST_PORT, undefined);
    assert.deepEqual(result.data.RETRY_DELAYS.length, 7);
  });
});
