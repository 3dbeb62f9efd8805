import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PROVIDER_PRESETS,
  SMART_HOST_PROVIDERS,
  formatConfig,
  formatSendingRate,
  loadSenderConfig,
  parseSendingRate,
  type Environment,
  type SendingRate,
  type SmartHostConfig,
} from '../src/index.ts';
import { HOST, itReads, itRefuses, problemsOf as loadProblemsOf } from './parse-tables.ts';

// docs/reference.md "Failover, routes and rate limits": SMART_HOST_RATE,
// SMART_HOST_RECIPIENT_RATE (preset defaults, `off`) and SMART_HOST_COOLDOWN.

// What every preset needs besides SMART_HOST_PROVIDER to load.
const LOGIN = { SMART_HOST_USER: 'relay', SMART_HOST_PASSWORD: 'pw' };

function problemsOf(env: Environment): readonly string[] {
  return loadProblemsOf({ SMART_HOST: 'smtp.example.com', ...env });
}

describe('parseSendingRate', () => {
  const VALID: readonly (readonly [string, SendingRate | 'off'])[] = [
    ['30/1m', { count: 30, perMs: 60_000 }],
    ['5/3s', { count: 5, perMs: 3000 }],
    ['10000/1d', { count: 10_000, perMs: 86_400_000 }],
    ['100000/24h', { count: 100_000, perMs: 86_400_000 }],
    ['1/90', { count: 1, perMs: 90_000 }],
    [' 30 / 1m ', { count: 30, perMs: 60_000 }],
    ['off', 'off'],
    ['OFF', 'off'],
    ['0', 'off'],
  ];
  itReads(VALID, (text) => parseSendingRate(text.trim()));

  const INVALID: readonly (readonly [string, readonly string[]])[] = [
    ['30', ['must be <count>/<duration> such as 30/1m or 10000/1d, or off, got "30"']],
    ['30/1m/2', ['must be <count>/<duration> such as 30/1m or 10000/1d, or off, got "30/1m/2"']],
    ['0/1m', ['count must be a whole number from 1 to 100000 (off for no limit), got "0"']],
    ['1.5/1m', ['count must be a whole number from 1 to 100000 (off for no limit), got "1.5"']],
    [
      '200000/1d',
      ['count must be a whole number from 1 to 100000 (off for no limit), got "200000"'],
    ],
    ['30/500ms', ['duration must be at least 1s, got "500ms"']],
    ['30/2d', ['duration must be at most 1d (the longest window the limiter keeps), got "2d"']],
    [
      'x/y',
      [
        'count must be a whole number from 1 to 100000 (off for no limit), got "x"',
        'duration must be a duration such as 250ms, 30s, 5m, 2h or 5d (a bare number is seconds), got "y"',
      ],
    ],
  ];
  itRefuses(INVALID, parseSendingRate);

  it('formats a rate as it is written', () => {
    assert.equal(formatSendingRate({ count: 30, perMs: 60_000 }), '30/1m');
    assert.equal(formatSendingRate({ count: 10_000, perMs: 86_400_000 }), '10000/1d');
    assert.equal(formatSendingRate({ count: 5, perMs: 1500 }), '5/1500ms');
  });
});

describe('SMART_HOST_RATE and SMART_HOST_RECIPIENT_RATE', () => {
  function ratesOf(env: Environment): Pick<SmartHostConfig, 'rate' | 'recipientRate'> {
    const { rate, recipientRate } = loadSenderConfig(env, HOST).smartHost;
    return { rate, recipientRate };
  }
  const PER_MINUTE = 60_000;
  const PER_DAY = 86_400_000;

  // The providers' documented limits (provider-presets.ts); SES: per account, none.
  const PRESETS: readonly (readonly [string, SendingRate | undefined, SendingRate | undefined])[] =
    [
      ['m365', { count: 30, perMs: PER_MINUTE }, { count: 10_000, perMs: PER_DAY }],
      ['gmail', { count: 2000, perMs: PER_DAY }, undefined],
      ['google-relay', { count: 10_000, perMs: PER_DAY }, { count: 10_000, perMs: PER_DAY }],
      ['ses', undefined, undefined],
      ['sendgrid', undefined, undefined],
      ['mailgun', undefined, undefined],
      ['postmark', undefined, undefined],
    ];
  for (const [provider, rate, recipientRate] of PRESETS) {
    it(`${provider}: the preset's limits by default`, () => {
      const region = provider === 'ses' ? { SMART_HOST_REGION: 'eu-west-1' } : {};
      const env = { SMART_HOST_PROVIDER: provider, ...LOGIN, ...region };
      assert.deepEqual(ratesOf(env), { rate, recipientRate });
    });
  }

  it('covers every preset', () => {
    assert.deepEqual(
      PRESETS.map(([name]) => name),
      SMART_HOST_PROVIDERS,
    );
    for (const name of SMART_HOST_PROVIDERS) {
      for (const text of [PROVIDER_PRESETS[name].rate, PROVIDER_PRESETS[name].recipientRate]) {
        if (text !== undefined) assert.notEqual(parseSendingRate(text), 'off', name);
      }
    }
  });

  const ROWS: readonly (readonly [
    string,
    Environment,
    SendingRate | undefined,
    SendingRate | undefined,
  ])[] = [
    ['no preset, nothing set: no limit', { SMART_HOST: 'a.example' }, undefined, undefined],
    [
      'explicit values win over the preset',
      {
        SMART_HOST_PROVIDER: 'm365',
        SMART_HOST_RATE: '10/1m',
        SMART_HOST_RECIPIENT_RATE: '500/1h',
      },
      { count: 10, perMs: PER_MINUTE },
      { count: 500, perMs: 3_600_000 },
    ],
    [
      "off turns the preset's limit off",
      { SMART_HOST_PROVIDER: 'm365', SMART_HOST_RATE: 'off' },
      undefined,
      { count: 10_000, perMs: PER_DAY },
    ],
    [
      '0 is off too',
      { SMART_HOST_PROVIDER: 'm365', SMART_HOST_RECIPIENT_RATE: '0' },
      { count: 30, perMs: PER_MINUTE },
      undefined,
    ],
    [
      "empty is unset: the preset's",
      { SMART_HOST_PROVIDER: 'm365', SMART_HOST_RATE: ' ' },
      { count: 30, perMs: PER_MINUTE },
      { count: 10_000, perMs: PER_DAY },
    ],
  ];
  for (const [title, env, rate, recipientRate] of ROWS) {
    it(title, () => {
      assert.deepEqual(ratesOf(env), { rate, recipientRate });
    });
  }

  it('names the variable in a problem', () => {
    assert.deepEqual(problemsOf({ SMART_HOST_RATE: '30 per minute' }), [
      'SMART_HOST_RATE: must be <count>/<duration> such as 30/1m or 10000/1d, or off, got "30 per minute"',
    ]);
    assert.deepEqual(problemsOf({ SMART_HOST_RECIPIENT_RATE: '10/0s' }), [
      'SMART_HOST_RECIPIENT_RATE: duration must be at least 1s, got "0s"',
    ]);
  });

  it('config prints the effective limits', () => {
    const text = formatConfig(
      loadSenderConfig({ SMART_HOST_PROVIDER: 'm365', SMART_HOST_RATE: 'off' }, HOST),
    );
    assert.match(text, /^SMART_HOST_RATE=<unset>$/m);
    assert.match(text, /^SMART_HOST_RECIPIENT_RATE=10000\/1d$/m);
  });
});

describe('SMART_HOST_COOLDOWN', () => {
  const VALID: readonly (readonly [string, number])[] = [
    ['', 30_000],
    ['90s', 90_000],
    ['10m', 600_000],
    ['500ms', 500],
  ];
  for (const [text, ms] of VALID) {
    it(`${JSON.stringify(text)} is ${String(ms)} ms`, () => {
      const env = { SMART_HOST: 'a.example', SMART_HOST_COOLDOWN: text };
      assert.equal(loadSenderConfig(env, HOST).smartHost.cooldownMs, ms);
    });
  }

  const INVALID: readonly (readonly [string, string])[] = [
    ['0s', 'SMART_HOST_COOLDOWN: must be more than 0, got "0s"'],
    ['11m', 'SMART_HOST_COOLDOWN: must be at most 10m (the longest cool-down), got "11m"'],
    [
      'soon',
      'SMART_HOST_COOLDOWN: must be a duration such as 250ms, 30s, 5m, 2h or 5d (a bare number is seconds), got "soon"',
    ],
  ];
  for (const [text, problem] of INVALID) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(problemsOf({ SMART_HOST_COOLDOWN: text }), [problem]);
    });
  }

  it('config prints it', () => {
    const text = formatConfig(loadSenderConfig({ SMART_HOST: 'a.example' }, HOST));
    assert.match(text, /^SMART_HOST_COOLDOWN=30s$/m);
  });
});
