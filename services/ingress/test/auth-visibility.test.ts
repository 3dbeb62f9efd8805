import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SMTPServerSession } from 'smtp-server';
import { createAuthVisibility } from '../src/auth-visibility.ts';

/** Only the fields apply() reads and writes. */
function sessionOf(secure: boolean, disabledCommands?: string[]): SMTPServerSession {
  const session = { secure } as SMTPServerSession;
  if (disabledCommands !== undefined) session.disabledCommands = disabledCommands;
  return session;
}

describe('createAuthVisibility', () => {
  const rows: readonly {
    name: string;
    serverDisabledCommands: readonly string[];
    allowInsecureAuth: boolean;
    sessionSecure: boolean;
    secureArgument?: boolean;
    before?: string[];
    expected: readonly string[];
  }[] = [
    {
      name: 'plain text, insecure AUTH off: AUTH disabled',
      serverDisabledCommands: [],
      allowInsecureAuth: false,
      sessionSecure: false,
      expected: ['AUTH'],
    },
    {
      name: 'plain text, insecure AUTH off: AUTH added to the server-wide list',
      serverDisabledCommands: ['HELP', 'VRFY'],
      allowInsecureAuth: false,
      sessionSecure: false,
      expected: ['HELP', 'VRFY', 'AUTH'],
    },
    {
      name: 'plain text, insecure AUTH off, AUTH already disabled server-wide: listed once',
      serverDisabledCommands: ['AUTH', 'HELP'],
      allowInsecureAuth: false,
      sessionSecure: false,
      expected: ['AUTH', 'HELP'],
    },
    {
      name: 'plain text, insecure AUTH on: AUTH offered',
      serverDisabledCommands: [],
      allowInsecureAuth: true,
      sessionSecure: false,
      expected: [],
    },
    {
      name: 'plain text, insecure AUTH on: the server-wide list as is',
      serverDisabledCommands: ['HELP'],
      allowInsecureAuth: true,
      sessionSecure: false,
      expected: ['HELP'],
    },
    {
      name: 'implicit TLS session: the server-wide list',
      serverDisabledCommands: ['HELP'],
      allowInsecureAuth: false,
      sessionSecure: true,
      expected: ['HELP'],
    },
    {
      name: 'implicit TLS session, nothing disabled server-wide',
      serverDisabledCommands: [],
      allowInsecureAuth: false,
      sessionSecure: true,
      expected: [],
    },
    {
      name: 'right after STARTTLS (secure passed, session.secure not yet set): AUTH offered again',
      serverDisabledCommands: ['HELP'],
      allowInsecureAuth: false,
      sessionSecure: false,
      secureArgument: true,
      before: ['HELP', 'AUTH'],
      expected: ['HELP'],
    },
    {
      name: 'secure passed as false wins over session.secure',
      serverDisabledCommands: [],
      allowInsecureAuth: false,
      sessionSecure: true,
      secureArgument: false,
      expected: ['AUTH'],
    },
    {
      name: 'a list set earlier in the session is replaced',
      serverDisabledCommands: ['HELP'],
      allowInsecureAuth: false,
      sessionSecure: false,
      before: ['STARTTLS', 'VRFY'],
      expected: ['HELP', 'AUTH'],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const visibility = createAuthVisibility({
        serverDisabledCommands: row.serverDisabledCommands,
        allowInsecureAuth: row.allowInsecureAuth,
      });
      const session = sessionOf(row.sessionSecure, row.before);
      if (row.secureArgument === undefined) visibility.apply(session);
      else visibility.apply(session, row.secureArgument);
      assert.deepEqual(session.disabledCommands, row.expected);
    });
  }

  it('gives every session its own list', () => {
    const serverDisabledCommands = ['HELP'];
    const visibility = createAuthVisibility({ serverDisabledCommands, allowInsecureAuth: false });
    const plain = sessionOf(false);
    const secure = sessionOf(true);
    visibility.apply(plain);
    visibility.apply(secure);
    plain.disabledCommands?.push('VRFY');
    secure.disabledCommands?.push('EXPN');
    const next = sessionOf(false);
    visibility.apply(next);
    assert.deepEqual(next.disabledCommands, ['HELP', 'AUTH']);
    visibility.apply(next, true);
    assert.deepEqual(next.disabledCommands, ['HELP']);
    assert.deepEqual(serverDisabledCommands, ['HELP']);
  });
});
