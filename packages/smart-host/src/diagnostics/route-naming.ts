import { isSecretName } from '@smtp-relay/config';
import type { DiagnosticStep } from './diagnostic-step.ts';

// A route of SMART_HOST_ROUTES_FILE holds the SMART_HOST_* settings as camelCase keys
// (docs/reference.md "Failover, routes and rate limits"): `SMART_HOST_PASSWORD` is its
// smartHost.passwordFile, `SMART_HOST_OAUTH2_CLIENT_ID` its smartHost.oauth2.clientId.
// A step of a route's check names the key to change, as the configuration's own
// warnings about a route do (`SMART_HOST_ROUTES_FILE: routes[1].smartHost.tls: ...`).

// SMART_HOST and SMART_HOST_*, but not the variables a route has no key for.
const SMART_HOST_NAME = /\bSMART_HOST(?:_(?!ROUTES_FILE\b|TRANSCRIPT_DIR\b|POP3_)[A-Z0-9]+)*\b/g;

const camel = (words: readonly string[]): string =>
  words
    .map((word, index) =>
      index === 0 ? word.toLowerCase() : `${word.charAt(0)}${word.slice(1).toLowerCase()}`,
    )
    .join('');

/** `SMART_HOST_CA_FILE` → `caFile`; a secret is set in a route by its file (`passwordFile`). */
export function routeKeyOf(variable: string): string {
  if (variable === 'SMART_HOST') return 'host';
  const words = variable.replace(/^SMART_HOST_/, '').split('_');
  const file = isSecretName(variable) ? 'File' : '';
  return words[0] === 'OAUTH2'
    ? `oauth2.${camel(words.slice(1))}${file}`
    : `${camel(words)}${file}`;
}

function inRouteWords(text: string): string {
  return text
    .replaceAll('the SMART_HOST_OAUTH2_* variables', 'the oauth2 block')
    .replaceAll(SMART_HOST_NAME, routeKeyOf);
}

/** `naming` of a host check: the default route keeps the variables, a route of the file says its keys. */
export function routeNaming(
  routeIndex: number | undefined,
): (step: DiagnosticStep) => DiagnosticStep {
  if (routeIndex === undefined) return (step) => step;
  return (step) => {
    const { variable, cause } = step;
    const named = variable?.match(SMART_HOST_NAME)?.[0] === variable;
    return {
      ...step,
      detail: inRouteWords(step.detail),
      ...(cause === undefined ? {} : { cause: inRouteWords(cause) }),
      ...(variable === undefined || !named
        ? {}
        : {
            variable: `SMART_HOST_ROUTES_FILE: routes[${String(routeIndex)}].smartHost.${routeKeyOf(variable)}`,
          }),
    };
  };
}
