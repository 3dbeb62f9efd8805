import { InvalidValueError } from './errors.ts';
import { keyMatchesCertificate } from './file-values.ts';
import type { IngressFields, SenderFields } from './schemas.ts';
import { problem, ruleOn, type CrossFieldRule } from './cross-field-rule.ts';
import { POP3_RULES } from './pop3-rules.ts';
import { SMART_HOST_RULES } from './smart-host-rules.ts';
import { REDIS_RULES } from './redis-values.ts';
import { TRUST_RULES } from './trust-rules.ts';

export type { CrossFieldRule } from './cross-field-rule.ts';

const ingressRule = ruleOn<IngressFields>();
const senderRule = ruleOn<SenderFields>();

export const INGRESS_RULES: readonly CrossFieldRule<IngressFields>[] = [
  ...REDIS_RULES,
  ...TRUST_RULES,
  ingressRule(['TLS_CERT_FILE', 'TLS_KEY_FILE'], ({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key }) => {
    if (cert !== undefined && key === undefined) {
      return problem('TLS_KEY_FILE', 'required when TLS_CERT_FILE is set');
    }
    if (cert === undefined && key !== undefined) {
      return problem('TLS_CERT_FILE', 'required when TLS_KEY_FILE is set');
    }
    if (cert === undefined || key === undefined) return [];
    try {
      return keyMatchesCertificate(cert, key)
        ? []
        : problem('TLS_KEY_FILE', 'is not the private key of the certificate in TLS_CERT_FILE');
    } catch (error) {
      // Only if a file changed between the checks moments ago.
      if (!(error instanceof InvalidValueError)) throw error;
      return error.reasons.map((message) => ({ variable: 'TLS_KEY_FILE', message }));
    }
  }),
  ingressRule(['SMTPS_PORT', 'TLS_CERT_FILE', 'TLS_KEY_FILE'], (fields) =>
    fields.SMTPS_PORT !== undefined &&
    fields.TLS_CERT_FILE === undefined &&
    fields.TLS_KEY_FILE === undefined
      ? problem(
          'SMTPS_PORT',
          'needs TLS_CERT_FILE and TLS_KEY_FILE (implicit TLS needs a certificate)',
        )
      : [],
  ),
  ingressRule(['SMTP_PORT', 'SMTPS_PORT'], ({ SMTP_PORT, SMTPS_PORT }) =>
    SMTP_PORT === SMTPS_PORT
      ? problem('SMTPS_PORT', `must differ from SMTP_PORT (both are ${SMTP_PORT})`)
      : [],
  ),
  ingressRule(['ADMIN_PORT', 'SMTP_PORT', 'SMTPS_PORT'], (fields) => {
    const clash = (['SMTP_PORT', 'SMTPS_PORT'] as const).find(
      (name) => fields.ADMIN_PORT !== 0 && fields[name] === fields.ADMIN_PORT,
    );
    return clash === undefined
      ? []
      : problem('ADMIN_PORT', `must differ from ${clash} (both are ${fields.ADMIN_PORT})`);
  }),
];

export const SENDER_RULES: readonly CrossFieldRule<SenderFields>[] = [
  ...REDIS_RULES,
  senderRule(['SMART_HOST_AUTH_METHODS', 'SMART_HOST_USER', 'SMART_HOST_PROVIDER'], (fields) =>
    fields.SMART_HOST_AUTH_METHODS !== undefined &&
    fields.SMART_HOST_USER === undefined &&
    fields.SMART_HOST_PROVIDER !== 'sendgrid'
      ? problem(
          'SMART_HOST_AUTH_METHODS',
          'has no effect without SMART_HOST_USER and SMART_HOST_PASSWORD (or OAuth2)',
        )
      : [],
  ),
  ...SMART_HOST_RULES,
  ...POP3_RULES,
];
