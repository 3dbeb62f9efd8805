import type { SmartHostError } from '../smart-host-client.ts';

/** Where a POP3 login stopped: `CONN` covers connect, TLS handshake and greeting. */
export type Pop3Command = 'CONN' | 'STLS' | 'USER' | 'PASS';

/**
 * A failed POP3 login, shaped like the smart-host client's errors so that
 * delivery-classification.ts (`EPOP3`: systemic) reads it. `response` is the
 * server's -ERR line when it refused; the password is in no field.
 */
export interface Pop3Error extends SmartHostError {
  code: 'EPOP3';
  command: Pop3Command;
}

export function pop3Error(
  command: Pop3Command,
  message: string,
  details: { readonly response?: string; readonly cause?: unknown } = {},
): Pop3Error {
  const error = new Error(message, { cause: details.cause });
  return Object.assign(error, {
    code: 'EPOP3' as const,
    command,
    ...(details.response === undefined ? {} : { response: details.response }),
  });
}

export function isPop3Error(error: unknown): error is Pop3Error {
  return error instanceof Error && (error as Partial<Pop3Error>).code === 'EPOP3';
}
