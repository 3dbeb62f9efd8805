import { InvalidValueError, type Problem } from './errors.ts';
import { keyMatchesCertificate } from './file-values.ts';
import type { IngressFields, SenderFields } from './schemas.ts';

/**
 * A rule between variables. It runs only when every variable in `uses` is valid, so a
 * bad value is reported once (by its own schema), not again as a follow-on problem.
 */
export interface CrossFieldRule<F> {
  readonly uses: readonly (keyof F & string)[];
  readonly check: (fields: F) => readonly Problem[];
}

function ruleOn<F>() {
  return <const K extends keyof F & string>(
    uses: readonly K[],
    check: (fields: Pick<F, K>) => readonly Problem[],
  ): CrossFieldRule<F> => ({ uses, check });
}

function problem(variable: string, message: string): readonly Problem[] {
  return [{ variable, message }];
}

const ingressRule = ruleOn<IngressFields>();
const senderRule = ruleOn<SenderFields>();

export const INGRESS_RULES: readonly CrossFieldRule<IngressFields>[] = [
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
  senderRule(['SMART_HOST_USER', 'SMART_HOST_PASSWORD'], (fields) => {
    if (fields.SMART_HOST_USER !== undefined && fields.SMART_HOST_PASSWORD === undefined) {
      return problem('SMART_HOST_PASSWORD', 'required when SMART_HOST_USER is set');
    }
    if (fields.SMART_HOST_USER === undefined && fields.SMART_HOST_PASSWORD !== undefined) {
      return problem('SMART_HOST_USER', 'required when SMART_HOST_PASSWORD is set');
    }
    return [];
  }),
  senderRule(['SMART_HOST_AUTH_METHODS', 'SMART_HOST_USER'], (fields) =>
    fields.SMART_HOST_AUTH_METHODS !== undefined && fields.SMART_HOST_USER === undefined
      ? problem(
          'SMART_HOST_AUTH_METHODS',
          'has no effect without SMART_HOST_USER and SMART_HOST_PASSWORD',
        )
      : [],
  ),
];
