import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidValueError } from '../src/errors.ts';
import {
  parseDomainName,
  parseHostOrAddress,
  parseNetworkList,
  parsePort,
  parseRedisUrl,
} from '../src/network-values.ts';

function assertInvalid(parse: () => unknown, ...messages: readonly RegExp[]): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof InvalidValueError);
    assert.equal(error.reasons.length, messages.length, error.reasons.join('\n'));
    messages.forEach((message, index) => {
      assert.match(error.reasons[index] ?? '', message);
    });
    return true;
  });
}

describe('parsePort', () => {
  const VALID: readonly (readonly [string, number, boolean])[] = [
    ['1', 1, false],
    ['2525', 2525, false],
    ['65535', 65_535, false],
    ['0', 0, true],
  ];
  for (const [text, port, allowZero] of VALID) {
    it(`reads ${text}${allowZero ? ' (0 allowed)' : ''}`, () => {
      assert.equal(parsePort(text, { allowZero }), port);
    });
  }
  const INVALID: readonly (readonly [string, boolean, RegExp])[] = [
    ['0', false, /^must be a port number 1-65535, got "0"$/],
    ['65536', false, /1-65535/],
    ['-1', true, /1-65535, or 0 for off, got "-1"/],
    ['abc', false, /got "abc"/],
    ['25.5', false, /got "25.5"/],
    ['1e3', false, /got "1e3"/],
    ['0x19', false, /got "0x19"/],
    ['tcp://10.0.0.7:2525', false, /Kubernetes service link/],
  ];
  for (const [text, allowZero, message] of INVALID) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assertInvalid(() => parsePort(text, { allowZero }), message);
    });
  }
});

describe('parseDomainName (SMTP_HOSTNAME)', () => {
  for (const name of [
    'relay.example.com',
    'localhost',
    '3f4e5a6b7c8d',
    'a-b.c',
    'MX1.Example.COM',
  ]) {
    it(`accepts ${name}`, () => {
      assert.equal(parseDomainName(name), name);
    });
  }
  const INVALID: readonly (readonly [string, RegExp])[] = [
    ['10.0.0.1', /not an address/],
    ['::1', /not an address/],
    ['under_score.example', /must be a domain name such as/],
    ['-leading.example', /domain name/],
    ['trailing-.example', /domain name/],
    ['double..dot', /domain name/],
    ['example.com.', /domain name/],
    ['has space', /domain name/],
    [`${'a'.repeat(64)}.example`, /domain name/],
  ];
  for (const [text, message] of INVALID) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assertInvalid(() => parseDomainName(text), message);
    });
  }
});

describe('parseHostOrAddress (SMART_HOST, bind addresses)', () => {
  const VALID: readonly (readonly [string, string])[] = [
    ['smtp.gmail.com', 'smtp.gmail.com'],
    ['smart_host', 'smart_host'], // Docker Compose service names may hold "_"
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
  ];
  for (const [text, host] of VALID) {
    it(`reads ${text}`, () => {
      assert.equal(parseHostOrAddress(text), host);
    });
  }
  const INVALID: readonly (readonly [string, RegExp])[] = [
    ['smtp.gmail.com:587', /_PORT variable/],
    ['smtp://smtp.gmail.com', /without a scheme/],
    ['not a host', /must be a host name or IP address, got "not a host"/],
    ['fe80::1%eth0', /must be a host name or IP address/],
  ];
  for (const [text, message] of INVALID) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assertInvalid(() => parseHostOrAddress(text), message);
    });
  }
});

describe('parseNetworkList (SMTP_RELAY_NETWORKS)', () => {
  const VALID: readonly (readonly [string, readonly string[]])[] = [
    ['', []],
    [' , ', []],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['192.168.1.7', ['192.168.1.7/32']],
    ['::1', ['::1/128']],
    ['2001:DB8::/32', ['2001:db8::/32']],
    [
      '10.0.0.0/8, 172.16.0.0/12\n192.168.0.0/16',
      ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
    ],
    ['10.0.0.0/8,10.0.0.0/8', ['10.0.0.0/8']],
    ['0.0.0.0/0', ['0.0.0.0/0']],
    ['::ffff:10.0.0.0/104', ['::ffff:a00:0/104']],
  ];
  for (const [text, networks] of VALID) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseNetworkList(text), networks);
    });
  }
  const INVALID: readonly (readonly [string, readonly RegExp[]])[] = [
    ['foo', [/entries must be an IP address or CIDR .*, got "foo"/]],
    ['1.2.3.4/33', [/got "1.2.3.4\/33"/]],
    ['10.0.0', [/got "10.0.0"/]], // no inet_aton shorthand
    ['010.0.0.1', [/got "010.0.0.1"/]], // octal or decimal? refuse
    ['10.0.0.0/8/8', [/got "10.0.0.0\/8\/8"/]],
    ['10.0.0.0/', [/got "10.0.0.0\/"/]],
    ['fe80::/10%eth0', [/got "fe80::\/10%eth0"/]],
    ['10.1.2.3/8', [/"10.1.2.3\/8" has host bits set: write "10.0.0.0\/8"/]],
    ['foo, 10.0.0.0/8, bar', [/got "foo"/, /got "bar"/]],
  ];
  for (const [text, messages] of INVALID) {
    it(`refuses ${JSON.stringify(text)}, one reason per bad entry`, () => {
      assertInvalid(() => parseNetworkList(text), ...messages);
    });
  }
});

describe('parseRedisUrl', () => {
  for (const url of [
    'redis://127.0.0.1:6379',
    'rediss://redis.example:6380/2',
    'redis://:pw@redis',
  ]) {
    it(`accepts ${url}`, () => {
      assert.equal(parseRedisUrl(url), url);
    });
  }
  const INVALID: readonly (readonly [string, RegExp])[] = [
    ['http://user:hunter2@redis', /got a URL with scheme "http:"$/],
    ['redis:6379', /got something that is not a URL|without a host/],
    ['hunter2 and junk', /got something that is not a URL$/],
    ['redis://redis:6379/abc', /database number/],
  ];
  for (const [text, message] of INVALID) {
    it(`refuses ${JSON.stringify(text)} without echoing it`, () => {
      assertInvalid(() => parseRedisUrl(text), message);
      assert.throws(
        () => parseRedisUrl(text),
        (error: Error) => !error.message.includes('hunter2'),
      );
    });
  }
});
