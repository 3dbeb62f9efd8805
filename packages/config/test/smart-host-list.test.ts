import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findConfigWarnings,
  formatConfig,
  loadSenderConfig,
  type Environment,
  type SmartHostEndpoint,
} from '../src/index.ts';
import { parseSmartHostList, type SmartHostEntry } from '../src/smart-host-list.ts';
import { HOST, itReads, itRefuses, problemsOf } from './parse-tables.ts';

// docs/reference.md "Failover, routes and rate limits": SMART_HOST as an ordered list.

describe('parseSmartHostList', () => {
  const VALID: readonly (readonly [string, readonly SmartHostEntry[]])[] = [
    ['smtp.example.com', [{ host: 'smtp.example.com', port: undefined }]],
    [
      'primary.example:587,backup.example:465',
      [
        { host: 'primary.example', port: 587 },
        { host: 'backup.example', port: 465 },
      ],
    ],
    [
      ' primary.example , backup.example:2525 ',
      [
        { host: 'primary.example', port: undefined },
        { host: 'backup.example', port: 2525 },
      ],
    ],
    ['a.example,', [{ host: 'a.example', port: undefined }]],
    ['[::1]:2525', [{ host: '::1', port: 2525 }]],
    ['[2001:db8::1]', [{ host: '2001:db8::1', port: undefined }]],
    ['2001:db8::1', [{ host: '2001:db8::1', port: undefined }]],
    ['192.0.2.7:25', [{ host: '192.0.2.7', port: 25 }]],
    ['mail_relay:1025', [{ host: 'mail_relay', port: 1025 }]],
  ];
  itReads(VALID, parseSmartHostList);

  const INVALID: readonly (readonly [string, readonly string[]])[] = [
    [
      ',',
      ['must name a host, such as mail.example.com, mail.example.com:465 or [2001:db8::1]:587'],
    ],
    ['a.example:smtp', ['entry "a.example:smtp": must be a port number 1-65535, got "smtp"']],
    ['a.example:0', ['entry "a.example:0": must be a port number 1-65535, got "0"']],
    [
      'good.example, bad host:25, x.example:99999',
      [
        'entry "bad host:25": must be a host name or IP address, got "bad host"',
        'entry "x.example:99999": must be a port number 1-65535, got "99999"',
      ],
    ],
    [
      '[mail.example]:25',
      ['entry "[mail.example]:25": only an IPv6 address goes in brackets, got "mail.example"'],
    ],
    [
      'fe80::1:x',
      [
        'entry "fe80::1:x": must be host or host:port, an IPv6 address in brackets to add a port, such as mail.example.com, mail.example.com:465 or [2001:db8::1]:587',
      ],
    ],
    [
      'smtp://mail.example',
      [
        'entry "smtp://mail.example": give the host without a scheme, such as mail.example.com, mail.example.com:465 or [2001:db8::1]:587',
      ],
    ],
  ];
  itRefuses(INVALID, parseSmartHostList);
});

describe('SMART_HOST entries: port and TLS mode of each', () => {
  // One row per rule of smartHostEndpoints (build-smart-host.ts).
  const ROWS: readonly (readonly [string, Environment, readonly SmartHostEndpoint[]])[] = [
    [
      'ports from the entries, TLS by the port rule',
      { SMART_HOST: 'primary.example:587,backup.example:465' },
      [
        { host: 'primary.example', port: 587, tls: 'starttls' },
        { host: 'backup.example', port: 465, tls: 'implicit' },
      ],
    ],
    [
      'an entry without a port takes SMART_HOST_PORT',
      { SMART_HOST: 'a.example,b.example:25', SMART_HOST_PORT: '465' },
      [
        { host: 'a.example', port: 465, tls: 'implicit' },
        { host: 'b.example', port: 25, tls: 'starttls' },
      ],
    ],
    [
      'else 587 with STARTTLS',
      { SMART_HOST: 'a.example,b.example' },
      [
        { host: 'a.example', port: 587, tls: 'starttls' },
        { host: 'b.example', port: 587, tls: 'starttls' },
      ],
    ],
    [
      "else the preset's port and mode",
      { SMART_HOST_PROVIDER: 'gmail', SMART_HOST: 'smtp.gmail.com,backup.example:587' },
      [
        { host: 'smtp.gmail.com', port: 465, tls: 'implicit' },
        { host: 'backup.example', port: 587, tls: 'starttls' },
      ],
    ],
    [
      'SMART_HOST_TLS wins for every entry',
      { SMART_HOST: 'a.example:465,b.example:2525', SMART_HOST_TLS: 'none' },
      [
        { host: 'a.example', port: 465, tls: 'none' },
        { host: 'b.example', port: 2525, tls: 'none' },
      ],
    ],
    [
      "without SMART_HOST: the preset's host alone",
      { SMART_HOST_PROVIDER: 'm365' },
      [{ host: 'smtp.office365.com', port: 587, tls: 'starttls' }],
    ],
    [
      'without SMART_HOST and preset: the demo smart host in plain text',
      { DEMO_SMART_HOST: 'mailpit:1025' },
      [{ host: 'mailpit', port: 1025, tls: 'none' }],
    ],
    [
      'an IPv6 address',
      { SMART_HOST: '[2001:db8::25]:2525' },
      [{ host: '2001:db8::25', port: 2525, tls: 'starttls' }],
    ],
  ];
  for (const [title, env, hosts] of ROWS) {
    it(title, () => {
      const { smartHost } = loadSenderConfig(env, HOST);
      assert.deepEqual(smartHost.hosts, hosts);
      const [first] = hosts;
      assert.deepEqual(
        { host: smartHost.host, port: smartHost.port, tls: smartHost.tls },
        first,
        'host, port and tls are the first entry',
      );
    });
  }

  const PROBLEMS: readonly (readonly [string, Environment, readonly string[]])[] = [
    [
      'one host twice',
      { SMART_HOST: 'a.example, A.example:587' },
      ['SMART_HOST: lists a.example:587 twice'],
    ],
    [
      'a port the preset refuses, in an entry',
      {
        SMART_HOST_PROVIDER: 'postmark',
        SMART_HOST: 'smtp.postmarkapp.com:465',
        SMART_HOST_USER: 'token',
        SMART_HOST_PASSWORD: 'token',
      },
      [
        'SMART_HOST: entry "smtp.postmarkapp.com:465": Postmark offers no implicit TLS; use 587 or 2525 (STARTTLS)',
      ],
    ],
  ];
  for (const [title, env, problems] of PROBLEMS) {
    it(`refuses ${title}`, () => {
      assert.deepEqual(problemsOf(env), problems);
    });
  }

  it('config prints several hosts as SMART_HOST lists them', () => {
    const text = formatConfig(
      loadSenderConfig({ SMART_HOST: 'a.example, [2001:db8::1]:465' }, HOST),
    );
    assert.match(text, /^SMART_HOST=a\.example:587,\[2001:db8::1\]:465$/m);
    assert.match(text, /^SMART_HOST_PORT=587$/m);
  });

  const WARNINGS: readonly (readonly [string, Environment, readonly string[]])[] = [
    [
      'a TLS mode that does not fit one entry',
      { SMART_HOST: 'a.example:587,b.example:465', SMART_HOST_TLS: 'starttls' },
      ['SMART_HOST_TLS: starttls on b.example:465, which normally speaks implicit TLS'],
    ],
    [
      'SMART_HOST_PORT that no entry uses',
      { SMART_HOST: 'a.example:2525,b.example:2525', SMART_HOST_PORT: '587' },
      ['SMART_HOST_PORT: has no effect: every SMART_HOST entry has its own port'],
    ],
    [
      'nothing when one entry uses SMART_HOST_PORT',
      { SMART_HOST: 'a.example:2525,b.example', SMART_HOST_PORT: '2526' },
      [],
    ],
  ];
  for (const [title, env, warnings] of WARNINGS) {
    it(`warns: ${title}`, () => {
      assert.deepEqual(findConfigWarnings(env, loadSenderConfig(env, HOST)), warnings);
    });
  }
});
