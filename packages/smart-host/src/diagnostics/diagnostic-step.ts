import { classifyDeliveryError, type DeliveryFailure } from '@smtp-relay/smtp-errors';

// `npx smtp-relay check-smarthost` reports what it found as values, one per
// step of the path a delivery takes; the command line only formats them. A
// failure says what was seen (`detail`), the likely cause and what to do
// (`cause`) and the one variable to change, so the operator need not know SMTP.

/** The steps, in the order a delivery goes through them. */
export type DiagnosticStepName =
  'config' | 'resolve' | 'connect' | 'greeting' | 'tls' | 'ehlo' | 'auth' | 'login' | 'send';

/** true = passed; 'warn' = works, but probably not as intended; false = mail would not flow. */
export type DiagnosticStatus = boolean | 'warn';

export interface DiagnosticStep {
  readonly step: DiagnosticStepName;
  readonly ok: DiagnosticStatus;
  /** What was found, one line. */
  readonly detail: string;
  /** The likely cause of a failure or warning and what to do about it. */
  readonly cause?: string;
  /** The variable to change. */
  readonly variable?: string;
  /** Facts for `--json` readers (TLS protocol, certificate, capabilities...). */
  readonly facts?: Readonly<Record<string, unknown>>;
}

export interface SmartHostCheckReport {
  /** false when any step failed; warnings leave it true. */
  readonly ok: boolean;
  /** "host:port" once the configuration loaded. */
  readonly smartHost: string | undefined;
  readonly steps: readonly DiagnosticStep[];
}

interface StepExtras {
  readonly cause?: string | undefined;
  readonly variable?: string | undefined;
  readonly facts?: Readonly<Record<string, unknown>> | undefined;
}

function step(
  name: DiagnosticStepName,
  ok: DiagnosticStatus,
  detail: string,
  extras: StepExtras,
): DiagnosticStep {
  return {
    step: name,
    ok,
    detail,
    // Absent, not undefined: the JSON output shows only what applies.
    ...(extras.cause === undefined ? {} : { cause: extras.cause }),
    ...(extras.variable === undefined ? {} : { variable: extras.variable }),
    ...(extras.facts === undefined ? {} : { facts: extras.facts }),
  };
}

export const passed = (
  name: DiagnosticStepName,
  detail: string,
  facts?: Readonly<Record<string, unknown>>,
): DiagnosticStep => step(name, true, detail, { facts });

export const warned = (
  name: DiagnosticStepName,
  detail: string,
  extras: StepExtras = {},
): DiagnosticStep => step(name, 'warn', detail, extras);

export const failed = (
  name: DiagnosticStepName,
  detail: string,
  extras: StepExtras = {},
): DiagnosticStep => step(name, false, detail, extras);

/** An error's code and message as one short line ("ECONNREFUSED: connect ..."). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  // OpenSSL's message is its whole error queue with source paths; `reason` is the readable part.
  const message = typeof reason === 'string' ? reason : error.message.replace(/\s+/g, ' ').trim();
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

export function errorCode(error: unknown): string | undefined {
  const { code } = (error ?? {}) as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}

/** The fields of a nodemailer (or OAuth2) error that classification reads. */
export interface SmartHostErrorFields {
  readonly message?: string;
  readonly code?: string;
  readonly originalCode?: string;
  readonly responseCode?: number;
  readonly command?: string;
  readonly response?: string;
}

/** A failed step's error, as the sender's classification table sees it (for its hint). */
export function classifyStepError(error: unknown): {
  readonly fields: SmartHostErrorFields;
  readonly classified: DeliveryFailure;
} {
  const fields = error as SmartHostErrorFields;
  const classified = classifyDeliveryError({
    message: fields.message ?? String(error),
    code: fields.code,
    originalCode: fields.originalCode,
    responseCode: fields.responseCode,
    command: fields.command,
    response: fields.response,
  });
  return { fields, classified };
}
