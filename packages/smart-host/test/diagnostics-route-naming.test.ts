import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failed } from '../src/diagnostics/diagnostic-step.ts';
import { routeKeyOf, routeNaming } from '../src/diagnostics/route-naming.ts';

// check-smarthost --route NAME: a route's steps name the keys of SMART_HOST_ROUTES_FILE
// (docs/reference.md "Failover, routes and rate limits"), not the SMART_HOST_* variables.

describe('route naming of check-smarthost steps', () => {
  const keys: readonly (readonly [string, string])[] = [
    ['SMART_HOST', 'host'],
    ['SMART_HOST_PORT', 'port'],
    ['SMART_HOST_TLS', 'tls'],
    ['SMART_HOST_TLS_VERIFY', 'tlsVerify'],
    ['SMART_HOST_USER', 'user'],
    ['SMART_HOST_PASSWORD', 'passwordFile'],
    ['SMART_HOST_AUTH_METHODS', 'authMethods'],
    ['SMART_HOST_CA_FILE', 'caFile'],
    ['SMART_HOST_PROVIDER', 'provider'],
    ['SMART_HOST_OAUTH2_CLIENT_ID', 'oauth2.clientId'],
    ['SMART_HOST_OAUTH2_CLIENT_SECRET', 'oauth2.clientSecretFile'],
    ['SMART_HOST_OAUTH2_REFRESH_TOKEN', 'oauth2.refreshTokenFile'],
    ['SMART_HOST_OAUTH2_SERVICE_ACCOUNT_FILE', 'oauth2.serviceAccountFile'],
  ];
  for (const [variable, key] of keys) {
    it(`${variable} -> ${key}`, () => {
      assert.equal(routeKeyOf(variable), key);
    });
  }

  it("a route's step names the key, in the variable and in the text", () => {
    const step = failed('login', 'u was not logged in over SMART_HOST_TLS=none', {
      cause: 'check SMART_HOST_USER and SMART_HOST_PASSWORD, not the SMART_HOST_OAUTH2_* variables',
      variable: 'SMART_HOST_PASSWORD',
    });
    assert.deepEqual(routeNaming(2)(step), {
      step: 'login',
      ok: false,
      detail: 'u was not logged in over tls=none',
      cause: 'check user and passwordFile, not the oauth2 block',
      variable: 'SMART_HOST_ROUTES_FILE: routes[2].smartHost.passwordFile',
    });
  });

  it('variables a route has no key for stay; the default route keeps every name', () => {
    const step = failed('ehlo', 'refused HELO_NAME; see SMART_HOST_ROUTES_FILE', {
      variable: 'HELO_NAME',
    });
    assert.deepEqual(routeNaming(0)(step), step);
    const password = failed('login', 'refused', { variable: 'SMART_HOST_PASSWORD' });
    assert.deepEqual(routeNaming(undefined)(password), password);
  });
});
