import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type tls from 'node:tls';
import { tlsFloorOptions, type TlsFloorOptions } from '../src/tls-floor.ts';

describe('tlsFloorOptions', () => {
  const rows: readonly [tls.SecureVersion, TlsFloorOptions][] = [
    ['TLSv1.3', { minVersion: 'TLSv1.3' }],
    ['TLSv1.2', { minVersion: 'TLSv1.2' }],
    // Old printers: OpenSSL 3's security level 1 would refuse them anyway.
    ['TLSv1.1', { minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }],
    ['TLSv1', { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }],
  ];
  for (const [version, expected] of rows) {
    it(version, () => {
      assert.deepEqual(tlsFloorOptions(version), expected);
    });
  }
});
