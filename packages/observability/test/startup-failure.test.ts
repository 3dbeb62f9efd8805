import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  STARTUP_FAILURE_ROWS,
  explainStartupFailure,
  fileVariables,
  startupSurface,
  type StartupSurface,
} from '../src/startup-failure.ts';

const surface: StartupSurface = startupSurface(
  { smtpPort: 2525, smtpsPort: 4650, adminPort: 8080 },
  {
    SMTP_AUTH_FILE: '/run/secrets/users',
    DKIM_KEYS_DIR: '/etc/dkim/',
    LOG_LEVEL: 'info',
    TLS_CERT_FILE: '',
  },
);

const systemError = (fields: Record<string, unknown>): Error =>
  Object.assign(new Error('system error'), fields);

describe('explainStartupFailure: a row per failure an operator can fix', () => {
  const cases: readonly {
    row: string;
    error: unknown;
    expected: string | undefined;
  }[] = [
    {
      row: 'port in use',
      error: systemError({ code: 'EADDRINUSE', syscall: 'listen', address: '0.0.0.0', port: 2525 }),
      expected:
        'SMTP_PORT=2525: 0.0.0.0:2525 is already in use by another process; stop that process or set SMTP_PORT to a free port',
    },
    {
      row: 'port in use',
      error: systemError({ code: 'EADDRINUSE', syscall: 'listen', address: '::', port: 8080 }),
      expected:
        'ADMIN_PORT=8080: :::8080 is already in use by another process; stop that process or set ADMIN_PORT to a free port',
    },
    {
      row: 'port in use',
      error: systemError({ code: 'EADDRINUSE', syscall: 'listen', address: '0.0.0.0', port: 4650 }),
      expected:
        'SMTPS_PORT=4650: 0.0.0.0:4650 is already in use by another process; stop that process or set SMTPS_PORT to a free port',
    },
    {
      row: 'privileged port',
      error: systemError({ code: 'EACCES', syscall: 'listen', address: '0.0.0.0', port: 2525 }),
      expected:
        'SMTP_PORT=2525: this process may not listen on 0.0.0.0:2525 (ports below 1024 need root or CAP_NET_BIND_SERVICE); set SMTP_PORT to 1024 or above and map the port outside',
    },
    {
      row: 'address not on this machine',
      error: systemError({
        code: 'EADDRNOTAVAIL',
        syscall: 'listen',
        address: '10.9.9.9',
        port: 2525,
      }),
      expected:
        'SMTP_HOST=10.9.9.9: this machine has no such address to listen on; set SMTP_HOST to one of its addresses (or 0.0.0.0)',
    },
    {
      row: 'Redis refuses the login',
      error: new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      expected:
        'REDIS_URL: Redis refused the login (WRONGPASS invalid username-password pair or user is disabled.); set the user and password Redis expects in REDIS_URL (redis://user:password@host:port) or REDIS_PASSWORD',
    },
    {
      row: 'Redis refuses the login',
      error: new Error('NOAUTH Authentication required.'),
      expected:
        'REDIS_URL: Redis refused the login (NOAUTH Authentication required.); set the user and password Redis expects in REDIS_URL (redis://user:password@host:port) or REDIS_PASSWORD',
    },
    {
      row: 'unreadable file',
      error: systemError({ code: 'EACCES', syscall: 'open', path: '/run/secrets/users' }),
      expected:
        'SMTP_AUTH_FILE: "/run/secrets/users" is not readable by this process (check its owner and mode; the image runs as uid 1000)',
    },
    {
      row: 'unreadable file',
      error: systemError({ code: 'ENOENT', syscall: 'open', path: '/etc/dkim/example.com.pem' }),
      expected: 'DKIM_KEYS_DIR: "/etc/dkim/example.com.pem" does not exist',
    },
    {
      row: 'unreadable file',
      error: systemError({ code: 'EISDIR', syscall: 'read', path: '/run/secrets/users' }),
      expected: 'SMTP_AUTH_FILE: "/run/secrets/users" is a directory, not a file',
    },
    // Not ours to explain: the crash handler logs them with their stack.
    {
      row: 'none (a port no variable names)',
      error: systemError({ code: 'EADDRINUSE', syscall: 'listen', address: '0.0.0.0', port: 9 }),
      expected: undefined,
    },
    {
      row: 'none (a file no variable names)',
      error: systemError({ code: 'ENOENT', syscall: 'open', path: '/etc/passwd-' }),
      expected: undefined,
    },
    { row: 'none (a bug)', error: new TypeError('x is not a function'), expected: undefined },
    { row: 'none (not an Error)', error: 'boom', expected: undefined },
  ];
  for (const { row, error, expected } of cases) {
    it(`${row}: ${error instanceof Error ? error.message : String(error)}`, () => {
      assert.equal(explainStartupFailure(error, surface), expected);
    });
  }

  it('every row has at least one case above', () => {
    const covered = new Set(cases.map((c) => c.row));
    for (const row of STARTUP_FAILURE_ROWS) assert.ok(covered.has(row.name), row.name);
  });
});

describe('fileVariables', () => {
  it('takes the *_FILE and *_DIR variables that are set, without a trailing slash', () => {
    assert.deepEqual(
      fileVariables({ A_FILE: '/a', B_DIR: '/b//', C_FILE: '', D_PORT: '1', E_DIR: undefined }),
      [
        { variable: 'A_FILE', path: '/a' },
        { variable: 'B_DIR', path: '/b' },
      ],
    );
  });
});
